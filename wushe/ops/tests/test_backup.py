"""`wushe backup` / `wushe restore`: state built through the services (time bank, requests with a
photo, a visit, an indicator computation) survives a round trip into a second, fresh database,
checked the way an operator would: `wushe timebank verify` on the restored database, identical
indicator values and row counts, the photo back in the file folder. And the refusals: a
non-empty database, a damaged dump."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from wushe.core.images import image_accept
from wushe.indicators import engine
from wushe.indicators.models import IndicatorValue
from wushe.ops.backup import MANIFEST, BackupError, backup_restore, read_manifest
from wushe.requests.tests.conftest import png_bytes
from wushe.requests.tests.conftest import world as request_world  # noqa: F401 - fixture
from wushe.testing import NANGUANXIANG
from wushe.timebank import services as timebank
from wushe.timebank.tests.conftest import build_world
from wushe.visits import services as visits
from wushe.visits.models import Enrolment
from wushe.visits.tests.conftest import make_resident

INDICATOR_COLUMNS = (
    "indicator, period, region, numerator, denominator, direct_numerator, direct_denominator"
)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """Uploads go to a temporary folder (never var/media)."""
    return use_media(settings, tmp_path / "media")


def use_media(settings: Any, folder: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


def build_state(world: Any, role_users: dict[str, Any]) -> None:
    """A little of everything, through the services."""
    tb = build_world(role_users, daily_earn_cap=None)
    day = date(2026, 11, 2)
    timebank.coins_earn(account=tb.child, minutes=180, value_date=day, actor=tb.admin)
    timebank.coins_earn(account=tb.parent, minutes=60, value_date=day, actor=tb.admin)
    timebank.coins_gift(source=tb.child, target=tb.parent, amount=30, actor=tb.admin)
    timebank.coins_donate(source=tb.child, amount=20, actor=tb.admin)

    world.submit(photos=[image_accept(png_bytes())])
    world.make("dispatched")
    world.make("closed")

    elder = make_resident("钱奶奶", NANGUANXIANG, "alone_elder")
    visits.enrolments_sync(today=timezone.localdate())
    visits.visit_record(
        enrolment_id=Enrolment.objects.get(resident=elder, ended_on__isnull=True).pk,
        method="home",
        actor=role_users["community_a"],
        findings="身体尚好。",
    )
    engine.compute(years=[timezone.localdate().year])
    assert IndicatorValue.objects.exists()


@contextmanager
def second_database(name: str) -> Iterator[BaseDatabaseWrapper]:
    """A connection to the database `name` on the same server (made here, not a DATABASES
    alias: the test case allows only its own databases)."""
    default = connections["default"]
    settings_dict = {**default.settings_dict, "NAME": name}
    if default.vendor == "sqlite":
        settings_dict["OPTIONS"] = {}
    target = default.__class__(settings_dict, alias="restored")
    try:
        yield target
    finally:
        target.close()


def database_url(connection: BaseDatabaseWrapper) -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def timebank_verify(connection: BaseDatabaseWrapper) -> subprocess.CompletedProcess[str]:
    """`wushe timebank verify` as an operator runs it, against the given database."""
    env = {**os.environ, "DATABASE_URL": database_url(connection)}
    return subprocess.run(
        [sys.executable, "-m", "wushe", "timebank", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rows(connection: BaseDatabaseWrapper, sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def table_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return {
        table: rows(connection, f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")[0][0]  # noqa: S608
        for table in tables
    }


def round_trip(settings: Any, tmp_path: Path, target: BaseDatabaseWrapper) -> None:
    """Back up the test database, restore it into `target`, check what an operator would."""
    source = connections["default"]
    folder = tmp_path / "backup"
    call_command("backup", str(folder), stdout=open(os.devnull, "w"))  # noqa: SIM115
    manifest = read_manifest(folder)
    assert manifest["row_counts"]["timebank_transfer"] >= 4
    assert manifest["row_counts"]["requests_requestphoto"] == 1
    assert manifest["media"]["files"] >= 1
    assert manifest["migrations"]["timebank"]

    # A damaged dump is refused before anything is written.
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    dump = damaged / manifest["dump"]["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged"):
        backup_restore(folder=damaged, database=target)
    assert table_counts(target) == {}

    # The live database is not empty: refused without --force.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(folder), stdout=open(os.devnull, "w"))  # noqa: SIM115

    restored_media = use_media(settings, tmp_path / "media_restored")
    report = backup_restore(folder=folder, database=target)
    assert report.pending_migrations == [] and report.unknown_migrations == []
    assert report.media_files == manifest["media"]["files"]
    check_restored(source, target, restored_media, tmp_path / "media")

    # Restoring again over the now non-empty database needs force, and then works.
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(folder=folder, database=target)
    backup_restore(folder=folder, database=target, force=True)
    check_restored(source, target, restored_media, tmp_path / "media")


def check_restored(
    source: BaseDatabaseWrapper, target: BaseDatabaseWrapper, media: Path, original: Path
) -> None:
    verified = timebank_verify(target)
    assert verified.returncode == 0, verified.stderr
    assert "timebank verify: OK" in verified.stdout

    values_sql = f"SELECT {INDICATOR_COLUMNS} FROM indicators_indicatorvalue ORDER BY 1, 2, 3"  # noqa: S608
    values = rows(source, values_sql)
    assert values
    assert rows(target, values_sql) == values

    assert table_counts(target) == table_counts(source)

    photos = sorted(p.relative_to(original) for p in original.rglob("*") if p.is_file())
    assert photos
    for photo in photos:
        assert (media / photo).read_bytes() == (original / photo).read_bytes()


@pytest.mark.django_db(transaction=True)
def test_sqlite_round_trip(settings, tmp_path, media, request_world, role_users):  # noqa: F811
    if connections["default"].vendor != "sqlite":
        pytest.skip("the PostgreSQL round trip is test_postgresql_round_trip")
    build_state(request_world, role_users)
    with second_database(str(tmp_path / "restored.sqlite3")) as target:
        round_trip(settings, tmp_path, target)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip(settings, tmp_path, media, request_world, role_users):  # noqa: F811
    build_state(request_world, role_users)
    name = connections["default"].settings_dict["NAME"] + "_restored"
    with connections["default"].cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        with second_database(name) as target:
            round_trip(settings, tmp_path, target)
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_a_folder_without_manifest_is_not_a_backup(tmp_path):
    (tmp_path / "database.dump").write_bytes(b"x")
    with pytest.raises(CommandError, match=MANIFEST):
        call_command("restore", str(tmp_path))
