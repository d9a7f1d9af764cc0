from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartymembersConfig(AppConfig):
    name = "wushe.partymembers"
    label = "partymembers"
    verbose_name = _("党员报到")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.core.personal import register_person_model
        from wushe.demo.services import register_step
        from wushe.privacy.registry import register_revealable

        from .demo import demo_party_members
        from .models import PartyMemberCheckin

        register_person_model(PartyMemberCheckin)
        register_revealable(PartyMemberCheckin)
        nav.register(
            nav.NavItem(
                key="partymembers",
                label=_("党员报到"),
                url_name="partymembers:list",
                permission="partymembers.view_partymembercheckin",
                description=_("到社区报到的在职党员：工作单位、所在党组织、可参与的服务类别。"),
                order=360,
            )
        )
        register_step("party_members", demo_party_members, after="social_workers")
