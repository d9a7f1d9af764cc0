from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "wushe.imports"
    label = "imports"
    verbose_name = _("表格导入导出")
