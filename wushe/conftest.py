"""Test configuration for the whole suite.

Switches (set by CI): WUSHE_REQUIRE_PG=1 fails the run unless the database is PostgreSQL;
WUSHE_REQUIRE_BROWSER=1 fails browser tests when Chromium is missing instead of skipping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

from wushe.testing import ROLE_USERS, ensure_default_terms, ensure_haining_regions, make_user

REQUIRE_PG = os.environ.get("WUSHE_REQUIRE_PG") == "1"
REQUIRE_BROWSER = os.environ.get("WUSHE_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("WUSHE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_pg = connection.vendor == "postgresql"
    if REQUIRE_PG and not on_pg:
        raise pytest.UsageError(
            "WUSHE_REQUIRE_PG=1 but DATABASE_URL does not point at PostgreSQL "
            f"(vendor: {connection.vendor})."
        )
    have_browser = Path(CHROMIUM).exists()
    if REQUIRE_BROWSER and not have_browser:
        raise pytest.UsageError(f"WUSHE_REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM}.")
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does, WUSHE_REQUIRE_PG=1)"
    )
    skip_browser = pytest.mark.skip(
        reason=f"needs Chromium at {CHROMIUM} "
        "(apt-get install chromium; CI sets WUSHE_REQUIRE_BROWSER=1)"
    )
    for item in items:
        if "postgres" in item.keywords and not on_pg:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not have_browser:
            item.add_marker(skip_browser)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_haining_regions()


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests (browser, concurrency) flush the database afterwards, migration data
    included; put the reference data back before each of them, whatever ran before."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        ensure_haining_regions()
        ensure_default_terms()


@pytest.fixture
def regions(db):
    """Haining's real regions (Zhejiang → Jiaxing → Haining → 12 townships → 236 communities)."""
    ensure_haining_regions()


@pytest.fixture
def role_users(regions):
    """One user per role, placed like the demo logins."""
    return {key: make_user(f"u_{key}", role, region) for key, (role, region) in ROLE_USERS.items()}
