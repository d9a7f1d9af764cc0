from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedsConfig(AppConfig):
    name = "wushe.needs"
    label = "needs"
    verbose_name = _("需求库")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_needs

        nav.register(
            nav.NavItem(
                key="needs",
                label=_("需求库"),
                url_name="needs:groups",
                permission="needs.view_needs",
                description=_("摸排、诉求、探访中发现的需求，按类别和区域汇总，转化为服务项目。"),
                order=200,
            )
        )
        register_step("needs", demo_needs, after="requests")
