"""Every write to the residents register. Each service validates, changes and writes its audit
event in one transaction. Personal data reaches the audit log masked only (the `*_masked`
columns); for sensitive tags the audit log names the tag row, not its kind (rules.py: auditors
read the audit log but must not learn who is 低保/残疾…).

Error codes: `resident.<field>.<rule>` (e.g. `resident.id_number.checksum`,
`resident.region.out_of_scope`), `resident.tag.*`, `household.*`,
`resident.invalid_transition`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, ValidationFailed
from wushe.core.identifiers import IdNumber
from wushe.core.personal import seal_id_number, seal_phone
from wushe.privacy.models import Consent, ConsentMethod, ConsentPurpose
from wushe.privacy.services import consent_record
from wushe.regions import codes
from wushe.regions.models import Region

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
from .rules import is_sensitive
from .selectors import residents_by_id_hash

NAME_MAX = 50
HOUSEHOLD_NUMBER_MAX = 30

# Allowed status changes: one service per transition; repeating one is a no-op.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (ResidentStatus.ACTIVE, ResidentStatus.MOVED_OUT),
        (ResidentStatus.ACTIVE, ResidentStatus.DECEASED),
        (ResidentStatus.MOVED_OUT, ResidentStatus.DECEASED),
    }
)

# Fields `resident_update` accepts (the rest change through their own services).
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "id_number",
        "phone",
        "region",
        "household",
        "household_number",
        "relation_to_head",
        "address",
        "hukou",
        "living_arrangement",
        "ethnicity",
        "notes",
    }
)


def field_error(entity: str, field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"{entity}.{field}.{rule}", fields={field: [message]})


def _today() -> date:
    return timezone.localdate()


# --- Checks shared by the services and the import adapter --------------------------------------


def check_community(code: object, actor: Any, *, entity: str = "resident") -> str:
    """A 12-digit community code inside the actor's writer scope, or a 422 on `region`."""
    try:
        normalized = codes.normalize(code)
    except ValidationFailed:
        raise field_error(
            entity, "region", "invalid", _("请选择所属社区（12 位区划代码）。")
        ) from None
    if codes.level_of(normalized) != codes.Level.COMMUNITY:
        raise field_error(
            entity,
            "region",
            "not_community",
            _("只能登记到社区（村）一级，请选择具体的社区或村。"),
        )
    if not in_scope(actor, normalized, WRITER_ROLES):
        raise field_error(entity, "region", "out_of_scope", _("该社区不在您的管辖范围内。"))
    if not Region.objects.filter(code=normalized).exists():
        raise field_error(entity, "region", "invalid", _("没有这个社区，请检查区划代码。"))
    return normalized


def _check_choice(field: str, value: str, choices: Any, *, allow_blank: bool = True) -> str:
    value = (value or "").strip()
    if not value and allow_blank:
        return ""
    if value not in choices.values:
        raise field_error("resident", field, "invalid", _("请从列表中选择有效的选项。"))
    return value


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise field_error("resident", "name", "required", _("请填写姓名。"))
    if len(name) > NAME_MAX:
        raise field_error(
            "resident", "name", "too_long", _("姓名不能超过 %(n)s 个字。") % {"n": NAME_MAX}
        )
    return name


def _seal_id(resident: Resident, raw: object) -> IdNumber:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise field_error("resident", "id_number", "required", _("请填写身份证号。"))
    try:
        parsed = seal_id_number(resident, raw)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, code=f"resident.{exc.code}", fields=exc.fields
        ) from None
    assert parsed is not None
    return parsed


def _seal_phone(resident: Resident, raw: object) -> None:
    try:
        seal_phone(resident, raw)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, code=f"resident.{exc.code}", fields=exc.fields
        ) from None


