from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wushe.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from . import nav

        nav.register(
            nav.NavItem(
                key="home",
                label=_("工作台"),
                url_name="core:home",
                permission="accounts.view_own_profile",
                order=0,
            )
        )
        nav.register(
            nav.NavItem(
                key="api_docs",
                label=_("接口文档"),
                url_name="api:openapi-view",
                permission="accounts.view_own_profile",
                description=_("HTTP 接口（OpenAPI），供其他系统对接。"),
                order=900,
            )
        )
