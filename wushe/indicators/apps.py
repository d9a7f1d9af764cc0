from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "wushe.indicators"
    label = "indicators"
    verbose_name = _("指标")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import refresh
        from . import rules as _rules  # noqa: F401 - registers the permissions
        from .demo import demo_indicators

        # Every `wushe/<app>/indicators.py` registers its indicators on import
        # (wushe.indicators.registry); changes to the models they read mark counties dirty.
        autodiscover_modules("indicators")
        refresh.connect()
        nav.register(
            nav.NavItem(
                key="indicators_dashboard",
                label=_("指标看板"),
                url_name="indicators:dashboard",
                permission="indicators.view",
                description=_(
                    "本区域及下级的“五社联动”指标：对照目标、看趋势、逐级下钻，一键生成年度报告。"
                ),
                order=900,
            )
        )
        register_step("indicators", demo_indicators)
