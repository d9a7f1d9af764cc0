"""Backup and restore of one installation: the database and the uploaded files.

A backup is a folder holding
- `database.dump` (PostgreSQL: `pg_dump --format=custom`) or `database.sqlite3` (SQLite: a copy
  made with the online backup API, consistent while the platform keeps writing);
- `media.tar`: the uploaded files (request photos, receipts, import files) of the default file
  storage, uncompressed (photos are already compressed);
- `manifest.json`: when, which code (version, git commit), the applied migrations, the row
  counts of key tables and every table's name, and the SHA-256 of each file.

On PostgreSQL the row counts, the migration list and the dump all read one snapshot: the
counts run in a REPEATABLE READ transaction that exports its snapshot, and pg_dump dumps that
very snapshot (`--snapshot`), so the manifest describes exactly what the dump holds even while
users keep working. The files are archived after the snapshot: a file uploaded meanwhile is
included without its row (harmless), a file deleted meanwhile is missing (photos are not
deleted in normal work).

Connection settings reach pg_dump/pg_restore through the libpq environment (PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE …), never on the command line, where `ps` would
show a password.

The folder is written as `<name>.partial` and renamed when complete, so an interrupted backup
never looks like a good one. It holds personal data in the clear apart from the encrypted
columns; the keys of those (WUSHE_DATA_KEYS, WUSHE_LOOKUP_KEY) are NOT in it and must be kept
separately (docs/deployment.md, docs/key-rotation.md)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader

from . import conf

MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
FORMAT = 1
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"

# Tables whose row counts go into the manifest and are checked after a restore: the records
# people would miss first. Models that do not exist (an app removed) are skipped.
KEY_MODELS = (
    "accounts.User",
    "accounts.RoleGrant",
    "audit.AuditEvent",
    "regions.Region",
    "organizations.Organization",
    "volunteers.Volunteer",
    "residents.Household",
    "residents.Resident",
    "residents.ResidentTag",
    "charity.Donation",
    "notifications.Delivery",
    "requests.Request",
    "requests.RequestEvent",
    "requests.RequestPhoto",
    "activities.ServiceRecord",
    "timebank.Account",
    "timebank.Transfer",
    "timebank.Entry",
    "menu.ServiceOrder",
    "needs.Need",
    "projects.Project",
    "projects.Expenditure",
    "visits.Enrolment",
    "visits.Visit",
    "indicators.IndicatorValue",
)

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    path: Path
    vendor: str
    media_files: int | None = None
    row_counts: dict[str, int] = field(default_factory=dict)
    pending_migrations: list[str] = field(default_factory=list)
    unknown_migrations: list[str] = field(default_factory=list)
    extra_tables: list[str] = field(default_factory=list)


# --- small helpers ------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict[str, Any]:
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def app_version() -> str:
    try:
        return package_version("wushe")
    except PackageNotFoundError:
        return ""


def git_commit() -> str:
    """The commit of the running code: WUSHE_GIT_COMMIT when set (deployments without .git),
    else `git rev-parse HEAD` in the source tree, else empty."""
    configured = conf.value("GIT_COMMIT").strip()
    if configured:
        return configured
    base = Path(settings.BASE_DIR)
    if not (base / ".git").exists() or shutil.which("git") is None:
        return ""
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            ["git", "-C", str(base), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def media_root() -> Path | None:
    """The folder of the default file storage, when it is a local file system."""
    location = getattr(storages["default"], "location", None)
    return Path(location) if location else None


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))


def _user_tables(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def _row_counts(connection: BaseDatabaseWrapper, tables: list[str]) -> dict[str, int]:
    present = set(tables)
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for label in KEY_MODELS:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            table = model._meta.db_table
            if table not in present:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied_migrations(connection: BaseDatabaseWrapper, tables: list[str]) -> dict[str, list[str]]:
    if "django_migrations" not in tables:
        return {}
    applied: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            applied.setdefault(app, []).append(name)
    return applied


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    path.chmod(0o600)


# --- PostgreSQL tools ---------------------------------------------------------------------------

_PG_ENV = {
    "HOST": "PGHOST",
    "PORT": "PGPORT",
    "USER": "PGUSER",
    "PASSWORD": "PGPASSWORD",
    "NAME": "PGDATABASE",
}
_PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


def pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The process environment plus the libpq variables of one DATABASES entry. Values the
    entry leaves empty keep what the environment already says (e.g. PGPASSFILE users)."""
    env = dict(os.environ)
    for key, var in _PG_ENV.items():
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    for key, var in _PG_OPTION_ENV.items():
        option = (settings_dict.get("OPTIONS") or {}).get(key)
        if option:
            env[var] = str(option)
    return env


