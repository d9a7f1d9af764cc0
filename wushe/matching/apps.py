from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "wushe.matching"
    label = "matching"
    verbose_name = _("供需对接")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_matching

        nav.register(
            nav.NavItem(
                key="matching_proposals",
                label=_("供需对接"),
                url_name="matching:proposals",
                permission="matching.view_proposals",
                description=_("把待派单的诉求一次性匹配给合适的志愿者，审核确认后派单。"),
                order=125,
            )
        )
        register_step("matching", demo_matching, after="requests")
