from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "wushe.projects"
    label = "projects"
    verbose_name = _("项目库")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_projects

        nav.register(
            nav.NavItem(
                key="projects",
                label=_("项目库"),
                url_name="projects:list",
                permission="projects.view_projects",
                description=_("公益创投与政府购买服务：申报、评审、立项、支出、评估与结项。"),
                order=140,
            )
        )
        # After the logins (and so after the organisations): the panel and the demo
        # organisation's staff are needed.
        register_step("projects", demo_projects, after="logins")