def check_duplicate(digest: str, county_code: str, *, exclude_pk: int | None = None) -> None:
    """One record per person per county (also a constraint), and no second *active* record in
    another county: that rule spans counties, so it is checked here by hash rather than by a
    constraint on a table distributed by county (docs/architecture.md §6.3.2)."""
    for match in residents_by_id_hash([digest]).get(digest, []):
        if match.pk == exclude_pk:
            continue
        if match.county_code == county_code:
            message = _("该身份证号已在本区县登记过居民档案，请查找并更新原档案，不要重复登记。")
            raise Conflict(
                message, code="resident.id_number.duplicate", fields={"id_number": [message]}
            )
        if match.status == ResidentStatus.ACTIVE:
            message = _(
                "该身份证号已在其他区县登记为在册居民。请先由原登记地办理迁出，再在本社区登记。"
            )
            raise Conflict(
                message,
                code="resident.id_number.registered_elsewhere",
                fields={"id_number": [message]},
            )


def _household_by_number(number: str, region_code: str, address: str, actor: Any) -> Household:
    """The community's household with this number, created (and audited) when missing, so a
    form can take a 户号 as people know it."""
    number = _check_household_number(number)
    household = Household.objects.filter(
        county_code=region_code[:6], region_id=region_code, number=number
    ).first()
    if household is None:
        household = Household(number=number, address=(address or "").strip()[:200])
        household.place(region_code)
        household.save()
        audit_record(
            action="residents.household.created",
            actor=actor,
            target=household,
            region_code=household.region_id,
            changes={"number": household.number},
        )
    return household


def _household_for(household_id: int | None, region_code: str) -> Household | None:
    if household_id is None:
        return None
    household = Household.objects.filter(pk=household_id, region_id=region_code).first()
    if household is None:
        raise field_error(
            "resident", "household", "not_found", _("所选的户不存在，或不属于该居民所在社区。")
        )
    return household


def _snapshot(resident: Resident) -> dict[str, Any]:
    """What the audit log keeps of a resident: masked personal data only."""
    return {
        "name": resident.name,
        "region": resident.region_id,
        "id_number": resident.id_number_masked,
        "phone": resident.phone_masked,
        "household": resident.household_id,
        "relation_to_head": resident.relation_to_head,
        "hukou": resident.hukou,
        "living_arrangement": resident.living_arrangement,
    }


@dataclass(frozen=True)
class ConsentInput:
    """A consent taken when the resident is registered (privacy.services.consent_record)."""

    given_on: date
    purpose: str = ConsentPurpose.REGISTRY
    method: str = ConsentMethod.WRITTEN
    scope: str = ""
    guardian_name: str = ""
    guardian_relation: str = ""


# --- Residents ---------------------------------------------------------------------------------


def resident_create(
    *,
    region_code: str,
    name: str,
    id_number: object,
    phone: object = "",
    household_id: int | None = None,
    household_number: str = "",
    relation_to_head: str = "",
    address: str = "",
    hukou: str = Hukou.REGISTERED,
    living_arrangement: str = "",
    ethnicity: str = "",
    notes: str = "",
    user: Any = None,
    consent: ConsentInput | None = None,
    actor: Any,
) -> Resident:
    """Register a resident in a community of the actor's writer scope. The ID number is
    checked (GB 11643: 18 digits, legacy 15 upgraded, 9-prefixed cards) and gives birth date and
    sex; it and the phone are stored sealed. The household is given by id, or by 户号
    (`household_number`: found in the community or created). A resident registered as 户主
    of a household without a head becomes its head."""
    resident = Resident(
        name=_check_name(name),
        relation_to_head=_check_choice("relation_to_head", relation_to_head, Relation),
        address=(address or "").strip()[:200],
        hukou=_check_choice("hukou", hukou or Hukou.REGISTERED, Hukou, allow_blank=False),
        living_arrangement=_check_choice(
            "living_arrangement", living_arrangement, LivingArrangement
        ),
        ethnicity=(ethnicity or "").strip()[:20],
        notes=(notes or "").strip(),
        user=user,
    )
    resident.place(check_community(region_code, actor))
    _seal_id(resident, id_number)
    _seal_phone(resident, phone)
    with transaction.atomic(durable=True):
        check_duplicate(resident.id_number_hash, resident.county_code)
        if household_number and household_id is None:
            resident.household = _household_by_number(
                household_number, resident.region_id, resident.address, actor
            )
        else:
            resident.household = _household_for(household_id, resident.region_id)
        if user is not None:
            _check_user_free(user, resident.county_code)
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError:
            # A concurrent registration of the same person (or login) won the race.
            message = _("该身份证号已在本区县登记过居民档案，请查找并更新原档案，不要重复登记。")
            raise Conflict(
                message, code="resident.id_number.duplicate", fields={"id_number": [message]}
            ) from None
        _maybe_become_head(resident)
        audit_record(
            action="residents.resident.created",
            actor=actor,
            target=resident,
            region_code=resident.region_id,
            changes=_snapshot(resident),
        )
        if consent is not None:
            consent_record(
                subject=resident,
                purpose=consent.purpose,
                given_on=consent.given_on,
                scope=consent.scope,
                method=consent.method,
                guardian_name=consent.guardian_name,
                guardian_relation=consent.guardian_relation,
                actor=actor,
            )
    return resident


