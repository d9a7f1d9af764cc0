"""The social workers spreadsheet (kind "social_workers") for the import/export engine
(wushe/imports/adapters.py).

A row is one certified social worker, matched by ID-number hash: a record in the importer's
scope is updated (non-empty cells overwrite, empty cells keep what is there), a record
elsewhere is reported by the engine as registered elsewhere. Lookups (organisations by name,
stations by name, certificate numbers already used) are loaded once in `prepare`; `write` is
bulk and writes one audit event with counts for the whole commit. Exports are masked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from wushe.audit.services import audit_record
from wushe.core.errors import DomainError
from wushe.core.personal import seal_id_number, seal_phone
from wushe.imports.adapters import CleanRow, Column, ImportAdapter, ImportContext, Kind, RowInvalid
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.stations.models import ServiceStation

from .models import CertificateLevel, SocialWorker
from .selectors import filters_from_params, social_worker_search
from .services import (
    DERIVED_FIELDS,
    Errors,
    check_certificate_number,
    check_dates,
    derive_registration,
)

BATCH = 2000

# What people write in the 证书等级 cell → level. The official names first.
LEVEL_LABELS: dict[str, str] = {
    "助理社会工作师": CertificateLevel.ASSISTANT,
    "社会工作师": CertificateLevel.INTERMEDIATE,
    "高级社会工作师": CertificateLevel.SENIOR,
    "助理社工师": CertificateLevel.ASSISTANT,
    "初级": CertificateLevel.ASSISTANT,
    "初级社会工作师": CertificateLevel.ASSISTANT,
    "社工师": CertificateLevel.INTERMEDIATE,
    "中级": CertificateLevel.INTERMEDIATE,
    "中级社会工作师": CertificateLevel.INTERMEDIATE,
    "高级": CertificateLevel.SENIOR,
    "高级社工师": CertificateLevel.SENIOR,
    **{value: value for value in CertificateLevel.values},
}
_SEALED_COLUMNS = (
    "id_number_token",
    "id_number_hash",
    "id_number_masked",
    "phone_token",
    "phone_hash",
    "phone_masked",
)
# Fields an update takes from a non-empty cell (flags only when the cell was filled in).
_UPDATE_FIELDS = (
    "name",
    "certificate_level",
    "certificate_number",
    "certificate_date",
    "registered_on",
    "employer_id",
    "station_id",
    "resident_at_station",
    "is_community_worker",
)


def _as_date(value: Any) -> date | None:
    """Dates from `clean` as ISO strings survive a JSON round trip in the engine."""
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _in_prefixes(code: str, prefixes: Sequence[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def _county_prefixes(prefixes: Sequence[str]) -> list[str]:
    """The county (or wider) prefixes around a scope: lookups also find organisations and
    stations of the township or county a community's worker belongs to."""
    return sorted({prefix[:6] for prefix in prefixes})


def _region_q(field: str, prefixes: Sequence[str]) -> Q:
    if "" in prefixes:
        return Q()
    q = Q(pk__in=[])
    for prefix in prefixes:
        low, high = codes.scope_range(prefix)
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


def _serves(container_code: str, region_code: str) -> bool:
    """Whether `region_code` lies within the region `container_code`."""
    return region_code.startswith(codes.significant_prefix(container_code))


def _common_region(region_codes: Sequence[str]) -> str:
    """The narrowest region containing all the codes (12 digits), for the audit event."""
    if not region_codes:
        return ""
    prefix = region_codes[0]
    for code in region_codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    for length in sorted(codes.SIGNIFICANT_DIGITS.values(), reverse=True):
        if len(prefix) >= length:
            return prefix[:length].ljust(codes.CODE_LENGTH, "0")
    return ""


