from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MenuConfig(AppConfig):
    name = "wushe.menu"
    label = "menu"
    verbose_name = _("服务菜单")
