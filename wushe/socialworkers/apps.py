from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialworkersConfig(AppConfig):
    name = "wushe.socialworkers"
    label = "socialworkers"
    verbose_name = _("社会工作者")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.core.personal import register_person_model
        from wushe.demo.services import register_step
        from wushe.imports.adapters import register
        from wushe.privacy.registry import register_revealable

        from .demo import demo_social_workers
        from .imports import SocialWorkerAdapter
        from .models import SocialWorker

        register_person_model(SocialWorker)
        register_revealable(SocialWorker)
        register(SocialWorkerAdapter())
        nav.register(
            nav.NavItem(
                key="socialworkers",
                label=_("社会工作者"),
                url_name="socialworkers:list",
                permission="socialworkers.view_socialworker",
                description=_("持证社工台账：证书、登记延续、继续教育学时与到期提醒。"),
                order=320,
            )
        )
        # After the demo logins: one social worker is linked to the demo social worker's
        # account, which the "logins" step creates (it runs after "organizations").
        register_step("social_workers", demo_social_workers, after="logins")
