"""Every write about party members' check-ins (党员报到): create, update and end, validated
and audited in one transaction each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.models import User
from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from wushe.core.personal import seal_id_number, seal_phone
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import CheckinCategory, CheckinSkill, CheckinStatus, PartyMemberCheckin
from .selectors import checkins_visible

ENTITY = "party_member"
FIELDS = (
    "name",
    "id_number",
    "phone",
    "work_unit",
    "party_organization",
    "region",
    "reported_on",
    "categories",
    "skills",
    "user",
)
PLAIN_FIELDS = ("name", "work_unit", "party_organization", "reported_on")


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, field: str, code: str, message: Any) -> None:
        self.items.append((field, code, str(message)))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        fields: dict[str, list[str]] = {}
        for field, _code, message in self.items:
            fields.setdefault(field, []).append(message)
        _field, code, message = self.items[0]
        raise ValidationFailed(message, code=code, fields=fields)


def _text(raw: object, field: str, label: str, limit: int, errors: _Errors) -> str:
    # Not NFKC-normalised: that would replace rare characters of people's names.
    text = " ".join(str(raw or "").split())
    if not text:
        errors.add(field, f"{ENTITY}.{field}.required", _("请填写%(label)s。") % {"label": label})
    elif len(text) > limit:
        errors.add(
            field,
            f"{ENTITY}.{field}.too_long",
            _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit},
        )
    return text


def _terms(raw: Iterable[Any] | None, vocabulary: str, field: str, errors: _Errors) -> list[Term]:
    """Active terms of the vocabulary, given by id or code."""
    wanted = [str(getattr(v, "pk", v)).strip() for v in (raw or []) if str(v).strip()]
    if not wanted:
        return []
    ids = [int(v) for v in wanted if v.isdigit()]
    found = list(
        Term.objects.filter(vocabulary=vocabulary, active=True).filter(
            Q(pk__in=ids) | Q(code__in=wanted)
        )
    )
    known = {str(t.pk) for t in found} | {t.code for t in found}
    unknown = [v for v in wanted if v not in known]
    if unknown:
        errors.add(
            field,
            f"{ENTITY}.{field}.unknown",
            _("不认识的分类：%(v)s") % {"v": "、".join(unknown)},
        )
    return sorted({t.pk: t for t in found}.values(), key=lambda t: (t.order, t.code))


def _check(
    data: Mapping[str, Any], actor: Any, checkin: PartyMemberCheckin, errors: _Errors
) -> dict[str, Any]:
    """Validate and set the values on `checkin` (not saved); return the audited changes
    (personal values masked) plus the chosen terms under `_categories` / `_skills`."""
    changes: dict[str, Any] = {}

    def put(field: str, value: Any) -> None:
        if getattr(checkin, field) != value:
            changes[field] = value.isoformat() if isinstance(value, date) else value
            setattr(checkin, field, value)

    put("name", _text(data.get("name"), "name", _("姓名"), 50, errors))
    if "id_number" in data:
        before = checkin.id_number_hash
        try:
            parsed = seal_id_number(checkin, data["id_number"])
        except DomainError as exc:
            errors.add("id_number", f"{ENTITY}.{exc.code}", exc.message)
        else:
            if parsed is None:
                errors.add("id_number", f"{ENTITY}.id_number.required", _("请填写身份证号。"))
            elif checkin.id_number_hash != before:
                changes["id_number"] = checkin.id_number_masked
    if "phone" in data:
        before = checkin.phone_hash
        try:
            seal_phone(checkin, data["phone"])
        except DomainError as exc:
            errors.add("phone", f"{ENTITY}.{exc.code}", exc.message)
        else:
            if checkin.phone_hash != before:
                changes["phone"] = checkin.phone_masked
    put("work_unit", _text(data.get("work_unit"), "work_unit", _("工作单位"), 100, errors))
    put(
        "party_organization",
        _text(data.get("party_organization"), "party_organization", _("所在党组织"), 100, errors),
    )
    reported_on = data.get("reported_on")
    if reported_on is None:
        errors.add("reported_on", f"{ENTITY}.reported_on.required", _("请填写报到日期。"))
    elif reported_on > timezone.localdate():
        errors.add("reported_on", f"{ENTITY}.reported_on.future", _("报到日期不能晚于今天。"))
    put("reported_on", reported_on)

    try:
        region = codes.normalize(data.get("region"))
    except DomainError:
        errors.add("region", f"{ENTITY}.region.invalid", _("请填写有效的区划代码。"))
    else:
        if codes.level_of(region) != codes.Level.COMMUNITY:
            errors.add("region", f"{ENTITY}.region.level", _("党员应向具体的社区（村）报到。"))
        elif not Region.objects.filter(code=region).exists():
            errors.add(
                "region", f"{ENTITY}.region.not_found", _("区划不存在：%(c)s") % {"c": region}
            )
        elif not in_scope(actor, region, WRITER_ROLES):
            errors.add("region", f"{ENTITY}.region.out_of_scope", _("该社区不在您的管辖范围内。"))
        elif region != checkin.region_id:
            changes["region"] = region
            checkin.place(region)

    user_id = data.get("user")
    user_id = getattr(user_id, "pk", user_id)
    if user_id not in (None, "") and not User.objects.filter(pk=user_id, is_active=True).exists():
        errors.add("user", f"{ENTITY}.user.not_found", _("平台账号不存在。"))
    put("user_id", user_id if user_id not in (None, "") else None)

    # Terms are checked only when given: a retired term stays on old records (taxonomy).
    categories = (
        _terms(data["categories"], Vocabulary.REQUEST_CATEGORY, "categories", errors)
        if "categories" in data
        else None
    )
    skills = (
        _terms(data["skills"], Vocabulary.SKILL, "skills", errors) if "skills" in data else None
    )
    return {**changes, "_categories": categories, "_skills": skills}


def _replace_terms(model: Any, checkin: PartyMemberCheckin, terms: list[Term]) -> bool:
    """Make the check-in's through rows of `model` exactly `terms`; whether anything changed."""
    rows = model.objects.filter(county_code=checkin.county_code, checkin=checkin)
    before = set(rows.values_list("term_id", flat=True))
    after = {t.pk for t in terms}
    if before == after:
        return False
    rows.filter(term_id__in=before - after).delete()
    model.objects.bulk_create(
        [
            model(checkin=checkin, term_id=pk, county_code=checkin.county_code)
            for pk in sorted(after - before)
        ]
    )
    return True


