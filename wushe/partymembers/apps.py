from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartymembersConfig(AppConfig):
    name = "wushe.partymembers"
    label = "partymembers"
    verbose_name = _("党员报到")