def _check_user_free(user: Any, county_code: str, *, exclude_pk: int | None = None) -> None:
    taken = Resident.objects.filter(user=user, county_code=county_code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        message = _("该登录账号已关联本区县的另一位居民。")
        raise Conflict(message, code="resident.user.already_linked", fields={"user": [message]})


def _maybe_become_head(resident: Resident) -> None:
    if resident.household_id is None or resident.relation_to_head != Relation.HEAD:
        return
    Household.objects.filter(pk=resident.household_id, head__isnull=True).update(
        head=resident, updated_at=timezone.now()
    )


def resident_update(*, resident: Resident, changes: Mapping[str, Any], actor: Any) -> Resident:
    """Change a resident's details (`UPDATABLE_FIELDS`; `household` is a household id or None,
    `household_number` a 户号 of the community ('' leaves the household), `region` a community
    code in the same county). Nothing changed: no write, no audit."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    with transaction.atomic(durable=True):
        locked = Resident.objects.select_for_update().get(
            pk=resident.pk, county_code=resident.county_code
        )
        before = _snapshot(locked)
        changed: set[str] = set()

        def assign(field: str, value: Any) -> None:
            if getattr(locked, field) != value:
                setattr(locked, field, value)
                changed.add(field)

        if "name" in changes:
            assign("name", _check_name(changes["name"]))
        for field, choices, blank in (
            ("relation_to_head", Relation, True),
            ("hukou", Hukou, False),
            ("living_arrangement", LivingArrangement, True),
        ):
            if field in changes:
                assign(field, _check_choice(field, changes[field], choices, allow_blank=blank))
        for field, length in (("address", 200), ("ethnicity", 20)):
            if field in changes:
                assign(field, (changes[field] or "").strip()[:length])
        if "notes" in changes:
            assign("notes", (changes["notes"] or "").strip())
        if "id_number" in changes:
            old_hash = locked.id_number_hash
            _seal_id(locked, changes["id_number"])
            if locked.id_number_hash != old_hash:
                changed |= {"id_number_token", "id_number_hash", "id_number_masked"}
                changed |= {"birth_date", "sex"}
                check_duplicate(locked.id_number_hash, locked.county_code, exclude_pk=locked.pk)
        if "phone" in changes:
            old_hash = locked.phone_hash
            _seal_phone(locked, changes["phone"])
            if locked.phone_hash != old_hash:
                changed |= {"phone_token", "phone_hash", "phone_masked"}
        region_moved = False
        if "region" in changes:
            code = check_community(changes["region"], actor)
            if code != locked.region_id:
                if code[:6] != locked.county_code:
                    raise field_error(
                        "resident",
                        "region",
                        "other_county",
                        _("跨区县迁移请在本地办理迁出，再由迁入地重新登记。"),
                    )
                locked.place(code)
                changed.add("region")
                region_moved = True
        if "household_number" in changes and "household" not in changes:
            number = (changes["household_number"] or "").strip()
            household = (
                _household_by_number(number, locked.region_id, locked.address, actor)
                if number
                else None
            )
            if locked.household_id != (household.pk if household else None):
                locked.household = household
                changed.add("household")
        elif "household" in changes or region_moved:
            household_id = changes.get("household", locked.household_id)
            household = _household_for(household_id, locked.region_id)
            if locked.household_id != (household.pk if household else None):
                locked.household = household
                changed.add("household")
        if not changed:
            return locked
        locked.save(update_fields=[*sorted(changed), "updated_at"])
        if region_moved:
            ResidentTag.objects.filter(resident=locked).update(region_id=locked.region_id)
        if {"household", "relation_to_head"} & changed:
            _maybe_become_head(locked)
        after = _snapshot(locked)
        audit_record(
            action="residents.resident.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={
                "fields": sorted(f for f in changed if not f.endswith(("_token", "_hash"))),
                **{
                    key: {"from": before[key], "to": after[key]}
                    for key in after
                    if before[key] != after[key]
                },
            },
        )
    return locked


def resident_link_user(*, resident: Resident, user: Any, actor: Any) -> Resident:
    """Link a login to the record, so the resident sees it under 我的信息 (None unlinks)."""
    with transaction.atomic(durable=True):
        locked = Resident.objects.select_for_update().get(
            pk=resident.pk, county_code=resident.county_code
        )
        new_id = getattr(user, "pk", None)
        if locked.user_id == new_id:
            return locked
        if user is not None:
            _check_user_free(user, locked.county_code, exclude_pk=locked.pk)
        locked.user = user
        locked.save(update_fields=["user", "updated_at"])
        audit_record(
            action="residents.resident.user_linked",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"user": getattr(user, "username", None)},
        )
    return locked


def _transition(
    *,
    resident: Resident,
    to: str,
    on: date,
    actor: Any,
    action: str,
    date_field: str,
    extra: Mapping[str, Any] | None = None,
) -> Resident:
    if on > _today():
        raise field_error("resident", date_field, "future", _("日期不能晚于今天。"))
    with transaction.atomic(durable=True):
        locked = Resident.objects.select_for_update().get(
            pk=resident.pk, county_code=resident.county_code
        )
        if locked.status == to:
            return locked
        if (locked.status, to) not in TRANSITIONS:
            raise Conflict(
                _("居民当前状态为“%(status)s”，不能办理此操作。")
                % {"status": locked.get_status_display()},
                code="resident.invalid_transition",
            )
        locked.status = to
        setattr(locked, date_field, on)
        fields = ["status", date_field, "updated_at"]
        for key, value in (extra or {}).items():
            setattr(locked, key, value)
            fields.append(key)
        locked.save(update_fields=fields)
        ended = _end_current_tags(locked, on)
        audit_record(
            action=action,
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"status": to, date_field: on.isoformat(), "tags_ended": ended},
        )
    return locked


def _end_current_tags(resident: Resident, on: date) -> int:
    """A resident who left or died no longer belongs to a group here; the tags keep their
    history (ended on the day, or on their start day if they began later)."""
    ended = 0
    for tag in ResidentTag.objects.select_for_update().filter(
        resident=resident, end_date__isnull=True
    ):
        tag.end_date = max(on, tag.start_date)
        tag.save(update_fields=["end_date"])
        ended += 1
    return ended


def resident_move_out(
    *, resident: Resident, moved_out_on: date, destination: str = "", actor: Any
) -> Resident:
    """迁出: the record stays (status 已迁出) and its current tags end on the day."""
    return _transition(
        resident=resident,
        to=ResidentStatus.MOVED_OUT,
        on=moved_out_on,
        actor=actor,
        action="residents.resident.moved_out",
        date_field="moved_out_on",
        extra={"moved_out_to": (destination or "").strip()[:200]},
    )


def resident_mark_deceased(*, resident: Resident, deceased_on: date, actor: Any) -> Resident:
    return _transition(
        resident=resident,
        to=ResidentStatus.DECEASED,
        on=deceased_on,
        actor=actor,
        action="residents.resident.deceased",
        date_field="deceased_on",
    )


# --- Tags --------------------------------------------------------------------------------------


def tag_error(rule: str, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"resident.tag.{rule}", fields={field: [message]})


def check_tag_details(tag: str, disability_category: str, disability_grade: str) -> tuple[str, str]:
    """残疾人 needs a category and a grade; every other tag has neither."""
    if tag not in Tag.values:
        raise tag_error("invalid", "tag", _("请选择有效的困难群体标签。"))
    category, grade = (disability_category or "").strip(), (disability_grade or "").strip()
    if tag == Tag.DISABLED:
        errors: dict[str, list[str]] = {}
        if category not in DisabilityCategory.values:
            errors["disability_category"] = [_("残疾人标签须填写残疾类别。")]
        if grade not in DisabilityGrade.values:
            errors["disability_grade"] = [_("残疾人标签须填写残疾等级（一级至四级）。")]
        if errors:
            raise ValidationFailed(
                _("残疾人标签须填写残疾类别和残疾等级。"),
                code="resident.tag.disability_required",
                fields=errors,
            )
        return category, grade
    if category or grade:
        raise tag_error(
            "disability_not_allowed",
            "disability_category",
            _("只有残疾人标签才填写残疾类别和等级。"),
        )
    return "", ""


def _tag_audit(tag: ResidentTag) -> dict[str, Any]:
    if is_sensitive(tag.tag):
        return {"tag_id": tag.pk, "tag": "sensitive"}
    return {"tag_id": tag.pk, "tag": tag.tag}


def resident_tag_add(
    *,
    resident: Resident,
    tag: str,
    start_date: date,
    source: str = TagSource.COMMUNITY_SURVEY,
    disability_category: str = "",
    disability_grade: str = "",
    notes: str = "",
    actor: Any,
) -> ResidentTag:
    """Give an active resident a tag from `start_date`. A tag of the same kind that is still
    current is a conflict (end it first to change its details: history is kept)."""
    category, grade = check_tag_details(tag, disability_category, disability_grade)
    if source not in TagSource.values:
        raise tag_error("source_invalid", "source", _("请选择有效的标签来源。"))
    if start_date > _today():
        raise tag_error("start_future", "start_date", _("开始日期不能晚于今天。"))
    with transaction.atomic(durable=True):
        locked = Resident.objects.select_for_update().get(
            pk=resident.pk, county_code=resident.county_code
        )
        if locked.status != ResidentStatus.ACTIVE:
            raise Conflict(
                _("该居民已迁出或已故，不能再添加标签。"), code="resident.tag.resident_inactive"
            )
        if ResidentTag.objects.filter(resident=locked, tag=tag, end_date__isnull=True).exists():
            message = _("该居民已有此标签（尚未结束）。如需修改，请先结束原标签再重新添加。")
            raise Conflict(message, code="resident.tag.duplicate", fields={"tag": [message]})
        row = ResidentTag(
            resident=locked,
            tag=tag,
            disability_category=category,
            disability_grade=grade,
            start_date=start_date,
            source=source,
            notes=(notes or "").strip()[:200],
        )
        row.place(locked.region_id)
        row.save()
        audit_record(
            action="residents.tag.added",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={**_tag_audit(row), "start_date": start_date.isoformat(), "source": source},
        )
    return row


def resident_tag_end(*, tag: ResidentTag, end_date: date, actor: Any) -> ResidentTag:
    """End a current tag (the row stays as history). Ending an ended tag changes nothing."""
    if end_date > _today():
        raise tag_error("end_future", "end_date", _("结束日期不能晚于今天。"))
    with transaction.atomic(durable=True):
        locked = (
            ResidentTag.objects.select_for_update()
            .select_related("resident")
            .get(pk=tag.pk, county_code=tag.county_code)
        )
        if locked.end_date is not None:
            return locked
        if end_date < locked.start_date:
            raise tag_error("end_before_start", "end_date", _("结束日期不能早于开始日期。"))
        locked.end_date = end_date
        locked.save(update_fields=["end_date"])
        audit_record(
            action="residents.tag.ended",
            actor=actor,
            target=locked.resident,
            region_code=locked.region_id,
            changes={**_tag_audit(locked), "end_date": end_date.isoformat()},
        )
    return locked


# --- Consent -----------------------------------------------------------------------------------


def resident_consent_record(*, resident: Resident, consent: ConsentInput, actor: Any) -> Consent:
    """A resident's consent (PIPL; a guardian's for a child under 14), through the privacy
    app's one service."""
    with transaction.atomic(durable=True):
        return consent_record(
            subject=resident,
            purpose=consent.purpose,
            given_on=consent.given_on,
            scope=consent.scope,
            method=consent.method,
            guardian_name=consent.guardian_name,
            guardian_relation=consent.guardian_relation,
            actor=actor,
        )


