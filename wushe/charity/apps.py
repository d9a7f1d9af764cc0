from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CharityConfig(AppConfig):
    name = "wushe.charity"
    label = "charity"
    verbose_name = _("慈善资源")
