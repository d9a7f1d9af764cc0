"""Every write to the volunteer register. Permissions are checked by the entry points (pages,
API, import) through rules.py; these functions check the data and the state, change it and
audit it in one transaction."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, PermissionDenied, ValidationFailed
from wushe.core.identifiers import age_on
from wushe.core.personal import seal_id_number, seal_phone
from wushe.privacy.models import Consent, ConsentMethod, ConsentPurpose
from wushe.privacy.services import GUARDIAN_AGE, consent_record
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary
from wushe.taxonomy.selectors import terms

from . import availability as slots
from . import geo
from .models import (
    STATUS_TRANSITIONS,
    CoordSource,
    PoliticalStatus,
    TeamMembership,
    TeamRole,
    Volunteer,
    VolunteerNumberCounter,
    VolunteerSkill,
    VolunteerStatus,
    VolunteerTeam,
)

COMMUNITY_LEVEL = 5
CONSENT_SCOPE = "志愿者注册登记、志愿服务记录与证明、服务对接"
# Fields a volunteer may change in their own record ("我的志愿者信息").
SELF_EDITABLE_FIELDS = frozenset({"phone", "skills", "availability"})
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "id_number",
        "phone",
        "region_code",
        "registered_on",
        "skills",
        "availability",
        "location",
        "political_status",
        "user",
    }
)
_NUMBER_RE = re.compile(r"^[0-9A-Za-z\-]{4,32}$")
_SIX = Decimal("0.000001")


# --- Checks shared by the single and the bulk paths ----------------------------------------


def _invalid(code: str, field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field_name: [message]})


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise _invalid("volunteer.name.required", "name", _("请填写姓名。"))
    if len(name) > 50:
        raise _invalid("volunteer.name.too_long", "name", _("姓名不能超过 50 个字。"))
    return name


def check_community(region_code: str) -> str:
    """A home community: an existing region at community (村/社区) level."""
    try:
        code = codes.normalize(region_code)
    except ValidationFailed:
        code = ""
    if not code or not Region.objects.filter(code=code, level=COMMUNITY_LEVEL).exists():
        raise _invalid(
            "volunteer.region.not_community",
            "region",
            _("所属社区应为一个村（社区），请填写 12 位村（社区）区划代码。"),
        )
    return code


def check_registered_on(value: date | None, today: date) -> date:
    value = value or today
    if value > today:
        raise _invalid(
            "volunteer.registered_on.future", "registered_on", _("注册日期不能晚于今天。")
        )
    return value


def check_number(number: str) -> str:
    number = (number or "").strip().upper()
    if number and not _NUMBER_RE.match(number):
        raise _invalid(
            "volunteer.number.format",
            "number",
            _("志愿者编号只能由 4–32 位数字、字母或连字符组成。"),
        )
    return number


def check_political_status(value: str) -> str:
    value = value or ""
    if value and value not in PoliticalStatus.values:
        raise _invalid(
            "volunteer.political_status.invalid", "political_status", _("政治面貌无效。")
        )
    return value


def resolve_skills(values: Iterable[Term | str]) -> list[Term]:
    """Skill terms from Term objects or codes/names; unknown ones are an error."""
    wanted = list(values)
    found: list[Term] = [v for v in wanted if isinstance(v, Term)]
    keys = [str(v).strip() for v in wanted if not isinstance(v, Term) and str(v).strip()]
    if keys:
        by_key: dict[str, Term] = {}
        for term in terms(Vocabulary.SKILL):
            by_key.setdefault(term.code.lower(), term)
            by_key.setdefault(term.name.lower(), term)
        unknown = [k for k in keys if k.lower() not in by_key]
        if unknown:
            raise _invalid(
                "volunteer.skills.unknown",
                "skills",
                _("技能“%(names)s”不在技能目录中。") % {"names": "、".join(unknown)},
            )
        found.extend(by_key[k.lower()] for k in keys)
    for term in found:
        if term.vocabulary != Vocabulary.SKILL:
            raise _invalid("volunteer.skills.unknown", "skills", _("技能不在技能目录中。"))
    unique: dict[int, Term] = {t.pk: t for t in found}
    return list(unique.values())


def check_location(
    latitude: object, longitude: object, coord_source: str
) -> tuple[Decimal | None, Decimal | None, str]:
    """(lat, lng, source) in WGS-84 with six decimals (≈ 0.1 m). Input in GCJ-02 or BD-09 is
    converted; the source system is kept. Nothing given → (None, None, '')."""
    empty = (None, "")
    if latitude in empty and longitude in empty:
        return None, None, ""
    if latitude in empty or longitude in empty:
        raise _invalid(
            "volunteer.location.incomplete", "location", _("经度和纬度须同时填写，或都不填。")
        )
    source = (coord_source or CoordSource.WGS84).strip().lower()
    if source not in CoordSource.values:
        raise _invalid(
            "volunteer.location.coord_source",
            "coord_source",
            _("坐标系应为 WGS-84、GCJ-02（高德、腾讯）或 BD-09（百度）之一。"),
        )
    try:
        lat, lng = Decimal(str(latitude).strip()), Decimal(str(longitude).strip())
    except InvalidOperation:
        raise _invalid(
            "volunteer.location.format", "location", _("经纬度应为数字，例如 30.512345。")
        ) from None
    if not (Decimal(-90) <= lat <= 90 and Decimal(-180) <= lng <= 180):
        raise _invalid(
            "volunteer.location.range",
            "location",
            _("纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间；请检查是否把经度和纬度填反了。"),
        )
    wlat, wlng = geo.to_wgs84(float(lat), float(lng), source)
    return (
        Decimal(repr(wlat)).quantize(_SIX),
        Decimal(repr(wlng)).quantize(_SIX),
        source,
    )


def check_guardian(
    birth_date: date | None, given_on: date, guardian_name: str, guardian_relation: str
) -> None:
    """Same rule as privacy.consent_record, checked up front for bulk writes."""
    if (
        birth_date is not None
        and age_on(birth_date, given_on) < GUARDIAN_AGE
        and not (guardian_name.strip() and guardian_relation.strip())
    ):
        raise _invalid(
            "consent.guardian_required",
            "guardian_name",
            _("不满十四周岁的未成年人，须由监护人同意：请填写监护人姓名和关系。"),
        )


def _consent_required() -> ValidationFailed:
    return _invalid(
        "volunteer.consent_required",
        "consent",
        _(
            "注册志愿者须本人（不满十四周岁的由监护人）同意处理其个人信息"
            "（用于志愿者登记和志愿服务记录）。请确认已签署知情同意书。"
        ),
    )


def _duplicate() -> Conflict:
    message = _(
        "该身份证号已在本区县登记为志愿者，请勿重复登记。如该志愿者已注销，"
        "请由其所在社区在原记录上办理恢复。"
    )
    return Conflict(message, code="volunteer.duplicate", fields={"id_number": [message]})


def _check_not_duplicate(county_code: str, hash_value: str, exclude_pk: int | None = None) -> None:
    if not hash_value:
        return
    qs = Volunteer.objects.filter(county_code=county_code, id_number_hash=hash_value)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise _duplicate()


# --- Volunteer numbers ------------------------------------------------------------------------


def volunteer_numbers_allocate(*, county_code: str, year: int, count: int) -> list[str]:
    """`count` new numbers `<county><year><counter:06>` (e.g. 3304812026000123) from the
    county's counter, locked for the rest of the caller's transaction. Numbers already taken
    (e.g. carried over from an old register) are skipped."""
    if count <= 0:
        return []
    counter, _created = VolunteerNumberCounter.objects.select_for_update().get_or_create(
        county_code=county_code, year=year
    )
    numbers: list[str] = []
    last = counter.last
    while len(numbers) < count:
        batch = [f"{county_code}{year}{n:06d}" for n in range(last + 1, last + 1 + count)]
        last += count
        taken = set(
            Volunteer.objects.filter(county_code=county_code, number__in=batch).values_list(
                "number", flat=True
            )
        )
        numbers.extend(n for n in batch if n not in taken)
    counter.last = last
    counter.save(update_fields=["last"])
    return numbers[:count]


def _check_number_free(county_code: str, number: str, exclude_pk: int | None = None) -> None:
    qs = Volunteer.objects.filter(county_code=county_code, number=number)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise _invalid(
            "volunteer.number.duplicate", "number", _("志愿者编号 %(n)s 已被使用。") % {"n": number}
        )


# --- Register, update ------------------------------------------------------------------------


def volunteer_register(
    *,
    name: str,
    id_number: object,
    region_code: str,
    consent_given: bool,
    actor: Any,
    phone: object = "",
    registered_on: date | None = None,
    number: str = "",
    skills: Iterable[Term | str] = (),
    availability: int = 0,
    latitude: object = None,
    longitude: object = None,
    coord_source: str = "",
    political_status: str = "",
    user: Any = None,
    consent_given_on: date | None = None,
    consent_method: str = ConsentMethod.WRITTEN,
    guardian_name: str = "",
    guardian_relation: str = "",
    today: date | None = None,
) -> Volunteer:
    """Register a volunteer with their consent (志愿服务条例 art. 7, 20; PIPL art. 13/31).
    Without consent nothing is stored (`volunteer.consent_required`); a child under 14 needs a
    guardian (`consent.guardian_required`); one registration per ID number in a county
    (`volunteer.duplicate`, 409)."""
    if not consent_given:
        raise _consent_required()
    today = today or timezone.localdate()
    volunteer = Volunteer(
        name=check_name(name),
        registered_on=check_registered_on(registered_on, today),
        availability=slots.check_mask(int(availability or 0)),
        political_status=check_political_status(political_status),
        user=user,
    )
    volunteer.place(check_community(region_code))
    if id_number is None or (isinstance(id_number, str) and not id_number.strip()):
        raise _invalid("volunteer.id_number.required", "id_number", _("请填写身份证号。"))
    seal_id_number(volunteer, id_number)
    seal_phone(volunteer, phone)
    volunteer.latitude, volunteer.longitude, volunteer.coord_source = check_location(
        latitude, longitude, coord_source
    )
    skill_terms = resolve_skills(skills)
    given_on = consent_given_on or volunteer.registered_on
    check_guardian(volunteer.birth_date, given_on, guardian_name, guardian_relation)
    number = check_number(number)
    with transaction.atomic(durable=True):
        _check_not_duplicate(volunteer.county_code, volunteer.id_number_hash)
        if number:
            _check_number_free(volunteer.county_code, number)
            volunteer.number = number
        else:
            (volunteer.number,) = volunteer_numbers_allocate(
                county_code=volunteer.county_code, year=volunteer.registered_on.year, count=1
            )
        try:
            with transaction.atomic():
                volunteer.save()
        except IntegrityError:
            # A concurrent registration of the same person (or number) won the race.
            _check_not_duplicate(volunteer.county_code, volunteer.id_number_hash)
            raise
        _set_skills(volunteer, skill_terms)
        consent_record(
            subject=volunteer,
            purpose=ConsentPurpose.VOLUNTEER_RECORD,
            given_on=given_on,
            scope=CONSENT_SCOPE,
            method=consent_method,
            guardian_name=guardian_name,
            guardian_relation=guardian_relation,
            actor=actor,
        )
        audit_record(
            action="volunteers.volunteer.registered",
            actor=actor,
            target=volunteer,
            region_code=volunteer.region_id,
            changes={
                "number": volunteer.number,
                "skills": [t.code for t in skill_terms],
                "availability": volunteer.availability,
                "has_location": volunteer.has_location,
                "consent_method": consent_method,
                "guardian": bool(guardian_name.strip()),
            },
        )
    return volunteer


def _set_skills(volunteer: Volunteer, skill_terms: Sequence[Term]) -> bool:
    """Replace the volunteer's skills; True when something changed."""
    current = set(
        VolunteerSkill.objects.filter(volunteer=volunteer).values_list("term_id", flat=True)
    )
    wanted = {t.pk for t in skill_terms}
    if current == wanted:
        return False
    VolunteerSkill.objects.filter(volunteer=volunteer, term_id__in=current - wanted).delete()
    VolunteerSkill.objects.bulk_create(
        VolunteerSkill(volunteer=volunteer, term_id=pk, county_code=volunteer.county_code)
        for pk in sorted(wanted - current)
    )
    return True