# --- Households --------------------------------------------------------------------------------


def _check_household_number(number: str) -> str:
    number = "".join((number or "").split())
    if not number:
        raise field_error("household", "number", "required", _("请填写户号。"))
    if len(number) > HOUSEHOLD_NUMBER_MAX:
        raise field_error(
            "household",
            "number",
            "too_long",
            _("户号不能超过 %(n)s 个字符。") % {"n": HOUSEHOLD_NUMBER_MAX},
        )
    return number


def _check_household_unique(household: Household) -> None:
    clash = Household.objects.filter(
        county_code=household.county_code, region_id=household.region_id, number=household.number
    )
    if household.pk:
        clash = clash.exclude(pk=household.pk)
    if clash.exists():
        message = _("本社区已有这个户号。")
        raise Conflict(message, code="household.number.duplicate", fields={"number": [message]})


def household_create(*, region_code: str, number: str, address: str = "", actor: Any) -> Household:
    household = Household(number=_check_household_number(number), address=address.strip()[:200])
    household.place(check_community(region_code, actor, entity="household"))
    with transaction.atomic(durable=True):
        _check_household_unique(household)
        household.save()
        audit_record(
            action="residents.household.created",
            actor=actor,
            target=household,
            region_code=household.region_id,
            changes={"number": household.number},
        )
    return household


