from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "wushe.volunteers"
    label = "volunteers"
    verbose_name = _("志愿者")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.core.personal import register_person_model
        from wushe.demo.services import register_step
        from wushe.imports.adapters import register as register_adapter
        from wushe.privacy.registry import register_revealable

        from .demo import demo_volunteers
        from .imports import VolunteerAdapter
        from .models import Volunteer

        register_person_model(Volunteer)
        register_revealable(Volunteer)
        register_adapter(VolunteerAdapter())
        register_step("volunteers", demo_volunteers, after="logins")
        nav.register(
            nav.NavItem(
                key="volunteers",
                label=_("志愿者"),
                url_name="volunteers:list",
                permission="volunteers.list_volunteer",
                description=_("志愿者注册登记、技能特长、可服务时间与志愿服务队。"),
                order=300,
            )
        )
        nav.register(
            nav.NavItem(
                key="my_volunteer",
                label=_("我的志愿服务"),
                url_name="volunteers:me",
                permission="volunteers.view_own_volunteer",
                description=_("查看和修改我的志愿者信息、可服务时间与服务时长。"),
                order=310,
            )
        )