def _tool_major(binary: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a binary we located ourselves
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, server_major: int) -> str:
    """Path of pg_dump/pg_restore whose major version is at least the server's (an older
    pg_dump refuses a newer server). Looks in WUSHE_PG_BIN_DIR, then Debian's
    /usr/lib/postgresql/<major>/bin (newest first), then PATH."""
    candidates: list[str] = []
    if configured := conf.value("PG_BIN_DIR").strip():
        candidates.append(str(Path(configured) / name))
    versioned = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        reverse=True,
    )
    candidates.extend(str(p) for p in versioned)
    if found := shutil.which(name):
        candidates.append(found)
    seen: list[str] = []
    for candidate in candidates:
        if candidate in seen or not os.access(candidate, os.X_OK):
            continue
        seen.append(candidate)
        major = _tool_major(candidate)
        if major is not None and major >= server_major:
            return candidate
    raise BackupError(
        f"{name} for PostgreSQL {server_major} or newer not found (looked at: "
        f"{', '.join(seen) or 'nothing'}). Install postgresql-client-{server_major} or set "
        "WUSHE_PG_BIN_DIR."
    )


def _server_major(connection: BaseDatabaseWrapper) -> int:
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603 - binaries located by pg_tool, no shell
        args, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


# --- backup -------------------------------------------------------------------------------------


def _connection(database: str | BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    """An alias of DATABASES, or a connection made for the purpose (tests, tools)."""
    return database if isinstance(database, BaseDatabaseWrapper) else connections[database]


def default_folder() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"wushe-{stamp}"


def backup_create(
    *,
    folder: Path | None = None,
    database: str | BaseDatabaseWrapper = "default",
    include_media: bool = True,
    log: Log = lambda _m: None,
) -> Path:
    """Write a backup folder (see the module docstring); returns its path."""
    target = Path(folder) if folder else default_folder()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new folder.")
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, mode=0o700)
    connection = _connection(database)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app": {"version": app_version(), "git_commit": git_commit()},
    }
    try:
        if connection.vendor == "postgresql":
            manifest.update(_backup_postgresql(connection, partial, log))
        elif connection.vendor == "sqlite":
            manifest.update(_backup_sqlite(connection, partial, log))
        else:
            raise BackupError(f"backups of {connection.vendor} databases are not supported.")
        manifest["media"] = _backup_media(partial, log) if include_media else None
        if not include_media:
            manifest["media_skipped"] = "--no-media"
        _write_json(partial / MANIFEST, manifest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(target)
    log(f"backup written to {target}")
    return target


def _backup_postgresql(connection: BaseDatabaseWrapper, folder: Path, log: Log) -> dict[str, Any]:
    if connection.in_atomic_block:
        raise BackupError("a PostgreSQL backup cannot run inside a transaction.")
    server_major = _server_major(connection)
    pg_dump = pg_tool("pg_dump", server_major)
    dump = folder / PG_DUMP
    env = pg_environment(connection.settings_dict)
    # One read-only transaction (managed by hand: the connection may not be a DATABASES alias)
    # whose snapshot the counts read and pg_dump joins; it stays open until pg_dump is done.
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            # Must be the transaction's first statement.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # This session idles while pg_dump works: a server-wide
            # idle_in_transaction_session_timeout must not end it (and the snapshot).
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
        tables = _user_tables(connection)
        counts = _row_counts(connection, tables)
        migrations = _applied_migrations(connection, tables)
        log(f"dumping {connection.settings_dict['NAME']} with {pg_dump} (snapshot {snapshot})")
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}"],
            env,
            "pg_dump",
        )
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    dump.chmod(0o600)
    return {
        "database": {
            "vendor": "postgresql",
            "name": connection.settings_dict["NAME"],
            "server_version": server_version,
            "tool": f"pg_dump {_tool_major(pg_dump)}",
        },
        "dump": {**_file_entry(dump), "format": "pg_dump custom"},
        "tables": tables,
        "migrations": migrations,
        "row_counts": counts,
    }


def _backup_sqlite(connection: BaseDatabaseWrapper, folder: Path, log: Log) -> dict[str, Any]:
    copy = folder / SQLITE_COPY
    connection.ensure_connection()
    source = connection.connection
    log(f"copying {connection.settings_dict['NAME']} with the SQLite online backup API")
    destination = sqlite3.connect(copy)
    try:
        source.backup(destination)
    finally:
        destination.close()
    copy.chmod(0o600)
    # Counts and migrations come from the copy itself: they describe exactly what it holds.
    # No init_command: the copy must not be switched to WAL (it would leave -wal files).
    copied = connection.__class__(
        {**connection.settings_dict, "NAME": str(copy), "OPTIONS": {}}, "ops_copy"
    )
    try:
        tables = _user_tables(copied)
        counts = _row_counts(copied, tables)
        migrations = _applied_migrations(copied, tables)
        with copied.cursor() as cursor:
            cursor.execute("SELECT sqlite_version()")
            server_version = cursor.fetchone()[0]
    finally:
        copied.close()
    return {
        "database": {"vendor": "sqlite", "server_version": server_version, "tool": "sqlite3"},
        "dump": {**_file_entry(copy), "format": "sqlite3 database"},
        "tables": tables,
        "migrations": migrations,
        "row_counts": counts,
    }


def _backup_media(folder: Path, log: Log) -> dict[str, Any] | None:
    root = media_root()
    if root is None:
        log("the file storage is not a local folder: files not archived")
        return None
    archive = folder / MEDIA_TAR
    count = 0
    with tarfile.open(archive, "w") as tar:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
                    count += 1
    archive.chmod(0o600)
    log(f"archived {count} uploaded file(s) from {root}")
    return {**_file_entry(archive), "files": count, "root": str(root)}


