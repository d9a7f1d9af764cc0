from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "wushe.residents"
    label = "residents"
    verbose_name = _("居民")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.core.personal import register_person_model
        from wushe.demo.services import register_step
        from wushe.imports.adapters import register
        from wushe.privacy.registry import register_revealable

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_residents
        from .imports import ResidentAdapter
        from .models import Resident

        register_person_model(Resident)
        register_revealable(Resident)
        register(ResidentAdapter())
        register_step("residents", demo_residents, after="logins")
        nav.register(
            nav.NavItem(
                key="residents",
                label=_("居民台账"),
                url_name="residents:list",
                permission="residents.view_register",
                description=_("本辖区居民、家庭户与困难群体标签；身份证号和手机号脱敏显示。"),
                order=200,
            )
        )
        nav.register(
            nav.NavItem(
                key="residents_me",
                label=_("我的信息"),
                url_name="residents:me",
                permission="residents.view_own_record",
                description=_("查看社区为您登记的个人信息。"),
                order=150,
            )
        )
