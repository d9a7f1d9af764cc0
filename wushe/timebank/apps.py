from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebankConfig(AppConfig):
    name = "wushe.timebank"
    label = "timebank"
    verbose_name = _("时间银行")

    def ready(self) -> None:
        from wushe.core import nav

        from . import rules  # noqa: F401 - registers the permissions

        nav.register(
            nav.NavItem(
                key="timebank_mine",
                label=_("我的时间银行"),
                url_name="timebank:mine",
                permission="timebank.view_own",
                description=_("查看时间币、积分余额和每一笔明细。"),
                order=520,
            )
        )