# --- restore ------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} not found: not a backup folder (or an unfinished one).")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}.")
    return manifest


def _checked(folder: Path, entry: dict[str, Any], what: str) -> Path:
    path = folder / entry["file"]
    if not path.is_file():
        raise BackupError(f"{what} {path} is missing.")
    digest = sha256_of(path)
    if digest != entry["sha256"]:
        raise BackupError(
            f"{what} {path} is damaged: SHA-256 {digest} differs from the manifest's "
            f"{entry['sha256']}. Nothing was restored."
        )
    return path


def backup_restore(
    *,
    folder: Path,
    database: str | BaseDatabaseWrapper = "default",
    force: bool = False,
    include_media: bool = True,
    log: Log = lambda _m: None,
) -> RestoreReport:
    """Restore a backup folder into `database` (and the file storage). Refuses a
    database (or file folder) that already holds something unless `force`; every check runs
    before anything is changed. Afterwards compares the migration state and the row counts
    with the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    connection = _connection(database)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {vendor} database; {connection.alias} is {connection.vendor}."
        )
    dump = _checked(folder, manifest["dump"], "the database dump")
    media = manifest.get("media") if include_media else None
    archive = _checked(folder, media, "the file archive") if media else None
    root = media_root() if archive else None
    if archive is not None and root is None:
        raise BackupError("the file storage is not a local folder; use --no-media.")

    if vendor == "sqlite" and not str(connection.settings_dict["NAME"]).strip():
        raise BackupError("the SQLite database has no file name.")
    existing = _user_tables(connection)
    if existing and not force:
        raise BackupError(
            f"the database {connection.settings_dict['NAME']} is not empty ({len(existing)} "
            "tables); restore into a new, empty database, or add --force to overwrite it."
        )
    if root is not None and _has_files(root) and not force:
        raise BackupError(
            f"the file folder {root} is not empty; empty it, use --no-media, or add --force "
            "(files of the same name are overwritten, others are kept)."
        )

    if vendor == "postgresql":
        _restore_postgresql(connection, dump, force=bool(existing), log=log)
    else:
        _restore_sqlite(connection, dump, log)
    report = RestoreReport(path=folder, vendor=vendor)
    if archive is not None and root is not None:
        report.media_files = _restore_media(archive, root, log)
    _check_restored(connection, manifest, report)
    return report


def _restore_postgresql(
    connection: BaseDatabaseWrapper, dump: Path, *, force: bool, log: Log
) -> None:
    pg_restore = pg_tool("pg_restore", _server_major(connection))
    env = pg_environment(connection.settings_dict)
    connection.close()  # hold no locks while pg_restore works
    args = [
        pg_restore,
        "--exit-on-error",
        "--single-transaction",
        # Objects belong to the restoring role (the platform's own database user).
        "--no-owner",
        "--no-privileges",
        f"--dbname={env['PGDATABASE']}",
    ]
    if force:
        args += ["--clean", "--if-exists"]
    log(f"restoring into {env['PGDATABASE']} with {pg_restore}")
    _run([*args, str(dump)], env, "pg_restore")


def _restore_sqlite(connection: BaseDatabaseWrapper, dump: Path, log: Log) -> None:
    name = str(connection.settings_dict["NAME"])
    connection.close()
    log(f"restoring into {name} with the SQLite online backup API")
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    destination = sqlite3.connect(name)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _restore_media(archive: Path, root: Path, log: Log) -> int:
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        # The "data" filter refuses absolute paths, "..", links out of the folder, devices.
        tar.extractall(root, members=members, filter="data")
    log(f"restored {len(members)} uploaded file(s) into {root}")
    return len(members)


def _as_set(migrations: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(app, name) for app, names in migrations.items() for name in names}


def _check_restored(
    connection: BaseDatabaseWrapper, manifest: dict[str, Any], report: RestoreReport
) -> None:
    tables = _user_tables(connection)
    applied = _applied_migrations(connection, tables)
    if _as_set(applied) != _as_set(manifest["migrations"]):
        raise BackupError(
            "after the restore the applied migrations differ from the manifest's: the restore "
            "is incomplete. Do not use this database."
        )
    counts = _row_counts(connection, tables)
    wrong = {
        table: (expected, counts.get(table))
        for table, expected in manifest["row_counts"].items()
        if counts.get(table) != expected
    }
    if wrong:
        listed = ", ".join(f"{t}: {got} instead of {exp}" for t, (exp, got) in wrong.items())
        raise BackupError(f"after the restore row counts differ from the manifest: {listed}")
    report.row_counts = counts
    report.extra_tables = sorted(set(tables) - set(manifest["tables"]))
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the code's graph only
    known = set(loader.graph.nodes)
    done = _as_set(applied)
    report.pending_migrations = sorted(f"{a}.{n}" for a, n in known - done)
    report.unknown_migrations = sorted(f"{a}.{n}" for a, n in done - known)
