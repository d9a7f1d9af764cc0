from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "wushe.requests"
    label = "requests"
    verbose_name = _("民呼我为")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_requests

        for item in (
            nav.NavItem(
                key="requests_submit",
                label=_("我要求助"),
                url_name="requests:submit",
                permission="requests.submit_own",
                description=_("遇到困难告诉社区：拍照上传，随时查看办理进度。"),
                order=100,
            ),
            nav.NavItem(
                key="requests_mine",
                label=_("我的诉求"),
                url_name="requests:mine",
                permission="requests.view_own_requests",
                description=_("查看诉求的办理进度，确认办结并评价，不满意可重新办理。"),
                order=105,
            ),
            nav.NavItem(
                key="requests_inbox",
                label=_("诉求工作台"),
                url_name="requests:inbox",
                permission="requests.view_inbox",
                description=_("民呼我为：受理、派单、督促办结、回访，逾期自动升级。"),
                order=110,
            ),
            nav.NavItem(
                key="requests_supervision",
                label=_("升级与督办"),
                url_name="requests:supervision",
                permission="requests.view_supervision",
                description=_("社区吹哨升级到街道（乡镇）、区县的诉求和督办中的诉求。"),
                order=115,
            ),
            nav.NavItem(
                key="requests_tasks",
                label=_("我的任务"),
                url_name="requests:tasks",
                permission="requests.view_tasks",
                description=_("派给我或我认领的居民诉求：开始办理、上传办结照片。"),
                order=120,
            ),
        ):
            nav.register(item)
        register_step("requests", demo_requests, after="party_members")