def household_update(*, household: Household, changes: Mapping[str, Any], actor: Any) -> Household:
    """Change number, address or head (`head`: a member's resident id, or None)."""
    unknown = set(changes) - {"number", "address", "head"}
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    with transaction.atomic(durable=True):
        locked = Household.objects.select_for_update().get(
            pk=household.pk, county_code=household.county_code
        )
        changed: dict[str, Any] = {}
        if "number" in changes:
            number = _check_household_number(changes["number"])
            if number != locked.number:
                locked.number = number
                _check_household_unique(locked)
                changed["number"] = number
        if "address" in changes:
            address = (changes["address"] or "").strip()[:200]
            if address != locked.address:
                locked.address = address
                changed["address"] = address
        if "head" in changes:
            head_id = changes["head"]
            if (
                head_id is not None
                and not Resident.objects.filter(pk=head_id, household=locked).exists()
            ):
                raise field_error("household", "head", "not_member", _("户主须是本户的成员。"))
            if head_id != locked.head_id:
                locked.head_id = head_id
                changed["head"] = head_id
        if not changed:
            return locked
        fields = ["head" if key == "head" else key for key in changed]
        locked.save(update_fields=[*fields, "updated_at"])
        audit_record(
            action="residents.household.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes=changed,
        )
    return locked
