from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "wushe.requests"
    label = "requests"
    verbose_name = _("民呼我为")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers the permissions
