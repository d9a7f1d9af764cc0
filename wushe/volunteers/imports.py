"""Spreadsheet import/export of the volunteer register (kind "volunteers"), per the contract
in wushe/imports/adapters.py. A row is matched to an existing volunteer by county + ID-number
hash; new rows need "是否已签署知情同意 = 是" and get a consent record, exactly like
`volunteer_register`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import scope_filter
from wushe.core import crypto
from wushe.core.errors import ValidationFailed
from wushe.core.identifiers import IdNumber, age_on
from wushe.core.masking import mask_id_number, mask_phone
from wushe.core.personal import id_number_hash, phone_hash
from wushe.imports.adapters import CleanRow, Column, ImportAdapter, ImportContext, Kind, RowInvalid
from wushe.privacy.models import Consent, ConsentPurpose
from wushe.privacy.services import GUARDIAN_AGE
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term

from . import availability as slots
from . import services
from .models import PoliticalStatus, TeamMembership, Volunteer, VolunteerTeam
from .selectors import apply_filters, filter_from_query

_COORD_SYSTEMS = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "gps": "wgs84", "wgs": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "高德": "gcj02", "腾讯": "gcj02", "火星": "gcj02",
    "火星坐标": "gcj02", "国测局": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "百度": "bd09", "百度坐标": "bd09",
}  # fmt: skip
_COORD_LABEL = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
EXPORT_COORD_DECIMALS = 3  # ≈ 100 m: an export does not pinpoint anyone's home


def _seal(purpose: str, value: str) -> str:
    return crypto.encrypt(value, purpose=f"{Volunteer.PERSONAL_PURPOSE}.{purpose}")


class VolunteerAdapter(ImportAdapter):
    kind = "volunteers"
    entity = "volunteer"
    label = _lazy("志愿者")
    import_permission = "volunteers.import_volunteer"
    export_permission = "volunteers.export_volunteer"
    updates_existing = True
    columns = (
        Column(
            "name", "姓名", aliases=("志愿者姓名",), required=True, max_length=50, example="李志愿"
        ),
        Column(
            "id_number",
            "身份证号",
            aliases=("公民身份号码", "身份证号码", "证件号码", "身份证"),
            required=True,
            kind=Kind.ID_NUMBER,
            example="330481199003070029",
        ),
        Column(
            "phone",
            "手机号码",
            aliases=("手机号", "手机", "联系电话", "联系方式"),
            kind=Kind.PHONE,
            example="13812345678",
        ),
        Column(
            "region",
            "所属社区",
            aliases=("社区", "村（社区）", "所在社区", "居住社区", "社区代码"),
            required=True,
            kind=Kind.REGION,
            example="330481001007",
            help=_lazy("填写村（社区）的 12 位区划代码或名称，须在您的管辖范围内。"),
        ),
        Column(
            "skills",
            "技能特长",
            aliases=("技能", "特长", "专长"),
            kind=Kind.TERMS,
            vocabulary="skill",
            example="医疗护理、智能手机教学",
        ),
        Column(
            "availability",
            "可服务时间",
            aliases=("服务时间", "空闲时间"),
            kind=Kind.MULTI,
            example="周一上午、周六全天",
            help=_lazy("如“周一上午、周三晚上、周六全天”“工作日晚上”“周末”，用顿号分隔。"),
        ),
        Column(
            "number",
            "志愿者编号",
            aliases=("编号", "注册编号"),
            max_length=32,
            help=_lazy("已有编号的照填；不填则由系统按“区县代码+年份+序号”生成。"),
        ),
        Column(
            "registered_on",
            "注册日期",
            aliases=("注册时间", "登记日期"),
            kind=Kind.DATE,
            example="2024-01-05",
            help=_lazy("不填则为导入当天。"),
        ),
        Column(
            "consent",
            "是否已签署知情同意",
            aliases=("知情同意", "是否同意", "已签署知情同意"),
            required=True,
            kind=Kind.BOOL,
            example="是",
            help=_lazy("须为“是”：本人（不满十四周岁的由监护人）已签署个人信息处理知情同意书。"),
        ),
        Column("guardian_name", "监护人姓名", max_length=50),
        Column("guardian_relation", "监护人关系", max_length=20, example=""),
        Column(
            "team",
            "所属队伍",
            aliases=("志愿服务队", "队伍"),
            max_length=100,
            help=_lazy("本区县、您管辖范围内已建立的志愿服务队名称。"),
        ),
        Column(
            "political_status",
            "政治面貌",
            kind=Kind.CHOICE,
            choices=tuple((value, label) for value, label in PoliticalStatus.choices),
        ),
        Column("longitude", "经度", max_length=20, example="120.688"),
        Column("latitude", "纬度", max_length=20, example="30.512"),
        Column(
            "coord_source",
            "坐标系",
            max_length=20,
            example="WGS-84",
            help=_lazy("WGS-84（GPS）、GCJ-02（高德、腾讯）或 BD-09（百度），不填视为 WGS-84。"),
        ),
    )

    # --- import ------------------------------------------------------------------------------

    def prepare(self, ctx: ImportContext) -> None:
        teams: dict[tuple[str, str], list[int]] = {}
        queryset = VolunteerTeam.objects.all()
        if "" not in ctx.scope_prefixes:
            from django.db.models import Q

            q = Q(pk__in=[])
            for prefix in ctx.scope_prefixes:
                low, high = codes.scope_range(prefix)
                q |= Q(region__gte=low, region__lte=high)
            queryset = queryset.filter(q)
        for pk, county, name in queryset.values_list("pk", "county_code", "name"):
            teams.setdefault((county, name), []).append(pk)
        ctx.cache["teams"] = teams
        ctx.cache["communities"] = set()

    def _is_community(self, code: str, ctx: ImportContext) -> bool:
        known: set[str] = ctx.cache.setdefault("communities", set())
        if code in known:
            return True
        if Region.objects.filter(code=code, level=services.COMMUNITY_LEVEL).exists():
            known.add(code)
            return True
        return False

    def key(self, data: dict[str, Any], ctx: ImportContext) -> str | None:
        return f"{data['county_code']}:{data['id_number_hash']}"

    def existing(self, keys: Sequence[str], ctx: ImportContext) -> dict[str, Any]:
        by_county: dict[str, list[str]] = {}
        for key in keys:
            county, _sep, hash_value = key.partition(":")
            by_county.setdefault(county, []).append(hash_value)
        found: dict[str, Any] = {}
        for county, hashes in by_county.items():
            for pk, region_id, hash_value in Volunteer.objects.filter(
                county_code=county, id_number_hash__in=hashes
            ).values_list("pk", "region_id", "id_number_hash"):
                inside = any(region_id.startswith(p) for p in ctx.scope_prefixes)
                found[f"{county}:{hash_value}"] = pk if inside else None
        return found

    def clean(self, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
        errors: list[tuple[str, str, Any]] = []
        if row.get("consent") is not True:
            errors.append(
                (
                    "consent",
                    "volunteer.consent_required",
                    _(
                        "注册志愿者须本人（不满十四周岁的由监护人）签署个人信息处理知情同意书；"
                        "“是否已签署知情同意”须为“是”。"
                    ),
                )
            )
        region = row["region"]
        if not self._is_community(region, ctx):
            errors.append(
                ("region", "not_community", _("所属社区应为村（社区），不能是乡镇或区县。"))
            )
        parsed: IdNumber = row["id_number"]
        registered_on: date = row.get("registered_on") or ctx.today
        if registered_on > ctx.today:
            errors.append(("registered_on", "future", _("注册日期不能晚于今天。")))
        guardian_name = row.get("guardian_name") or ""
        guardian_relation = row.get("guardian_relation") or ""
        if age_on(parsed.birth_date, registered_on) < GUARDIAN_AGE and not (
            guardian_name and guardian_relation
        ):
            errors.append(
                (
                    "guardian_name",
                    "required",
                    _("不满十四周岁的未成年人须由监护人同意：请填写监护人姓名和监护人关系。"),
                )
            )
        mask = 0
        if row.get("availability"):
            try:
                mask = slots.parse(row["availability"])
            except ValidationFailed as exc:
                errors.append(("availability", "format", exc.message))
        number = ""
        try:
            number = services.check_number(row.get("number") or "")
        except ValidationFailed as exc:
            errors.append(("number", "format", exc.message))
        system = ""
        raw_system = (row.get("coord_source") or "").strip().lower().replace(" ", "")
        if raw_system:
            system = _COORD_SYSTEMS.get(raw_system, "")
            if not system:
                errors.append(
                    (
                        "coord_source",
                        "choice",
                        _("坐标系应为 WGS-84、GCJ-02（高德、腾讯）或 BD-09（百度）。"),
                    )
                )
        latitude = longitude = None
        source = ""
        try:
            lat, lng, source = services.check_location(
                row.get("latitude"), row.get("longitude"), system or "wgs84"
            )
            latitude = str(lat) if lat is not None else None
            longitude = str(lng) if lng is not None else None
        except ValidationFailed as exc:
            field = "latitude" if exc.code.endswith("incomplete") else "longitude"
            errors.append((field, exc.code.rsplit(".", 1)[-1], exc.message))
        team_id = None
        if row.get("team"):
            county = region[:6]
            matches = ctx.cache["teams"].get((county, row["team"]), [])
            if len(matches) != 1:
                errors.append(
                    (
                        "team",
                        "unknown" if not matches else "ambiguous",
                        _("找不到名为“%(name)s”的志愿服务队（须在本区县、您的管辖范围内）。")
                        % {"name": row["team"]}
                        if not matches
                        else _("有多个名为“%(name)s”的志愿服务队，请先改为不同的名称。")
                        % {"name": row["team"]},
                    )
                )
            else:
                team_id = matches[0]
        if errors:
            raise RowInvalid(errors=errors)
        phone = row.get("phone") or ""
        # Only sealed values leave `clean`: the engine may keep cleaned rows between preview
        # and commit, and the plaintext ID number must not rest anywhere.
        return {
            "name": services.check_name(row["name"]),
            "id_number_token": _seal("id_number", parsed.number),
            "id_number_hash": id_number_hash(parsed.number),
            "id_number_masked": mask_id_number(parsed.number),
            "birth_date": parsed.birth_date,
            "sex": parsed.sex,
            "phone_token": _seal("phone", phone) if phone else "",
            "phone_hash": phone_hash(phone) if phone else "",
            "phone_masked": mask_phone(phone) if phone else "",
            "region": region,
            "county_code": region[:6],
            "skills": [t.pk for t in row.get("skills") or []],
            "availability": mask,
            "number": number,
            "registered_on": registered_on,
            "guardian_name": guardian_name,
            "guardian_relation": guardian_relation,
            "team": team_id,
            "political_status": row.get("political_status") or "",
            "latitude": latitude,
            "longitude": longitude,
            "coord_source": source,
        }

    def write(self, rows: Sequence[CleanRow], ctx: ImportContext) -> tuple[int, int]:
        term_ids = {pk for row in rows for pk in row.data["skills"]}
        terms = Term.objects.in_bulk(term_ids)
        team_ids = {row.data["team"] for row in rows if row.data["team"]}
        teams = VolunteerTeam.objects.in_bulk(team_ids)
        existing = (
            Volunteer.objects.select_for_update().in_bulk(
                [row.existing_pk for row in rows if row.existing_pk is not None]
            )
            if any(row.existing_pk is not None for row in rows)
            else {}
        )
        drafts: list[services.VolunteerDraft] = []
        for row in rows:
            data = row.data
            if row.existing_pk is not None:
                volunteer = existing[row.existing_pk]
                _apply_update(volunteer, data)
                skills = [terms[pk] for pk in data["skills"]] if data["skills"] else None
                if skills is None:
                    # An empty skills cell keeps the current skills.
                    skills = list(volunteer.skills.all())
            else:
                volunteer = Volunteer(
                    name=data["name"],
                    sex=data["sex"],
                    birth_date=_as_date(data["birth_date"]),
                    id_number_token=data["id_number_token"],
                    id_number_hash=data["id_number_hash"],
                    id_number_masked=data["id_number_masked"],
                    phone_token=data["phone_token"],
                    phone_hash=data["phone_hash"],
                    phone_masked=data["phone_masked"],
                    number=data["number"],
                    registered_on=_as_date(data["registered_on"]),
                    availability=data["availability"],
                    political_status=data["political_status"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    coord_source=data["coord_source"],
                )
                volunteer.place(data["region"])
                skills = [terms[pk] for pk in data["skills"]]
            drafts.append(
                services.VolunteerDraft(
                    volunteer=volunteer,
                    skills=skills,
                    guardian_name=data["guardian_name"],
                    guardian_relation=data["guardian_relation"],
                    team=teams.get(data["team"]) if data["team"] else None,
                )
            )
        numbers = [
            d.volunteer.number for d in drafts if d.volunteer.pk is None and d.volunteer.number
        ]
        if numbers:
            taken = set(
                Volunteer.objects.filter(number__in=numbers).values_list("number", flat=True)
            )
            if taken or len(set(numbers)) != len(numbers):
                raise ValidationFailed(
                    _("志愿者编号已被使用或在文件中重复：%(n)s")
                    % {"n": "、".join(sorted(taken) or numbers)},
                    code="volunteer.number.duplicate",
                )
        return services.volunteer_bulk_write(
            drafts=drafts, actor=ctx.user, source="import", today=ctx.today
        )

    # --- export ------------------------------------------------------------------------------

    def export_queryset(self, ctx: ImportContext) -> QuerySet[Any]:
        consented = Consent.objects.filter(
            subject_type=Volunteer._meta.label_lower,
            subject_id=OuterRef("pk"),
            purpose=ConsentPurpose.VOLUNTEER_RECORD,
            withdrawn_at__isnull=True,
        )
        scoped = scope_filter(Volunteer.objects.all(), ctx.user, "region", WORKER_ROLES)
        return (
            apply_filters(scoped, filter_from_query(ctx.filters))
            .annotate(has_consent=Exists(consented))
            .prefetch_related(
                "skills",
                Prefetch("memberships", queryset=TeamMembership.objects.select_related("team")),
            )
            .order_by("region_id", "number", "id")
        )

    def export_row(self, obj: Any) -> list[Any]:
        volunteer: Volunteer = obj
        lat = lng = ""
        if volunteer.has_location:
            lat = str(round(volunteer.latitude, EXPORT_COORD_DECIMALS))  # type: ignore[arg-type]
            lng = str(round(volunteer.longitude, EXPORT_COORD_DECIMALS))  # type: ignore[arg-type]
        return [
            volunteer.name,
            volunteer.id_number_masked,
            volunteer.phone_masked,
            volunteer.region_id,
            "、".join(t.name for t in volunteer.skills.all()),
            slots.render(volunteer.availability),
            volunteer.number,
            volunteer.registered_on,
            "是" if getattr(volunteer, "has_consent", False) else "否",
            "",
            "",
            "、".join(m.team.name for m in volunteer.memberships.all()),
            str(volunteer.get_political_status_display()) if volunteer.political_status else "",
            lng,
            lat,
            _COORD_LABEL["wgs84"] if volunteer.has_location else "",
        ]


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _apply_update(volunteer: Volunteer, data: dict[str, Any]) -> None:
    """A spreadsheet row over an existing record: filled cells win, empty ones keep what is
    there (a blank phone cell does not erase a known phone)."""
    volunteer.name = data["name"]
    if data["phone_token"]:
        volunteer.phone_token = data["phone_token"]
        volunteer.phone_hash = data["phone_hash"]
        volunteer.phone_masked = data["phone_masked"]
    volunteer.place(data["region"])
    if data["availability"]:
        volunteer.availability = data["availability"]
    if data["political_status"]:
        volunteer.political_status = data["political_status"]
    if data["latitude"] is not None:
        volunteer.latitude = data["latitude"]
        volunteer.longitude = data["longitude"]
        volunteer.coord_source = data["coord_source"]
