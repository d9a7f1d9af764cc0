from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "wushe.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from wushe.core import nav

        nav.register(
            nav.NavItem(
                key="audit",
                label=_("审计日志"),
                url_name="audit:search",
                permission="audit.search_events",
                description=_("按时间、操作人、事件和区划查询全部操作记录（只读）。"),
                order=800,
            )
        )
