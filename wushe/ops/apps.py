from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: backup and restore commands, the /metrics exposition. No models."""

    name = "wushe.ops"
    label = "ops"
    verbose_name = _("运维")
