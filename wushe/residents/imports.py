"""The residents spreadsheet (kind "residents") for the import/export engine
(wushe/imports/adapters.py).

A row is one person, matched by ID-number hash: an existing record in the importer's scope is
updated (non-empty cells overwrite, empty cells keep what is there; tags are added, never
ended), a record elsewhere is reported by the engine as registered elsewhere. `write` is bulk
(target: 10,000 rows/s with validation on PostgreSQL): households resolved and created in a few
queries, residents by bulk_create/bulk_update, tags by bulk_create, and one audit event with
counts for the whole commit. A moved-out or deceased record is updated but not reinstated, and
gets no new tags (as `resident_tag_add` refuses them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from wushe.audit.services import audit_record
from wushe.core.errors import ValidationFailed
from wushe.core.personal import seal_id_number, seal_phone
from wushe.imports.adapters import (
    CleanRow,
    Column,
    ImportAdapter,
    ImportContext,
    Kind,
    RowInvalid,
)
from wushe.regions import codes

from .models import (
    DisabilityCategory,
    DisabilityGrade,
    Household,
    Hukou,
    LivingArrangement,
    Relation,
    Resident,
    ResidentStatus,
    ResidentTag,
    Tag,
    TagSource,
)
from .rules import sensitive_visible_annotation, tag_views
from .selectors import filters_from_params, resident_search, residents_by_id_hash

BATCH = 2000

# Labels people write in the 困难群体标签 cell -> tag. The official label first.
TAG_LABELS: dict[str, str] = {
    **{str(label): value for value, label in Tag.choices},
    "低保": Tag.LOW_INCOME,
    "低保户": Tag.LOW_INCOME,
    "特困": Tag.DESTITUTE,
    "特困供养": Tag.DESTITUTE,
    "特困供养人员": Tag.DESTITUTE,
    "五保户": Tag.DESTITUTE,
    "空巢": Tag.EMPTY_NEST_ELDER,
    "独居": Tag.ALONE_ELDER,
    "残疾": Tag.DISABLED,
    "残障人士": Tag.DISABLED,
    "失能": Tag.INCAPACITATED_ELDER,
    "失能人员": Tag.INCAPACITATED_ELDER,
    "计划生育特殊家庭": Tag.FAMILY_PLANNING_SPECIAL,
    "计生特扶": Tag.FAMILY_PLANNING_SPECIAL,
    "失独家庭": Tag.FAMILY_PLANNING_SPECIAL,
}


def _choices(enum: Any, *synonyms: tuple[str, str]) -> tuple[tuple[str, Any], ...]:
    """(value, label) pairs: the official labels, then extra spellings found in real files."""
    return (*((value, str(label)) for value, label in enum.choices), *synonyms)


HUKOU_CHOICES = _choices(Hukou, ("registered", "户籍"), ("permanent", "常住"), ("floating", "流动"))
LIVING_CHOICES = _choices(
    LivingArrangement,
    ("with_spouse", "与配偶"),
    ("with_children", "与子女"),
    ("with_spouse_children", "与配偶及子女"),
    ("institution", "集中供养"),
    ("institution", "机构养老"),
)
RELATION_CHOICES = _choices(
    Relation,
    ("head", "本人"),
    ("spouse", "妻"),
    ("spouse", "夫"),
    ("spouse", "妻子"),
    ("spouse", "丈夫"),
    ("child", "子"),
    ("child", "女"),
    ("child", "儿子"),
    ("child", "女儿"),
    ("child", "长子"),
    ("child", "长女"),
    ("child", "次子"),
    ("child", "次女"),
    ("parent", "父亲"),
    ("parent", "母亲"),
    ("grandchild", "孙子"),
    ("grandchild", "孙女"),
    ("grandchild", "外孙子"),
    ("grandchild", "外孙女"),
    ("child_in_law", "儿媳"),
    ("child_in_law", "女婿"),
)
CATEGORY_CHOICES = _choices(
    DisabilityCategory,
    ("visual", "视力"),
    ("hearing", "听力"),
    ("speech", "言语"),
    ("physical", "肢体"),
    ("intellectual", "智力"),
    ("mental", "精神"),
    ("multiple", "多重"),
)
GRADE_CHOICES = _choices(DisabilityGrade, ("1", "1级"), ("2", "2级"), ("3", "3级"), ("4", "4级"))
SOURCE_CHOICES = _choices(
    TagSource, ("civil_affairs", "民政"), ("community_survey", "摸排"), ("self_declared", "申报")
)

# Fields an update takes from a non-empty cell.
_UPDATE_FIELDS = (
    "name",
    "address",
    "relation_to_head",
    "hukou",
    "living_arrangement",
    "ethnicity",
    "notes",
)
_SEALED_COLUMNS = (
    "id_number_token",
    "id_number_hash",
    "id_number_masked",
    "phone_token",
    "phone_hash",
    "phone_masked",
)


class _Sealed:
    """What `seal_id_number` / `seal_phone` write, without building a Resident per row (a
    model instance costs a third of `clean` at the 10,000 rows/s target)."""

    PERSONAL_PURPOSE = Resident.PERSONAL_PURPOSE
    purpose = Resident.purpose  # bound to Resident: the same encryption purpose
    birth_date: date | None = None
    sex = ""


def _as_date(value: Any) -> date | None:
    """Dates from `clean` survive a JSON round trip in the engine (ISO strings)."""
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _label(pairs: tuple[tuple[str, Any], ...], value: str) -> str:
    return next((str(label) for v, label in pairs if v == value), "") if value else ""


class ResidentAdapter(ImportAdapter):
    kind = "residents"
    entity = "resident"
    label = _lazy("居民")
    import_permission = "residents.add_resident"
    export_permission = "residents.view_register"
    updates_existing = True
    columns = (
        Column("name", "姓名", required=True, max_length=50, example="张秀英"),
        Column(
            "id_number",
            "身份证号",
            aliases=("公民身份号码", "证件号码", "身份证号码", "身份证"),
            required=True,
            kind=Kind.ID_NUMBER,
            example="330481195603120028",
            help=_lazy(
                "18 位（旧 15 位号码会自动升级）。请把该列设为“文本”格式，以免末尾变成 000。"
            ),
        ),
        Column(
            "phone",
            "手机号码",
            aliases=("联系电话", "手机", "手机号", "电话"),
            kind=Kind.PHONE,
            example="13812345678",
        ),
        Column(
            "region",
            "所属社区",
            aliases=("社区", "所属村（社区）", "村（社区）", "所在社区"),
            required=True,
            kind=Kind.REGION,
            example="330481001007",
            help=_lazy("填写社区（村）的 12 位区划代码或名称，须在您的管辖范围内。"),
        ),
        Column("household_number", "户号", max_length=30, example="NGX-0012"),
        Column(
            "address",
            "住址",
            aliases=("家庭住址", "居住地址", "现住址"),
            max_length=200,
            example="南关厢小区 3 幢 2 单元 301 室",
        ),
        Column(
            "relation_to_head",
            "与户主关系",
            kind=Kind.CHOICE,
            choices=RELATION_CHOICES,
            example="户主",
        ),
        Column("hukou", "户籍类型", kind=Kind.CHOICE, choices=HUKOU_CHOICES, example="户籍人口"),
        Column(
            "living_arrangement",
            "居住状况",
            kind=Kind.CHOICE,
            choices=LIVING_CHOICES,
            example="独居",
        ),
        Column("ethnicity", "民族", max_length=20, example="汉族"),
        Column(
            "tags",
            "困难群体标签",
            aliases=("标签", "人员类别", "困难类别"),
            kind=Kind.MULTI,
            example="独居老人、低保对象",
            help=_lazy(
                "可填多个，用顿号分隔：低保对象、特困人员、空巢老人、独居老人、留守老人、留守儿童、"
                "留守妇女、困境儿童、孤儿、残疾人、失能老人、计生特殊家庭。"
            ),
        ),
        Column(
            "disability_category",
            "残疾类别",
            kind=Kind.CHOICE,
            choices=CATEGORY_CHOICES,
            example="肢体残疾",
            help=_lazy("仅残疾人填写。"),
        ),
        Column(
            "disability_grade",
            "残疾等级",
            kind=Kind.CHOICE,
            choices=GRADE_CHOICES,
            example="三级",
            help=_lazy("仅残疾人填写：一级至四级。"),
        ),
        Column("tag_start", "标签开始日期", kind=Kind.DATE, example="2024-01-05"),
        Column(
            "tag_source", "标签来源", kind=Kind.CHOICE, choices=SOURCE_CHOICES, example="社区摸排"
        ),
        Column("notes", "备注", max_length=500),
    )

    # --- matching ------------------------------------------------------------------------------

    def key(self, data: dict[str, Any], ctx: ImportContext) -> str | None:
        return data.get("id_number_hash") or None

    def existing(self, keys: Sequence[str], ctx: ImportContext) -> dict[str, Any]:
        """In scope → pk (the row updates it); a record elsewhere in the same county, or an
        active one in another county → None (registered elsewhere); an old record in another
        county (moved out, deceased) does not stop a new registration here."""
        found: dict[str, Any] = {}
        for digest, matches in residents_by_id_hash(keys, batch=BATCH).items():
            mine = [m for m in matches if _in_prefixes(m.region_code, ctx.scope_prefixes)]
            if mine:
                found[digest] = mine[0].pk
            elif matches and any(
                m.status == ResidentStatus.ACTIVE or _same_county(m.county_code, ctx)
                for m in matches
            ):
                found[digest] = None
        return found

    # --- one row -------------------------------------------------------------------------------

    def clean(self, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
        errors: list[tuple[str, str, Any]] = []
        region = row.get("region") or ""
        if region and codes.level_of(region) != codes.Level.COMMUNITY:
            errors.append(
                ("region", "not_community", _("请填写具体的社区（村），不能只填乡镇（街道）。"))
            )
        person: Any = _Sealed()
        try:
            seal_id_number(person, row.get("id_number"))
        except ValidationFailed as exc:
            errors.append(("id_number", exc.code.split(".")[-1], exc.message))
        try:
            seal_phone(person, row.get("phone"))
        except ValidationFailed as exc:
            errors.append(("phone", exc.code.split(".")[-1], exc.message))

        tags: list[str] = []
        unknown: list[str] = []
        for label in row.get("tags") or []:
            tag = TAG_LABELS.get(str(label).strip())
            if tag is None:
                unknown.append(str(label))
            elif tag not in tags:
                tags.append(tag)
        if unknown:
            errors.append(
                (
                    "tags",
                    "unknown",
                    _("不认识的困难群体标签：%(labels)s。可填：%(allowed)s。")
                    % {
                        "labels": "、".join(unknown),
                        "allowed": "、".join(str(label) for _v, label in Tag.choices),
                    },
                )
            )
        category = row.get("disability_category") or ""
        grade = row.get("disability_grade") or ""
        if Tag.DISABLED in tags:
            if not category:
                errors.append(
                    ("disability_category", "required", _("残疾人须填写残疾类别（如肢体残疾）。"))
                )
            if not grade:
                errors.append(
                    ("disability_grade", "required", _("残疾人须填写残疾等级（一级至四级）。"))
                )
        elif category or grade:
            errors.append(
                (
                    "disability_category",
                    "not_allowed",
                    _("填写了残疾类别或等级，但困难群体标签中没有“残疾人”。"),
                )
            )
        start = row.get("tag_start")
        if start is not None and start > ctx.today:
            errors.append(("tag_start", "future", _("标签开始日期不能晚于今天。")))
        if errors:
            raise RowInvalid(errors=errors)

        return {
            "name": " ".join(str(row["name"]).split()),
            "region": region,
            "id_number_token": person.id_number_token,
            "id_number_hash": person.id_number_hash,
            "id_number_masked": person.id_number_masked,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "sex": person.sex,
            "phone_token": person.phone_token,
            "phone_hash": person.phone_hash,
            "phone_masked": person.phone_masked,
            "household_number": "".join((row.get("household_number") or "").split()),
            "address": row.get("address") or "",
            "relation_to_head": row.get("relation_to_head") or "",
            "hukou": row.get("hukou") or "",
            "living_arrangement": row.get("living_arrangement") or "",
            "ethnicity": row.get("ethnicity") or "",
            "notes": row.get("notes") or "",
            "tags": tags,
            "disability_category": category if tags else "",
            "disability_grade": grade if tags else "",
            "tag_start": (start or ctx.today).isoformat() if tags else None,
            "tag_source": row.get("tag_source") or TagSource.COMMUNITY_SURVEY,
        }

    # --- commit --------------------------------------------------------------------------------

    def write(self, rows: Sequence[CleanRow], ctx: ImportContext) -> tuple[int, int]:
        households, missing = self._households(rows)
        creates = [r.data for r in rows if r.existing_pk is None]
        updates = [r for r in rows if r.existing_pk is not None]
        if connection.vendor == "postgresql":
            created = self._create_copy(creates, households, missing)
        else:
            created = self._create_orm(creates, households, missing)
        updated = self._update(updates, households)
        tags_added = self._add_tags(
            [
                (pk, region, data)
                for pk, region, status, data in [*created, *updated]
                if status == ResidentStatus.ACTIVE
            ]
        )
        self._set_heads({h.pk for h in households.values()})
        audit_record(
            action="residents.resident.imported",
            actor=ctx.user,
            region_code=_common_region([r.data["region"] for r in rows]),
            changes={
                "created": len(created),
                "updated": len(updated),
                "tags_added": tags_added,
                "households_created": len(missing),
            },
        )
        return len(created), len(updated)

    def _create_orm(
        self,
        rows: Sequence[dict[str, Any]],
        households: dict[tuple[str, str], Household],
        missing: Sequence[Household],
    ) -> list[tuple[int, str, str, dict[str, Any]]]:
        """New households and residents by bulk_create: (pk, region, status, data) per row."""
        Household.objects.bulk_create(missing, batch_size=BATCH)
        households.update({(h.region_id, h.number): h for h in missing})
        now = timezone.now()
        objects = [Resident(**_resident_values(data, households, now)) for data in rows]
        Resident.objects.bulk_create(objects, batch_size=BATCH)
        return [
            (obj.pk, obj.region_id, obj.status, data)
            for obj, data in zip(objects, rows, strict=True)
        ]

    def _create_copy(
        self,
        rows: Sequence[dict[str, Any]],
        households: dict[tuple[str, str], Household],
        missing: Sequence[Household],
    ) -> list[tuple[int, str, str, dict[str, Any]]]:
        """The same on PostgreSQL by COPY (the import target is 10,000 rows/s; bulk_create
        spends most of that budget building model instances). Ids come from the sequences
        first, so nothing is read back and a new household names its 户主 in the same insert
        (foreign keys are checked at commit). Row values come from `_resident_values`, as in
        `_create_orm`, so the two paths cannot drift apart."""
        now = timezone.now()
        for household, pk in zip(missing, _next_ids(Household, len(missing)), strict=True):
            household.pk = pk
            households[(household.region_id, household.number)] = household
        new_households = {h.pk: h for h in missing}
        values = []
        for data, pk in zip(rows, _next_ids(Resident, len(rows)), strict=True):
            row = _resident_values(data, households, now)
            row["id"] = pk
            values.append(row)
            new = new_households.get(row["household_id"])
            is_head = data["relation_to_head"] == Relation.HEAD
            if new is not None and new.head_id is None and is_head:
                new.head_id = pk
        _copy(
            Household,
            _HOUSEHOLD_COLUMNS,
            [
                {
                    "id": h.pk,
                    "region_id": h.region_id,
                    "county_code": h.county_code,
                    "number": h.number,
                    "address": h.address,
                    "head_id": h.head_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for h in missing
            ],
        )
        _copy(Resident, ("id", *_RESIDENT_COLUMNS), values)
        return [
            (row["id"], data["region"], ResidentStatus.ACTIVE, data)
            for row, data in zip(values, rows, strict=True)
        ]

    def _households(
        self, rows: Sequence[CleanRow]
    ) -> tuple[dict[tuple[str, str], Household], list[Household]]:
        """Households named in the batch: those found by (community, number), and the missing
        ones as unsaved rows (the caller inserts them)."""
        wanted: dict[tuple[str, str], str] = {}
        for row in rows:
            number = row.data["household_number"]
            if number:
                key = (row.data["region"], number)
                if not wanted.get(key):
                    wanted[key] = row.data["address"]
        found: dict[tuple[str, str], Household] = {}
        # One query per county and batch of numbers (not per community): the pairs are matched
        # here, so a file spread over 236 communities costs a handful of queries, not hundreds.
        by_county: dict[str, set[str]] = defaultdict(set)
        for region, number in wanted:
            by_county[region[:6]].add(number)
        for county, number_set in by_county.items():
            numbers = sorted(number_set)
            for start in range(0, len(numbers), BATCH):
                for household in Household.objects.filter(
                    county_code=county, number__in=numbers[start : start + BATCH]
                ):
                    key = (household.region_id, household.number)
                    if key in wanted:
                        found[key] = household
        missing = []
        for (region, number), address in wanted.items():
            if (region, number) not in found:
                household = Household(number=number, address=address)
                household.place(region)
                missing.append(household)
        return found, missing

    def _update(
        self, rows: Sequence[CleanRow], households: dict[tuple[str, str], Household]
    ) -> list[tuple[int, str, str, dict[str, Any]]]:
        pks = [row.existing_pk for row in rows]
        current: dict[Any, Resident] = {}
        for start in range(0, len(pks), BATCH):
            current.update(
                Resident.objects.select_related("household").in_bulk(pks[start : start + BATCH])
            )
        result: list[tuple[Resident, dict[str, Any]]] = []
        moved: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            resident = current.get(row.existing_pk)
            if resident is None:
                continue
            data = row.data
            for field in _UPDATE_FIELDS:
                if data[field]:
                    setattr(resident, field, data[field])
            if data["phone_hash"]:
                for column in ("phone_token", "phone_hash", "phone_masked"):
                    setattr(resident, column, data[column])
            if data["region"] != resident.region_id and data["region"][:6] == resident.county_code:
                resident.place(data["region"])
                moved[resident.region_id].append(resident.pk)
                if resident.household and resident.household.region_id != resident.region_id:
                    resident.household = None
            household = households.get((resident.region_id, data["household_number"]))
            if household is not None:
                resident.household = household
            result.append((resident, data))
        Resident.objects.bulk_update(
            [r for r, _d in result],
            [*_UPDATE_FIELDS, "phone_token", "phone_hash", "phone_masked", "region", "household"],
            batch_size=1000,
        )
        for region, ids in moved.items():
            ResidentTag.objects.filter(resident_id__in=ids).update(region_id=region)
        return [(r.pk, r.region_id, r.status, data) for r, data in result]

    def _add_tags(self, residents: Sequence[tuple[int, str, dict[str, Any]]]) -> int:
        """Tags of the file that the (active) residents do not carry yet; none are ended."""
        tagged = [(pk, region, data) for pk, region, data in residents if data["tags"]]
        have: set[tuple[int, str]] = set()
        ids = [pk for pk, _region, _data in tagged]
        for offset in range(0, len(ids), BATCH):
            have.update(
                ResidentTag.objects.filter(
                    resident_id__in=ids[offset : offset + BATCH], end_date__isnull=True
                ).values_list("resident_id", "tag")
            )
        now = timezone.now()
        values: list[dict[str, Any]] = []
        for pk, region, data in tagged:
            start = _as_date(data["tag_start"])
            for tag in data["tags"]:
                if (pk, tag) in have:
                    continue
                disabled = tag == Tag.DISABLED
                values.append(
                    {
                        "resident_id": pk,
                        "region_id": region,
                        "county_code": region[:6],
                        "tag": tag,
                        "disability_category": data["disability_category"] if disabled else "",
                        "disability_grade": data["disability_grade"] if disabled else "",
                        "start_date": start,
                        "end_date": None,
                        "source": data["tag_source"],
                        "notes": "",
                        "created_at": now,
                    }
                )
        if connection.vendor == "postgresql":
            _copy(ResidentTag, _TAG_COLUMNS, values)
        else:
            ResidentTag.objects.bulk_create(
                [ResidentTag(**row) for row in values], batch_size=BATCH
            )
        return len(values)

    def _set_heads(self, household_ids: set[int]) -> None:
        """Each household of the batch without a head gets its first 户主 member: one
        statement instead of a bulk_update of thousands of rows."""
        if not household_ids:
            return
        Household.objects.filter(pk__in=household_ids, head__isnull=True).update(
            head=Subquery(
                Resident.objects.filter(household=OuterRef("pk"), relation_to_head=Relation.HEAD)
                .order_by("id")
                .values("pk")[:1]
            )
        )

    # --- export --------------------------------------------------------------------------------

    def export_queryset(self, ctx: ImportContext) -> QuerySet[Any]:
        """The list page's filters (passed through the export URL) apply; bad values are
        ignored rather than failing the download."""
        filters = filters_from_params(ctx.filters)
        return resident_search(user=ctx.user, filters=filters).annotate(
            sensitive_visible=sensitive_visible_annotation(ctx.user)
        )

    def export_row(self, obj: Any) -> list[Any]:
        views = tag_views(
            None, obj, getattr(obj, "current_tags", []), show_all=obj.sensitive_visible
        )
        disability = next((v for v in views if v.tag == Tag.DISABLED), None)
        dated = [v for v in views if v.start_date is not None]
        first = min(dated, key=lambda v: v.start_date or date.max) if dated else None
        return [
            obj.name,
            obj.id_number_masked,
            obj.phone_masked,
            obj.region.short_name,
            obj.household.number if obj.household else "",
            obj.address,
            _label(RELATION_CHOICES, obj.relation_to_head),
            _label(HUKOU_CHOICES, obj.hukou),
            _label(LIVING_CHOICES, obj.living_arrangement),
            obj.ethnicity,
            "、".join(v.label for v in views),
            disability.disability_category_label if disability else "",
            disability.disability_grade_label if disability else "",
            first.start_date if first else None,
            first.source_label if first else "",
            obj.notes,
        ]


def _in_prefixes(code: str, prefixes: Sequence[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def _same_county(county_code: str, ctx: ImportContext) -> bool:
    """Whether a record of `county_code` would clash with this import's unique constraint:
    true when the importer writes into that county."""
    return any(
        prefix[:6] == county_code or county_code.startswith(prefix) for prefix in ctx.scope_prefixes
    )


def _common_region(region_codes: Sequence[str]) -> str:
    """The smallest region containing every row (for the audit event's scope)."""
    if not region_codes:
        return ""
    prefix = region_codes[0]
    for code in region_codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    for digits in sorted(codes.SIGNIFICANT_DIGITS.values(), reverse=True):
        if len(prefix) >= digits:
            return prefix[:digits].ljust(codes.CODE_LENGTH, "0")
    return ""


_RESIDENT_COLUMNS = tuple(f.attname for f in Resident._meta.concrete_fields if not f.primary_key)
_HOUSEHOLD_COLUMNS = tuple(f.attname for f in Household._meta.concrete_fields)
_TAG_COLUMNS = tuple(f.attname for f in ResidentTag._meta.concrete_fields if not f.primary_key)


def _resident_values(
    data: dict[str, Any], households: dict[tuple[str, str], Household], now: Any
) -> dict[str, Any]:
    """Every column of a new resident row (a KeyError here means a new model field needs a
    value: both insert paths use this)."""
    household = households.get((data["region"], data["household_number"]))
    values = {
        "region_id": data["region"],
        "county_code": data["region"][:6],
        "name": data["name"],
        "sex": data["sex"],
        "birth_date": _as_date(data["birth_date"]),
        **{column: data[column] for column in _SEALED_COLUMNS},
        "household_id": household.pk if household else None,
        "relation_to_head": data["relation_to_head"],
        "address": data["address"],
        "hukou": data["hukou"] or Hukou.REGISTERED,
        "living_arrangement": data["living_arrangement"],
        "ethnicity": data["ethnicity"],
        "notes": data["notes"],
        "user_id": None,
        "status": ResidentStatus.ACTIVE,
        "moved_out_on": None,
        "moved_out_to": "",
        "deceased_on": None,
        "created_at": now,
        "updated_at": now,
    }
    return {column: values[column] for column in _RESIDENT_COLUMNS}


def _copy(model: Any, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL COPY of `rows` (dicts by attname) into the model's table, in the caller's
    transaction. Constraints and indexes apply as for INSERT."""
    if not rows:
        return
    meta = model._meta
    names = ", ".join(connection.ops.quote_name(meta.get_field(c).column) for c in columns)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _next_ids(model: Any, count: int) -> list[int]:
    """`count` fresh ids from the table's sequence (PostgreSQL), in one query."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]
