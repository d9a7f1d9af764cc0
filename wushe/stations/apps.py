from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "wushe.stations"
    label = "stations"
    verbose_name = _("服务站点")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from .demo import demo_stations

        nav.register(
            nav.NavItem(
                key="stations",
                label=_("服务站点"),
                url_name="stations:list",
                permission="stations.view_servicestation",
                description=_("社工站、志愿服务站点、孵化基地和党群服务中心，以及驻站社工。"),
                order=340,
            )
        )
        register_step("stations", demo_stations, after="organizations")
