from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "wushe.indicators"
    label = "indicators"
    verbose_name = _("指标")

    def ready(self) -> None:
        # Every `wushe/<app>/indicators.py` registers its indicators on import
        # (wushe.indicators.registry).
        from django.utils.module_loading import autodiscover_modules

        from . import refresh

        autodiscover_modules("indicators")
        refresh.connect()
