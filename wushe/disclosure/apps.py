from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "wushe.disclosure"
    label = "disclosure"
    verbose_name = _("信息公开")

    def ready(self) -> None:
        from wushe.core import nav

        from . import rules  # noqa: F401 - registers the permission

        nav.register(
            nav.NavItem(
                key="disclosure",
                label=_("信息公开"),
                url_name="disclosure:index",
                permission="disclosure.view",
                description=_("项目资金、社会组织和慈善捐赠的公开信息，无需登录即可查看。"),
                order=900,
            )
        )
