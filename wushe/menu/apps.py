from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MenuConfig(AppConfig):
    name = "wushe.menu"
    label = "menu"
    verbose_name = _("服务菜单")

    def ready(self) -> None:
        from wushe.core import nav
        from wushe.demo.services import register_step

        from . import rules  # noqa: F401 - registers the permissions
        from .demo import demo_menu

        for item in (
            nav.NavItem(
                key="menu_browse",
                label=_("服务菜单"),
                url_name="menu:browse",
                permission="menu.browse_menu",
                description=_("社区的服务菜单：选服务、点单，服务完成后评价。"),
                order=101,
            ),
            nav.NavItem(
                key="menu_orders",
                label=_("点单工作台"),
                url_name="menu:orders",
                permission="menu.view_orders",
                description=_("居民点单：确认接单、安排时间、确认服务完成，查看居民评价。"),
                order=125,
            ),
            nav.NavItem(
                key="menu_offerings",
                label=_("服务菜单管理"),
                url_name="menu:offerings",
                permission="menu.manage_menu",
                description=_("上架、修改、下架服务：服务对象、费用、名额与服务时间。"),
                order=126,
            ),
        ):
            nav.register(item)
        register_step("menu", demo_menu, after="requests")