def _set_terms(
    checkin: PartyMemberCheckin, categories: list[Term] | None, skills: list[Term] | None
) -> dict[str, Any]:
    """Replace the check-in's terms (None: leave them); return what changed for the audit."""
    changes: dict[str, Any] = {}
    if categories is not None and _replace_terms(CheckinCategory, checkin, categories):
        changes["categories"] = [t.code for t in categories]
    if skills is not None and _replace_terms(CheckinSkill, checkin, skills):
        changes["skills"] = [t.code for t in skills]
    return changes


def _check_duplicate(checkin: PartyMemberCheckin) -> None:
    if checkin.status != CheckinStatus.ACTIVE:
        return
    clash = (
        PartyMemberCheckin.objects.filter(
            county_code=checkin.county_code,
            id_number_hash=checkin.id_number_hash,
            status=CheckinStatus.ACTIVE,
        )
        .exclude(pk=checkin.pk)
        .exists()
    )
    if clash:
        message = _("该党员已在本县（市、区）的社区报到，请先结束原报到记录。")
        raise Conflict(message, code=f"{ENTITY}.duplicate_active", fields={"id_number": [message]})


def checkin_create(
    *,
    actor: Any,
    name: str,
    id_number: object,
    work_unit: str,
    party_organization: str,
    region_code: str,
    reported_on: date | None,
    phone: object = "",
    categories: Iterable[Any] = (),
    skills: Iterable[Any] = (),
    user_id: int | None = None,
) -> PartyMemberCheckin:
    if not actor.has_perm("partymembers.add_partymembercheckin"):
        raise PermissionDenied(_("您的角色不能登记党员报到。"), code=f"{ENTITY}.forbidden")
    checkin = PartyMemberCheckin()
    errors = _Errors()
    changes = _check(
        {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "work_unit": work_unit,
            "party_organization": party_organization,
            "region": region_code,
            "reported_on": reported_on,
            "categories": list(categories),
            "skills": list(skills),
            "user": user_id,
        },
        actor,
        checkin,
        errors,
    )
    errors.raise_if_any()
    categories_, skills_ = changes.pop("_categories"), changes.pop("_skills")
    with transaction.atomic():
        _check_duplicate(checkin)
        checkin.save()
        changes.update(_set_terms(checkin, categories_, skills_))
        audit_record(
            action="partymembers.checkin.created",
            actor=actor,
            target=checkin,
            region_code=checkin.region_id,
            changes=changes,
        )
    return checkin


