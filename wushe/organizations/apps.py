from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "wushe.organizations"
    label = "organizations"
    verbose_name = _("社会组织")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.core.personal import register_person_model
        from wushe.demo.services import register_step
        from wushe.imports.adapters import register
        from wushe.privacy.registry import register_revealable

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import organizations_registry_demo
        from .imports import OrganizationAdapter
        from .models import OrganizationContact

        register_person_model(OrganizationContact)
        register_revealable(OrganizationContact)
        register(OrganizationAdapter())
        register_step("organizations_registry", organizations_registry_demo, after="organizations")
        nav.register(
            nav.NavItem(
                key="organizations",
                label=_("社会组织"),
                url_name="organizations:list",
                permission="organizations.view_organization",
                description=_("社会组织台账：登记与备案状态、类别、评估等级、服务社区与联系人。"),
                order=200,
            )
        )
