from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "wushe.privacy"
    label = "privacy"
    verbose_name = _("个人信息保护")
