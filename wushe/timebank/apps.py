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
        nav.register(
            nav.NavItem(
                key="timebank_store",
                label=_("爱心超市积分兑换"),
                url_name="timebank:store",
                permission="timebank.redeem_store",
                description=_("用积分兑换社区爱心超市的物品。"),
                order=525,
            )
        )
        nav.register(
            nav.NavItem(
                key="timebank_pools",
                label=_("时间银行管理"),
                url_name="timebank:pools",
                permission="timebank.view_pools",
                description=_("社区公益池余额与明细，方案规则与兑换比率。"),
                order=530,
            )
        )