def volunteer_update(
    *,
    volunteer: Volunteer,
    actor: Any,
    changes: Mapping[str, Any],
    allowed_fields: frozenset[str] = UPDATABLE_FIELDS,
    today: date | None = None,
) -> Volunteer:
    """Change a volunteer's record. `changes` keys: name, id_number, phone, region_code,
    registered_on, skills (terms or codes), availability (mask), location
    ({latitude, longitude, coord_source} or None), political_status, user. `allowed_fields`
    is what the caller may change (a volunteer editing their own record: phone, skills,
    availability); others are refused with `volunteer.field_forbidden`. Status changes go
    through the transition services, never here."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise _invalid("volunteer.field_unknown", sorted(unknown)[0], _("不能通过此操作修改该项。"))
    forbidden = set(changes) - allowed_fields
    if forbidden:
        raise PermissionDenied(
            _("您只能修改自己的手机号码、技能特长和可服务时间。"),
            code="volunteer.field_forbidden",
            fields={name: [_("无权修改此项。")] for name in sorted(forbidden)},
        )
    today = today or timezone.localdate()
    with transaction.atomic(durable=True):
        locked = Volunteer.objects.select_for_update().get(
            pk=volunteer.pk, county_code=volunteer.county_code
        )
        updated: list[str] = []
        audit: dict[str, Any] = {}
        if "name" in changes:
            name = check_name(changes["name"])
            if name != locked.name:
                locked.name = name
                updated.append("name")
                audit["name"] = name
        if "id_number" in changes:
            old_hash = locked.id_number_hash
            raw = changes["id_number"]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                raise _invalid("volunteer.id_number.required", "id_number", _("请填写身份证号。"))
            seal_id_number(locked, raw)
            if locked.id_number_hash != old_hash:
                _check_not_duplicate(locked.county_code, locked.id_number_hash, locked.pk)
                updated += ["id_number_token", "id_number_hash", "id_number_masked"]
                updated += ["birth_date", "sex"]
                audit["id_number"] = "changed"
        if "phone" in changes:
            old_hash = locked.phone_hash
            seal_phone(locked, changes["phone"])
            if locked.phone_hash != old_hash:
                updated += ["phone_token", "phone_hash", "phone_masked"]
                audit["phone"] = "changed"
        if "region_code" in changes:
            code = check_community(changes["region_code"])
            if code != locked.region_id:
                if code[:6] != locked.county_code:
                    raise _invalid(
                        "volunteer.region.other_county",
                        "region",
                        _("志愿者只能在本区县内变更所属社区；跨区县请在新区县重新注册。"),
                    )
                audit["region"] = [locked.region_id, code]
                locked.place(code)
                updated += ["region"]
        if "registered_on" in changes:
            value = check_registered_on(changes["registered_on"], today)
            if value != locked.registered_on:
                locked.registered_on = value
                updated.append("registered_on")
                audit["registered_on"] = value.isoformat()
        if "availability" in changes:
            mask = slots.check_mask(int(changes["availability"] or 0))
            if mask != locked.availability:
                audit["availability"] = [locked.availability, mask]
                locked.availability = mask
                updated.append("availability")
        if "location" in changes:
            loc = changes["location"] or {}
            lat, lng, source = check_location(
                loc.get("latitude"), loc.get("longitude"), loc.get("coord_source", "")
            )
            if (lat, lng, source) != (locked.latitude, locked.longitude, locked.coord_source):
                locked.latitude, locked.longitude, locked.coord_source = lat, lng, source
                updated += ["latitude", "longitude", "coord_source"]
                audit["location"] = "changed" if lat is not None else "cleared"
        if "political_status" in changes:
            political = check_political_status(changes["political_status"])
            if political != locked.political_status:
                locked.political_status = political
                updated.append("political_status")
                audit["political_status"] = political
        if "user" in changes:
            user = changes["user"]
            user_id = user.pk if user is not None else None
            if user_id != locked.user_id:
                if (
                    user_id is not None
                    and Volunteer.objects.filter(county_code=locked.county_code, user_id=user_id)
                    .exclude(pk=locked.pk)
                    .exists()
                ):
                    raise _invalid(
                        "volunteer.user.taken", "user", _("该账号已关联本区县的另一名志愿者。")
                    )
                locked.user = user
                updated.append("user")
                audit["user"] = user.get_username() if user is not None else None
        skills_changed = False
        if "skills" in changes:
            skill_terms = resolve_skills(changes["skills"] or ())
            skills_changed = _set_skills(locked, skill_terms)
            if skills_changed:
                audit["skills"] = [t.code for t in skill_terms]
        if updated:
            locked.save(update_fields=[*updated, "updated_at"])
        elif skills_changed:
            locked.save(update_fields=["updated_at"])
        if audit:
            audit_record(
                action="volunteers.volunteer.updated",
                actor=actor,
                target=locked,
                region_code=locked.region_id,
                changes=audit,
            )
    return locked


# --- Status transitions ----------------------------------------------------------------------


def _transition(
    *, volunteer: Volunteer, target: str, actor: Any, reason: str, action: str
) -> Volunteer:
    with transaction.atomic(durable=True):
        locked = Volunteer.objects.select_for_update().get(
            pk=volunteer.pk, county_code=volunteer.county_code
        )
        if locked.status == target:
            return locked  # repeating a done transition is a no-op
        if target not in STATUS_TRANSITIONS[locked.status]:
            raise Conflict(
                _("志愿者当前状态为“%(now)s”，不能变更为“%(to)s”。")
                % {
                    "now": locked.get_status_display(),
                    "to": VolunteerStatus(target).label,
                },
                code="volunteer.invalid_transition",
            )
        previous = locked.status
        locked.status = target
        locked.status_changed_at = timezone.now()
        locked.status_reason = (reason or "").strip()[:200]
        locked.save(update_fields=["status", "status_changed_at", "status_reason", "updated_at"])
        audit_record(
            action=action,
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"from": previous, "to": target, "reason": locked.status_reason},
        )
    return locked


def volunteer_suspend(*, volunteer: Volunteer, actor: Any, reason: str = "") -> Volunteer:
    """在册 → 暂停 (e.g. long absence, illness). Suspended volunteers are not matched."""
    return _transition(
        volunteer=volunteer,
        target=VolunteerStatus.SUSPENDED,
        actor=actor,
        reason=reason,
        action="volunteers.volunteer.suspended",
    )


def volunteer_reactivate(*, volunteer: Volunteer, actor: Any, reason: str = "") -> Volunteer:
    """暂停 or 注销 → 在册."""
    return _transition(
        volunteer=volunteer,
        target=VolunteerStatus.ACTIVE,
        actor=actor,
        reason=reason,
        action="volunteers.volunteer.reactivated",
    )


def volunteer_withdraw(*, volunteer: Volunteer, actor: Any, reason: str = "") -> Volunteer:
    """→ 注销. The record and its service history stay (records are kept, 民政部令第67号);
    a withdrawn volunteer cannot be suspended, only reactivated."""
    return _transition(
        volunteer=volunteer,
        target=VolunteerStatus.WITHDRAWN,
        actor=actor,
        reason=reason,
        action="volunteers.volunteer.withdrawn",
    )


# --- Bulk registration (imports, demo) ------------------------------------------------------


@dataclass
class VolunteerDraft:
    """A checked, sealed, placed but unsaved volunteer for `volunteer_bulk_write`, with what
    goes around it. `volunteer.pk` set means: update that record."""

    volunteer: Volunteer
    skills: list[Term] = field(default_factory=list)
    consent_given_on: date | None = None
    consent_method: str = ConsentMethod.WRITTEN
    guardian_name: str = ""
    guardian_relation: str = ""
    team: VolunteerTeam | None = None


BULK_UPDATE_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "phone_token",
    "phone_hash",
    "phone_masked",
    "region",
    "registered_on",
    "availability",
    "latitude",
    "longitude",
    "coord_source",
    "political_status",
    "updated_at",
)


def volunteer_bulk_write(
    *, drafts: Sequence[VolunteerDraft], actor: Any, source: str, today: date | None = None
) -> tuple[int, int]:
    """Create and update many volunteers at once (spreadsheet import, demo data): numbers from
    the county counters, skills, consents (one per new volunteer), team memberships, and one
    audit event for the whole batch. Runs inside the caller's transaction (the import engine's
    or the demo's), so it is all or nothing. Rows must already be checked (see the `check_*`
    functions); duplicates by ID number raise `volunteer.duplicate`. Returns (created, updated)."""
    today = today or timezone.localdate()
    now = timezone.now()
    new = [d for d in drafts if d.volunteer.pk is None]
    old = [d for d in drafts if d.volunteer.pk is not None]
    with transaction.atomic():
        # Numbers: generated per (county, year) in one counter lock each.
        wanting: dict[tuple[str, int], list[Volunteer]] = defaultdict(list)
        for d in new:
            v = d.volunteer
            if not v.number:
                wanting[(v.county_code, v.registered_on.year)].append(v)
        for (county, year), group in sorted(wanting.items()):
            for v, number in zip(
                group,
                volunteer_numbers_allocate(county_code=county, year=year, count=len(group)),
                strict=True,
            ):
                v.number = number
        try:
            with transaction.atomic():
                created = Volunteer.objects.bulk_create([d.volunteer for d in new])
        except IntegrityError:
            raise _duplicate() from None
        if any(v.pk is None for v in created):  # pragma: no cover - backends without RETURNING
            raise RuntimeError("bulk_create did not return primary keys")
        for d in old:
            d.volunteer.updated_at = now
        Volunteer.objects.bulk_update([d.volunteer for d in old], BULK_UPDATE_FIELDS)
        # Skills: replace for updated rows, add for new ones.
        if old:
            VolunteerSkill.objects.filter(volunteer__in=[d.volunteer for d in old]).delete()
        VolunteerSkill.objects.bulk_create(
            VolunteerSkill(volunteer=d.volunteer, term=t, county_code=d.volunteer.county_code)
            for d in drafts
            for t in {t.pk: t for t in d.skills}.values()
        )
        recorder = actor if getattr(actor, "is_authenticated", False) else None
        Consent.objects.bulk_create(
            Consent(
                subject_type=Volunteer._meta.label_lower,
                subject_id=d.volunteer.pk,
                subject_label=d.volunteer.name[:100],
                purpose=ConsentPurpose.VOLUNTEER_RECORD,
                scope=CONSENT_SCOPE,
                method=d.consent_method,
                given_on=d.consent_given_on or d.volunteer.registered_on,
                guardian_name=d.guardian_name.strip(),
                guardian_relation=d.guardian_relation.strip(),
                recorded_by=recorder,
                region_id=d.volunteer.region_id,
                county_code=d.volunteer.county_code,
            )
            for d in new
        )
        memberships = [
            TeamMembership(
                team=d.team,
                volunteer=d.volunteer,
                role=TeamRole.MEMBER,
                joined_on=d.volunteer.registered_on,
                region_id=d.team.region_id,
                county_code=d.team.county_code,
            )
            for d in drafts
            if d.team is not None and d.team.county_code == d.volunteer.county_code
        ]
        TeamMembership.objects.bulk_create(memberships, ignore_conflicts=True)
        if drafts:
            regions = sorted({d.volunteer.region_id for d in drafts})
            audit_record(
                action="volunteers.volunteer.bulk_written",
                actor=actor,
                region_code=_common_region(regions),
                changes={
                    "source": source,
                    "created": len(new),
                    "updated": len(old),
                    "consents": len(new),
                    "memberships": len(memberships),
                },
            )
    return len(new), len(old)


def _common_region(region_codes: Sequence[str]) -> str:
    """The smallest region containing all codes (community, township, county … padded to 12
    digits), for the region of a batch's audit event."""
    if not region_codes:
        return ""
    first, last = min(region_codes), max(region_codes)
    for size in (12, 9, 6, 4, 2):
        if first[:size] == last[:size]:
            return first[:size].ljust(12, "0")
    return ""


