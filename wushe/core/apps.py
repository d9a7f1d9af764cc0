from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wushe.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from . import nav

        tune_psycopg()

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


# Statements up to this long, with up to this many parameters, keep their parsed form in
# psycopg's cache. psycopg's defaults (4096 bytes, 50 parameters) leave out the hot paths'
# multi-row statements (wushe.core.fastsql.execute_together: a request submission is ~5 KB
# with ~100 parameters), whose %s placeholders it would otherwise re-split with a regular
# expression on every call. Departure: a module constant of psycopg's, not a public setting;
# test_http checks that the names still exist.
PSYCOPG_CACHED_STATEMENT_LENGTH = 32768
PSYCOPG_CACHED_STATEMENT_PARAMS = 1024


def tune_psycopg() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # SQLite-only installation
        return
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(
        _queries.MAX_CACHED_STATEMENT_LENGTH, PSYCOPG_CACHED_STATEMENT_LENGTH
    )
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(
        _queries.MAX_CACHED_STATEMENT_PARAMS, PSYCOPG_CACHED_STATEMENT_PARAMS
    )
