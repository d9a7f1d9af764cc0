from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "wushe.imports"
    label = "imports"
    verbose_name = _("表格导入导出")

    def ready(self) -> None:
        from wushe.core import nav

        nav.register(
            nav.NavItem(
                key="imports",
                label=_("表格导入"),
                url_name="imports:index",
                permission="imports.use_imports",
                description=_(
                    "用 Excel 或 CSV 表格批量导入居民、志愿者、社会组织等台账，先预览再确认。"
                ),
                order=700,
            )
        )
