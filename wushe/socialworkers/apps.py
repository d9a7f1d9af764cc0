from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialworkersConfig(AppConfig):
    name = "wushe.socialworkers"
    label = "socialworkers"
    verbose_name = _("社会工作者")