def _locked(actor: Any, checkin_id: int) -> PartyMemberCheckin:
    checkin = (
        checkins_visible(user=actor).select_for_update(of=("self",)).filter(pk=checkin_id).first()
    )
    if checkin is None:
        raise NotFound()
    if not actor.has_perm("partymembers.change_partymembercheckin", checkin):
        raise PermissionDenied(_("您的角色不能修改党员报到记录。"), code=f"{ENTITY}.forbidden")
    return checkin


def checkin_update(
    *, actor: Any, checkin_id: int, changes: Mapping[str, Any]
) -> PartyMemberCheckin:
    """Change some fields (PATCH semantics). The status changes only through `checkin_end`."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            code=f"{ENTITY}.field_readonly",
            fields={f: [_("不能修改。")] for f in sorted(unknown)},
        )
    with transaction.atomic():
        checkin = _locked(actor, checkin_id)
        county = checkin.county_code
        current: dict[str, Any] = {f: getattr(checkin, f) for f in PLAIN_FIELDS}
        current.update(region=checkin.region_id, user=checkin.user_id)
        errors = _Errors()
        applied = _check({**current, **changes}, actor, checkin, errors)
        errors.raise_if_any()
        if checkin.county_code != county:
            # The county is the distribution key (docs/architecture.md §6.2) and never changes.
            message = _("不能改到其他县（市、区）的社区：请在那里重新登记报到。")
            raise ValidationFailed(
                message, code=f"{ENTITY}.region.other_county", fields={"region": [message]}
            )
        categories, skills = applied.pop("_categories"), applied.pop("_skills")
        _check_duplicate(checkin)
        checkin.save()
        applied.update(_set_terms(checkin, categories, skills))
        if applied:
            audit_record(
                action="partymembers.checkin.updated",
                actor=actor,
                target=checkin,
                region_code=checkin.region_id,
                changes=applied,
            )
    return checkin


TRANSITIONS: dict[str, frozenset[str]] = {
    CheckinStatus.ACTIVE: frozenset({CheckinStatus.ENDED}),
    CheckinStatus.ENDED: frozenset(),
}


def checkin_end(*, actor: Any, checkin_id: int, ended_on: date | None = None) -> PartyMemberCheckin:
    """End a check-in (the member moved, or no longer reports here). Ending an ended one
    changes nothing."""
    with transaction.atomic():
        checkin = _locked(actor, checkin_id)
        if checkin.status == CheckinStatus.ENDED:
            return checkin
        if CheckinStatus.ENDED not in TRANSITIONS[checkin.status]:  # pragma: no cover
            raise Conflict(code=f"{ENTITY}.invalid_transition")
        ended_on = ended_on or timezone.localdate()
        if ended_on > timezone.localdate() or ended_on < checkin.reported_on:
            message = _("结束日期应在报到日期与今天之间。")
            raise ValidationFailed(
                message, code=f"{ENTITY}.ended_on.invalid", fields={"ended_on": [message]}
            )
        checkin.status = CheckinStatus.ENDED
        checkin.ended_on = ended_on
        checkin.save(update_fields=["status", "ended_on", "updated_at"])
        audit_record(
            action="partymembers.checkin.ended",
            actor=actor,
            target=checkin,
            region_code=checkin.region_id,
            changes={"ended_on": ended_on.isoformat()},
        )
    return checkin