class SocialWorkerAdapter(ImportAdapter):
    kind = "social_workers"
    entity = "social_worker"
    label = _lazy("社会工作者")
    import_permission = "socialworkers.import_socialworker"
    export_permission = "socialworkers.export_socialworker"
    updates_existing = True
    columns = (
        Column("name", "姓名", required=True, max_length=50, example="王晓燕"),
        Column(
            "id_number",
            "身份证号",
            aliases=("公民身份号码", "证件号码", "身份证号码", "身份证"),
            required=True,
            kind=Kind.ID_NUMBER,
            example="330481199003070029",
            help=_lazy("18 位。请把该列设为“文本”格式，以免末尾变成 000。"),
        ),
        Column(
            "phone",
            "手机号码",
            aliases=("联系电话", "手机", "手机号"),
            kind=Kind.PHONE,
            example="13812345678",
        ),
        Column(
            "certificate_level",
            "证书等级",
            aliases=("职业水平等级", "等级"),
            required=True,
            max_length=20,
            example="社会工作师",
            help=_lazy("助理社会工作师、社会工作师或高级社会工作师（也可填初级、中级、高级）。"),
        ),
        Column(
            "certificate_number",
            "证书编号",
            aliases=("证书号", "证书管理号"),
            required=True,
            max_length=40,
            example="2019330481000123",
        ),
        Column(
            "certificate_date",
            "取得证书日期",
            aliases=("发证日期", "取证日期", "证书日期"),
            required=True,
            kind=Kind.DATE,
            example="2019-10-26",
            help=_lazy("取得证书后 1 年内应首次登记，此后每 3 年延续登记。"),
        ),
        Column(
            "registered_on",
            "登记日期",
            aliases=("首次登记日期", "注册日期"),
            kind=Kind.DATE,
            example="2020-03-15",
        ),
        Column(
            "employer",
            "所在单位",
            aliases=("工作单位", "单位"),
            max_length=200,
            example="海宁市硖石街道善行社会工作服务中心",
            help=_lazy("须是平台上已登记的社会组织的全称。"),
        ),
        Column(
            "station",
            "所属社工站",
            aliases=("所属站点", "社工站"),
            max_length=100,
            example="硖石街道社会工作服务站",
        ),
        Column(
            "region",
            "所属区划",
            aliases=("所属乡镇（街道）", "所属社区", "区划代码"),
            required=True,
            kind=Kind.REGION,
            example="330481001000",
            help=_lazy("乡镇（街道）或社区（村）的区划代码或名称，须在您的管辖范围内。"),
        ),
        Column("resident_at_station", "是否驻站", aliases=("驻站",), kind=Kind.BOOL, example="是"),
        Column(
            "is_community_worker",
            "是否社区专职工作者",
            aliases=("社区专职工作者", "是否社区工作者"),
            kind=Kind.BOOL,
            example="否",
        ),
    )

    # --- lookups -------------------------------------------------------------------------------

    def prepare(self, ctx: ImportContext) -> None:
        around = _county_prefixes(ctx.scope_prefixes)
        organizations: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, name, region_id in Organization.objects.filter(
            _region_q("region", around)
        ).values_list("pk", "name", "region_id"):
            organizations[name].append((pk, region_id))
        stations: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, name, region_id in ServiceStation.objects.filter(
            _region_q("region", around), active=True
        ).values_list("pk", "name", "region_id"):
            stations[name].append((pk, region_id))
        certificates: dict[tuple[str, str], str] = {}
        for county, number, digest in SocialWorker.objects.filter(
            _region_q("region", around)
        ).values_list("county_code", "certificate_number", "id_number_hash"):
            certificates[(county, number)] = digest
        ctx.cache["organizations"] = organizations
        ctx.cache["stations"] = stations
        ctx.cache["certificates"] = certificates
        ctx.cache["certificates_in_file"] = {}

    def key(self, data: dict[str, Any], ctx: ImportContext) -> str | None:
        return data.get("id_number_hash") or None

    def existing(self, keys: Sequence[str], ctx: ImportContext) -> dict[str, Any]:
        """In scope → pk (the row updates it); registered elsewhere in a county the importer
        works in → None. One person may be registered in several counties (each county keeps
        its own register), so records in other counties do not stop a row."""
        found: dict[str, Any] = {}
        counties = {prefix[:6] for prefix in ctx.scope_prefixes}
        for start in range(0, len(keys), BATCH):
            for pk, digest, region_id in SocialWorker.objects.filter(
                id_number_hash__in=keys[start : start + BATCH]
            ).values_list("pk", "id_number_hash", "region_id"):
                if _in_prefixes(region_id, ctx.scope_prefixes):
                    found[digest] = pk
                elif digest not in found and _in_prefixes(region_id, sorted(counties)):
                    found[digest] = None
        return found

    def _pick(
        self,
        table: str,
        name: str,
        region: str,
        ctx: ImportContext,
        field: str,
        errors: list[tuple[str, str, Any]],
    ) -> int | None:
        """An organisation or station by exact name: in the importer's scope, or the one of
        the area the row's region belongs to (a community's worker at the township station)."""
        if not name:
            return None
        candidates = [
            pk
            for pk, code in ctx.cache[table].get(name, [])
            if code[:6] == region[:6]
            and (_in_prefixes(code, ctx.scope_prefixes) or _serves(code, region))
        ]
        if not candidates:
            message = (
                _("找不到名为“%(name)s”的社会组织，请先在平台登记该组织，或核对名称是否为全称。")
                if table == "organizations"
                else _("找不到名为“%(name)s”的站点，请核对名称，或先在平台登记该站点。")
            )
            errors.append((field, "not_found", message % {"name": name}))
            return None
        if len(candidates) > 1:
            errors.append(
                (
                    field,
                    "ambiguous",
                    _("有多个名为“%(name)s”的记录，无法确定是哪一个。") % {"name": name},
                )
            )
            return None
        return candidates[0]

    # --- one row -------------------------------------------------------------------------------

    def clean(self, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
        errors: list[tuple[str, str, Any]] = []
        region = row.get("region") or ""
        if region and codes.level_of(region) not in (codes.Level.TOWNSHIP, codes.Level.COMMUNITY):
            errors.append(
                ("region", "level", _("请填写乡镇（街道）或社区（村），不能只填县（市、区）以上。"))
            )
        person = SocialWorker()
        try:
            seal_id_number(person, row.get("id_number"))
        except DomainError as exc:
            errors.append(("id_number", exc.code.split(".")[-1], exc.message))
        try:
            seal_phone(person, row.get("phone"))
        except DomainError as exc:
            errors.append(("phone", exc.code.split(".")[-1], exc.message))

        level_text = "".join(str(row.get("certificate_level") or "").split())
        level = LEVEL_LABELS.get(level_text) or LEVEL_LABELS.get(level_text.lower(), "")
        if not level:
            errors.append(
                (
                    "certificate_level",
                    "invalid",
                    _("证书等级应为助理社会工作师、社会工作师或高级社会工作师。"),
                )
            )
        checks = Errors()
        number = check_certificate_number(row.get("certificate_number"), checks)
        certificate_date = row.get("certificate_date")
        registered_on = row.get("registered_on")
        check_dates(certificate_date, registered_on, ctx.today, checks)
        for field, code, message in checks.items:
            errors.append((field, code.rsplit(".", 1)[-1], message))

        if number and region and person.id_number_hash:
            owner = ctx.cache["certificates"].get((region[:6], number))
            in_file = ctx.cache["certificates_in_file"].setdefault(
                (region[:6], number), person.id_number_hash
            )
            if (owner and owner != person.id_number_hash) or in_file != person.id_number_hash:
                errors.append(
                    (
                        "certificate_number",
                        "duplicate",
                        _("证书编号 %(n)s 已被另一位社会工作者使用，请核对。") % {"n": number},
                    )
                )
        employer_id = station_id = None
        if region:
            employer_id = self._pick(
                "organizations", row.get("employer") or "", region, ctx, "employer", errors
            )
            station_id = self._pick(
                "stations", row.get("station") or "", region, ctx, "station", errors
            )
        resident = row.get("resident_at_station")
        if resident and station_id is None and not row.get("station"):
            errors.append(
                ("resident_at_station", "no_station", _("填写了驻站，但没有填写所属社工站。"))
            )
        if errors:
            raise RowInvalid(errors=errors)
        return {
            "name": " ".join(str(row["name"]).split()),
            "region": region,
            **{column: getattr(person, column) for column in _SEALED_COLUMNS},
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "sex": person.sex,
            "certificate_level": level,
            "certificate_number": number,
            "certificate_date": certificate_date.isoformat() if certificate_date else None,
            "registered_on": registered_on.isoformat() if registered_on else None,
            "employer_id": employer_id,
            "station_id": station_id,
            # None: the cell was empty (an update keeps the current value).
            "resident_at_station": resident,
            "is_community_worker": row.get("is_community_worker"),
        }

    # --- commit --------------------------------------------------------------------------------

    def write(self, rows: Sequence[CleanRow], ctx: ImportContext) -> tuple[int, int]:
        creates = [r for r in rows if r.existing_pk is None]
        updates = [r for r in rows if r.existing_pk is not None]

        new_workers: list[SocialWorker] = []
        for row in creates:
            data = row.data
            worker = SocialWorker(
                name=data["name"],
                sex=data["sex"],
                birth_date=_as_date(data["birth_date"]),
                certificate_level=data["certificate_level"],
                certificate_number=data["certificate_number"],
                certificate_date=_as_date(data["certificate_date"]) or ctx.today,  # required
                registered_on=_as_date(data["registered_on"]),
                employer_id=data["employer_id"],
                station_id=data["station_id"],
                resident_at_station=bool(data["resident_at_station"]),
                is_community_worker=bool(data["is_community_worker"]),
                **{column: data[column] for column in _SEALED_COLUMNS},
            )
            worker.place(data["region"])
            new_workers.append(worker)
        derive_registration(new_workers)
        SocialWorker.objects.bulk_create(new_workers, batch_size=BATCH)

        changed = self._update(updates)
        audit_record(
            action="socialworkers.social_worker.imported",
            actor=ctx.user,
            region_code=_common_region([r.data["region"] for r in rows]),
            changes={"created": len(new_workers), "updated": len(changed)},
        )
        return len(new_workers), len(changed)

    def _update(self, rows: Sequence[CleanRow]) -> list[SocialWorker]:
        pks = [row.existing_pk for row in rows]
        current: dict[Any, SocialWorker] = {}
        for start in range(0, len(pks), BATCH):
            current.update(SocialWorker.objects.in_bulk(pks[start : start + BATCH]))
        result: list[SocialWorker] = []
        for row in rows:
            worker = current.get(row.existing_pk)
            if worker is None:
                continue
            data = {
                **row.data,
                "certificate_date": _as_date(row.data["certificate_date"]),
                "registered_on": _as_date(row.data["registered_on"]),
            }
            for field in _UPDATE_FIELDS:
                if data[field] is not None and data[field] != "":
                    setattr(worker, field, data[field])
            if data["phone_hash"]:
                for column in ("phone_token", "phone_hash", "phone_masked"):
                    setattr(worker, column, data[column])
            if data["region"][:6] == worker.county_code:
                worker.place(data["region"])
            if worker.station_id is None:
                worker.resident_at_station = False
            result.append(worker)
        derive_registration(result)
        SocialWorker.objects.bulk_update(
            result,
            [
                *_UPDATE_FIELDS,
                "phone_token",
                "phone_hash",
                "phone_masked",
                "region",
                *DERIVED_FIELDS,
            ],
            batch_size=1000,
        )
        return result

    # --- export --------------------------------------------------------------------------------

    def export_queryset(self, ctx: ImportContext) -> QuerySet[Any]:
        """The records the user may see; the list page's filters (passed through the export
        URL) apply, unusable values are ignored."""
        return social_worker_search(user=ctx.user, filters=filters_from_params(ctx.filters))

    def export_row(self, obj: Any) -> list[Any]:
        def yes_no(flag: bool) -> str:
            return _("是") if flag else _("否")

        return [
            obj.name,
            obj.id_number_masked,
            obj.phone_masked,
            str(obj.get_certificate_level_display()),
            obj.certificate_number,
            obj.certificate_date,
            obj.registered_on,
            obj.employer.name if obj.employer_id else "",
            obj.station.name if obj.station_id else "",
            obj.region.short_name,
            yes_no(obj.resident_at_station),
            yes_no(obj.is_community_worker),
        ]
