from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CharityConfig(AppConfig):
    name = "wushe.charity"
    label = "charity"
    verbose_name = _("慈善资源")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.core.personal import register_person_model
        from wushe.demo.services import register_step
        from wushe.privacy.registry import register_revealable

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import charity_demo
        from .models import Donor

        register_person_model(Donor)
        register_revealable(Donor)
        register_step("charity", charity_demo, after="logins")
        nav.register(
            nav.NavItem(
                key="charity",
                label=_("慈善资源"),
                url_name="charity:overview",
                permission="charity.view_resources",
                description=_("社区基金会与专项基金、捐赠人、捐赠台账、爱心超市及其物品。"),
                order=400,
            )
        )
        nav.register(
            nav.NavItem(
                key="charity_goods",
                label=_("爱心超市"),
                url_name="charity:goods",
                permission="charity.browse_goods",
                description=_("查看本社区爱心超市的物品、兑换积分与库存。"),
                order=410,
            )
        )
