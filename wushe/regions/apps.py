from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "wushe.regions"
    label = "regions"
    verbose_name = _("行政区划")

    def ready(self) -> None:
        from wushe.core import nav

        nav.register(
            nav.NavItem(
                key="regions",
                label=_("行政区划"),
                url_name="regions:browse",
                permission="regions.browse",
                description=_("浏览省、市、县、乡镇（街道）、村（社区）五级区划，选择工作区域。"),
                order=10,
            )
        )