def bulk_consent_check(draft: VolunteerDraft) -> None:
    """The per-row consent rule of `volunteer_register` for a bulk row."""
    check_guardian(
        draft.volunteer.birth_date,
        draft.consent_given_on or draft.volunteer.registered_on,
        draft.guardian_name,
        draft.guardian_relation,
    )


# --- Teams -------------------------------------------------------------------------------------


def _check_team_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise _invalid("volunteer_team.name.required", "name", _("请填写队伍名称。"))
    if len(name) > 100:
        raise _invalid("volunteer_team.name.too_long", "name", _("队伍名称不能超过 100 个字。"))
    return name


def _team_name_taken(county_code: str, region_code: str, name: str, exclude: int | None) -> None:
    qs = VolunteerTeam.objects.filter(county_code=county_code, region_id=region_code, name=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise Conflict(
            _("本区划已有同名的志愿服务队。"),
            code="volunteer_team.duplicate_name",
            fields={"name": [_("队伍名称已存在。")]},
        )


def team_create(
    *,
    name: str,
    region_code: str,
    actor: Any,
    organization: Any = None,
    description: str = "",
) -> VolunteerTeam:
    """A team of a community, township or county (any region level below the province)."""
    name = _check_team_name(name)
    try:
        code = codes.normalize(region_code)
    except ValidationFailed:
        code = ""
    if (
        not code
        or len(codes.significant_prefix(code)) < 6
        or not Region.objects.filter(code=code).exists()
    ):
        raise _invalid(
            "volunteer_team.region.invalid",
            "region",
            _("队伍应属于一个区县、乡镇（街道）或村（社区）。"),
        )
    team = VolunteerTeam(name=name, organization=organization, description=description.strip())
    team.place(code)
    with transaction.atomic(durable=True):
        _team_name_taken(team.county_code, code, name, None)
        team.save()
        audit_record(
            action="volunteers.team.created",
            actor=actor,
            target=team,
            region_code=code,
            changes={"name": name, "organization": organization.pk if organization else None},
        )
    return team


_TEAM_FIELDS = frozenset({"name", "description", "organization", "leader"})


def team_update(*, team: VolunteerTeam, actor: Any, changes: Mapping[str, Any]) -> VolunteerTeam:
    """Change name, description, organisation or leader (a volunteer who is a member, or who
    becomes one as leader; None clears it)."""
    unknown = set(changes) - _TEAM_FIELDS
    if unknown:
        raise _invalid(
            "volunteer_team.field_unknown", sorted(unknown)[0], _("不能通过此操作修改该项。")
        )
    with transaction.atomic(durable=True):
        locked = VolunteerTeam.objects.select_for_update().get(
            pk=team.pk, county_code=team.county_code
        )
        updated: list[str] = []
        audit: dict[str, Any] = {}
        if "name" in changes:
            name = _check_team_name(changes["name"])
            if name != locked.name:
                _team_name_taken(locked.county_code, locked.region_id, name, locked.pk)
                locked.name = name
                updated.append("name")
                audit["name"] = name
        if "description" in changes:
            description = (changes["description"] or "").strip()
            if description != locked.description:
                locked.description = description
                updated.append("description")
                audit["description"] = "changed"
        if "organization" in changes:
            org = changes["organization"]
            if (org.pk if org else None) != locked.organization_id:
                locked.organization = org
                updated.append("organization")
                audit["organization"] = org.pk if org else None
        if "leader" in changes:
            leader = changes["leader"]
            if (leader.pk if leader else None) != locked.leader_id:
                _set_leader(locked, leader)
                updated.append("leader")
                audit["leader"] = leader.pk if leader else None
        if updated:
            locked.save(update_fields=updated)
            audit_record(
                action="volunteers.team.updated",
                actor=actor,
                target=locked,
                region_code=locked.region_id,
                changes=audit,
            )
    return locked


def _check_joinable(team: VolunteerTeam, volunteer: Volunteer) -> None:
    if volunteer.county_code != team.county_code:
        raise _invalid(
            "volunteer_team.other_county",
            "volunteer",
            _("只能加入本区县的志愿服务队。"),
        )
    if volunteer.status == VolunteerStatus.WITHDRAWN:
        raise Conflict(_("已注销的志愿者不能加入队伍。"), code="volunteer_team.volunteer_withdrawn")


def _set_leader(team: VolunteerTeam, leader: Volunteer | None) -> None:
    """Inside a transaction with `team` locked: make `leader` the (only) leader member."""
    TeamMembership.objects.filter(team=team, role=TeamRole.LEADER).update(role=TeamRole.MEMBER)
    team.leader = leader
    if leader is None:
        return
    _check_joinable(team, leader)
    membership = TeamMembership.objects.filter(team=team, volunteer=leader).first()
    if membership is None:
        membership = TeamMembership(
            team=team, volunteer=leader, role=TeamRole.LEADER, joined_on=timezone.localdate()
        )
        membership.place(team.region_id)
        membership.save()
    else:
        membership.role = TeamRole.LEADER
        membership.save(update_fields=["role"])


def team_add_member(
    *,
    team: VolunteerTeam,
    volunteer: Volunteer,
    actor: Any,
    role: str = TeamRole.MEMBER,
    joined_on: date | None = None,
) -> TeamMembership:
    """Add a volunteer to a team (same county; not withdrawn). Adding a member again with the
    same role changes nothing; with another role, changes the role."""
    if role not in TeamRole.values:
        raise _invalid("volunteer_team.role.invalid", "role", _("队伍角色无效。"))
    joined_on = joined_on or timezone.localdate()
    with transaction.atomic(durable=True):
        locked = VolunteerTeam.objects.select_for_update().get(
            pk=team.pk, county_code=team.county_code
        )
        _check_joinable(locked, volunteer)
        membership = TeamMembership.objects.filter(team=locked, volunteer=volunteer).first()
        if membership is not None and membership.role == role:
            return membership
        if role == TeamRole.LEADER:
            _set_leader(locked, volunteer)
            locked.save(update_fields=["leader"])
        elif membership is not None:
            membership.role = role
            membership.save(update_fields=["role"])
            if locked.leader_id == volunteer.pk:
                locked.leader = None
                locked.save(update_fields=["leader"])
        else:
            membership = TeamMembership(
                team=locked, volunteer=volunteer, role=role, joined_on=joined_on
            )
            membership.place(locked.region_id)
            membership.save()
        audit_record(
            action="volunteers.team.member_added",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"volunteer": volunteer.pk, "number": volunteer.number, "role": role},
        )
    return TeamMembership.objects.get(team=locked, volunteer=volunteer)


def team_remove_member(*, team: VolunteerTeam, volunteer: Volunteer, actor: Any) -> None:
    """Remove a volunteer from a team (no-op when not a member); a leader leaves the team
    without a leader."""
    with transaction.atomic(durable=True):
        locked = VolunteerTeam.objects.select_for_update().get(
            pk=team.pk, county_code=team.county_code
        )
        deleted, _rows = TeamMembership.objects.filter(team=locked, volunteer=volunteer).delete()
        if not deleted:
            return
        if locked.leader_id == volunteer.pk:
            locked.leader = None
            locked.save(update_fields=["leader"])
        audit_record(
            action="volunteers.team.member_removed",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"volunteer": volunteer.pk, "number": volunteer.number},
        )
