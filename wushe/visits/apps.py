from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "wushe.visits"
    label = "visits"
    verbose_name = _("探访关爱")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_visits

        for item in (
            nav.NavItem(
                key="visits_due",
                label=_("探访关爱"),
                url_name="visits:due",
                permission="visits.view_due",
                description=_("本周该探访谁、谁已逾期；入户、电话或视频探访后随手记录。"),
                order=130,
            ),
            nav.NavItem(
                key="visits_overview",
                label=_("探访督导"),
                url_name="visits:overview",
                permission="visits.view_overview",
                description=_("各社区探访对象、逾期人数和本月探访率。"),
                order=135,
            ),
            nav.NavItem(
                key="visits_plan",
                label=_("探访计划设置"),
                url_name="visits:plan",
                permission="visits.view_plan",
                description=_("纳入规则、各风险等级的探访频次，极端天气临时加密探访。"),
                order=136,
            ),
        ):
            nav.register(item)
        register_step("visits", demo_visits, after="residents")
