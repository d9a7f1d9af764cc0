from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "wushe.activities"
    label = "activities"
    verbose_name = _("志愿服务活动")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_timebank

        nav.register(
            nav.NavItem(
                key="activities_list",
                label=_("志愿服务活动"),
                url_name="activities:list",
                permission="activities.view_list",
                description=_("报名活动、扫码签到签退、查看服务时长与星级。"),
                order=500,
            )
        )
        nav.register(
            nav.NavItem(
                key="activities_queue",
                label=_("服务记录认证"),
                url_name="activities:queue",
                permission="activities.verify_records",
                description=_("认证、退回或更正志愿服务记录，导出已认证记录。"),
                order=510,
            )
        )
        register_step("timebank", demo_timebank)
