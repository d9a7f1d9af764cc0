"""Every write to the organisation register: create, update, the lifecycle transitions
(one service each), grading, and the bulk write behind spreadsheet imports. Each runs in one
transaction with its audit event.

Error codes (422 unless noted): `organization.name.required|too_long|duplicate`,
`organization.region.not_found|out_of_scope`, `organization.coverage.not_found`,
`organization.credit_code.format|checksum|required|not_for_filed|duplicate`,
`organization.category.unknown`, `organization.service_categories.unknown`,
`organization.contact_phone.format`, `organization.contact_name.required`,
`organization.<date field>.future`, `organization.grade.invalid|too_early|registered_on_missing|
expires_on.before_awarded|awarded_on.future`, `organization.official_fields_forbidden` (403),
`organization.invalid_transition` and `organization.grade.not_registered` (409)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, PermissionDenied, ValidationFailed
from wushe.core.identifiers import (
    CREDIT_CODE_WARNINGS,
    CreditCode,
    parse_credit_code,
    parse_phone,
)
from wushe.core.personal import seal_phone
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    GRADE_VALID_YEARS,
    Grade,
    LegalStatus,
    Organization,
    OrganizationContact,
    OrgKind,
    add_years,
)
from .rules import may_change_official, may_place

ENTITY = "organization"

# Facts the registering authority keeps; org staff may change the rest of their own record.
OFFICIAL_FIELDS = frozenset(
    {
        "name",
        "region",
        "org_kind",
        "credit_code",
        "filing_number",
        "coverage",
        "is_hub",
        "is_charity",
        "is_social_work_agency",
        "registered_on",
        "filed_on",
        "deregistered_on",
    }
)
_DATE_FIELDS = ("founded_on", "registered_on", "filed_on", "deregistered_on")

# Credit code position 2 under department 5 (civil affairs) → organisation kind.
_CODE_KIND = {"1": OrgKind.ASSOCIATION, "2": OrgKind.SERVICE_AGENCY, "3": OrgKind.FOUNDATION}
KIND_MISMATCH_WARNING = "organization.credit_code.kind_mismatch"
WARNING_MESSAGES: dict[str, Any] = {
    **CREDIT_CODE_WARNINGS,
    KIND_MISMATCH_WARNING: gettext_lazy(
        "统一社会信用代码第 2 位表示的组织类型与所填组织类型不一致，请对照登记证书核对。"
    ),
}


def warning_message(code: str) -> str:
    return str(WARNING_MESSAGES.get(code, code))


@dataclass
class OrganizationFacts:
    """Everything a user types about an organisation (not its status or grade)."""

    name: str = ""
    region: str = ""  # 12-digit code of the registering/filing authority's region
    org_kind: str = OrgKind.COMMUNITY
    credit_code: str = ""  # as typed; checked and normalised here
    filing_number: str = ""
    category: str = ""  # Term code in org_category
    service_categories: list[str] = field(default_factory=list)  # Term codes
    coverage: list[str] = field(default_factory=list)  # 12-digit region codes
    is_hub: bool = False
    is_charity: bool = False
    is_social_work_agency: bool = False
    has_party_org: bool = False
    legal_representative: str = ""
    address: str = ""
    founded_on: date | None = None
    registered_on: date | None = None
    filed_on: date | None = None
    deregistered_on: date | None = None
    staff_full_time: int = 0
    staff_part_time: int = 0
    staff_social_workers: int = 0
    description: str = ""
    contact_name: str = ""
    contact_phone: str = ""  # as typed; sealed here
    contact_title: str = ""


FACT_FIELDS = frozenset(f.name for f in fields(OrganizationFacts))
_PLAIN_FIELDS = (
    "name",
    "org_kind",
    "filing_number",
    "is_hub",
    "is_charity",
    "is_social_work_agency",
    "has_party_org",
    "legal_representative",
    "address",
    *_DATE_FIELDS,
    "staff_full_time",
    "staff_part_time",
    "staff_social_workers",
    "description",
)


@dataclass
class _Checked:
    """Facts after validation, ready to apply."""

    facts: OrganizationFacts
    credit: CreditCode | None
    warnings: list[str]
    category: Term | None
    service_categories: list[Term]
    contact_phone: str  # E.164 or ''


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, field_name: str, rule: str, message: str) -> None:
        self.items.append((field_name, rule, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        field_name, rule, message = self.items[0]
        fields_map: dict[str, list[str]] = {}
        for name, _rule, text in self.items:
            fields_map.setdefault(name, []).append(text)
        raise ValidationFailed(message, code=f"{ENTITY}.{field_name}.{rule}", fields=fields_map)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def check_credit_code(raw: str, *, org_kind: str) -> tuple[CreditCode | None, list[str]]:
    """Parse a credit code (empty → None); returns warnings (codes) beside it. Raises
    ValidationFailed `organization.credit_code.format|checksum`."""
    if not (raw or "").strip():
        return None, []
    try:
        credit = parse_credit_code(raw)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, code=f"{ENTITY}.{exc.code}", fields={"credit_code": [str(exc.message)]}
        ) from None
    warnings = list(credit.warnings)
    expected = _CODE_KIND.get(credit.org_type) if credit.department == "5" else None
    if expected and org_kind != OrgKind.COMMUNITY and org_kind != expected:
        warnings.append(KIND_MISMATCH_WARNING)
    return credit, warnings


def _check(
    facts: OrganizationFacts,
    *,
    legal_status: str,
    actor: Any,
    today: date,
    exclude_pk: int | None = None,
    check_placement: bool = True,
) -> _Checked:
    errors = _Errors()
    facts = replace(
        facts,
        name=" ".join(facts.name.split()),
        filing_number=facts.filing_number.strip(),
        legal_representative=facts.legal_representative.strip(),
        address=facts.address.strip(),
        contact_name=facts.contact_name.strip(),
        contact_title=facts.contact_title.strip(),
    )
    if not facts.name:
        errors.add("name", "required", _("请填写组织名称。"))
    elif len(facts.name) > 200:
        errors.add("name", "too_long", _("组织名称不能超过 200 个字。"))
    if facts.org_kind not in OrgKind.values:
        errors.add("org_kind", "invalid", _("组织类型无效。"))

    region = Region.objects.filter(code=facts.region).only("code", "level").first()
    if region is None:
        errors.add("region", "not_found", _("登记机关所在区划不存在，请填写 12 位区划代码。"))
    coverage = list(dict.fromkeys(facts.coverage))
    found = set(
        Region.objects.filter(code__in=coverage, level__gte=Region.Level.TOWNSHIP).values_list(
            "code", flat=True
        )
    )
    if missing := [code for code in coverage if code not in found]:
        errors.add(
            "coverage",
            "not_found",
            _("服务区域应为乡镇（街道）或村（社区），以下区划不存在：%(codes)s")
            % {"codes": "、".join(missing)},
        )
    facts = replace(facts, coverage=coverage)
    if (
        check_placement
        and region is not None
        and not missing
        and not may_place(
            actor, org_kind=facts.org_kind, region_code=region.code, coverage=coverage
        )
    ):
        errors.add(
            "region",
            "out_of_scope",
            _(
                "该组织的登记区划或服务社区不在您的管理范围内。社区工作者只能登记服务本社区的社区社会组织。"
            ),
        )

    credit: CreditCode | None = None
    warnings: list[str] = []
    try:
        credit, warnings = check_credit_code(facts.credit_code, org_kind=facts.org_kind)
    except ValidationFailed as exc:
        errors.add("credit_code", exc.code.rsplit(".", 1)[1], str(exc.message))
    else:
        if credit is None and legal_status == LegalStatus.REGISTERED:
            errors.add("credit_code", "required", _("已登记的社会组织须填写统一社会信用代码。"))
        if credit is not None and legal_status == LegalStatus.FILED:
            errors.add(
                "credit_code",
                "not_for_filed",
                _("备案的社区社会组织没有统一社会信用代码，请填写乡镇（街道）发放的备案编号。"),
            )
        if credit is not None:
            clash = Organization.objects.filter(credit_code=credit.code)
            if exclude_pk is not None:
                clash = clash.exclude(pk=exclude_pk)
            if clash.exists():
                errors.add(
                    "credit_code",
                    "duplicate",
                    _("统一社会信用代码 %(code)s 已被其他组织使用。") % {"code": credit.code},
                )

    if facts.name and region is not None:
        same = Organization.objects.filter(region_id=region.code, name=facts.name)
        if exclude_pk is not None:
            same = same.exclude(pk=exclude_pk)
        if same.exists():
            errors.add("name", "duplicate", _("该区划内已有同名的社会组织。"))

    category: Term | None = None
    if facts.category:
        category = Term.objects.filter(
            vocabulary=Vocabulary.ORG_CATEGORY, code=facts.category
        ).first()
        if category is None:
            errors.add("category", "unknown", _("组织类别不在分类目录中。"))
    wanted = list(dict.fromkeys(facts.service_categories))
    service_terms = list(
        Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY, code__in=wanted)
    )
    if len(service_terms) != len(wanted):
        known = {t.code for t in service_terms}
        errors.add(
            "service_categories",
            "unknown",
            _("服务领域不在分类目录中：%(codes)s")
            % {"codes": "、".join(c for c in wanted if c not in known)},
        )

    for name in _DATE_FIELDS:
        value = getattr(facts, name)
        if value is not None and value > today:
            errors.add(name, "future", _("日期不能晚于今天。"))
    for name in ("staff_full_time", "staff_part_time", "staff_social_workers"):
        if getattr(facts, name) < 0:
            errors.add(name, "negative", _("人数不能为负数。"))

    phone = ""
    if facts.contact_phone.strip():
        try:
            phone = parse_phone(facts.contact_phone)
        except ValidationFailed as exc:
            errors.add("contact_phone", "format", str(exc.message))
        if not facts.contact_name:
            errors.add("contact_name", "required", _("填写联系电话时，请同时填写联系人姓名。"))
    errors.raise_if_any()
    return _Checked(facts, credit, warnings, category, service_terms, phone)


def _apply(org: Organization, checked: _Checked, only: Iterable[str] | None = None) -> None:
    names = set(only) if only is not None else set(FACT_FIELDS)
    facts = checked.facts
    for name in _PLAIN_FIELDS:
        if name in names:
            setattr(org, name, getattr(facts, name))
    if "region" in names:
        org.region_id = facts.region
    if "credit_code" in names:
        org.credit_code = checked.credit.code if checked.credit else ""
        org.credit_code_warnings = checked.warnings
    if "category" in names:
        org.category = checked.category


def _set_relations(org: Organization, checked: _Checked, names: set[str]) -> None:
    if "service_categories" in names:
        org.service_categories.set(checked.service_categories)
    if "coverage" in names:
        org.coverage.set(list(Region.objects.filter(code__in=checked.facts.coverage)))
    if names & {"contact_name", "contact_phone", "contact_title"}:
        _set_primary_contact(org, checked)


def _set_primary_contact(org: Organization, checked: _Checked) -> None:
    facts = checked.facts
    contact = OrganizationContact.objects.filter(organization=org, is_primary=True).first()
    if not facts.contact_name and not checked.contact_phone:
        if contact is not None:
            contact.delete()
        return
    if contact is None:
        contact = OrganizationContact(organization=org, is_primary=True)
    contact.name = facts.contact_name
    contact.title = facts.contact_title
    seal_phone(contact, checked.contact_phone)
    contact.save()


def _summary(org: Organization, checked: _Checked, names: Iterable[str]) -> dict[str, Any]:
    """What changed, for the audit log: plain values, codes for relations, phone masked."""
    facts = checked.facts
    summary: dict[str, Any] = {}
    for name in sorted(names):
        if name == "contact_phone":
            summary[name] = checked.contact_phone  # masked by audit_record
        elif name == "credit_code":
            summary[name] = org.credit_code
        elif name in {"founded_on", "registered_on", "filed_on", "deregistered_on"}:
            value = getattr(facts, name)
            summary[name] = value.isoformat() if value else None
        else:
            summary[name] = getattr(facts, name)
    return summary


def organization_create(
    *,
    facts: OrganizationFacts,
    legal_status: str = LegalStatus.FILED,
    actor: Any,
    today: date | None = None,
) -> Organization:
    """Add an organisation to the register, in any status (the register also records
    organisations registered long ago, and informal groups)."""
    day = _today(today)
    if legal_status not in LegalStatus.values:
        raise ValidationFailed(
            _("登记状态无效。"),
            code=f"{ENTITY}.legal_status.invalid",
            fields={"legal_status": [_("登记状态无效。")]},
        )
    with transaction.atomic():
        checked = _check(facts, legal_status=legal_status, actor=actor, today=day)
        org = Organization(legal_status=legal_status)
        _apply(org, checked)
        org.save()
        _set_relations(org, checked, set(FACT_FIELDS))
        audit_record(
            action="organizations.organization.created",
            actor=actor,
            target=org,
            region_code=org.region_id,
            changes={
                "legal_status": legal_status,
                **_summary(org, checked, [n for n in FACT_FIELDS if getattr(checked.facts, n)]),
            },
        )
    return org


def _facts_of(org: Organization) -> OrganizationFacts:
    contact = (
        OrganizationContact.objects.filter(organization=org, is_primary=True)
        .only("name", "title")
        .first()
    )
    return OrganizationFacts(
        name=org.name,
        region=str(org.region_id),
        org_kind=org.org_kind,
        credit_code=org.credit_code,
        filing_number=org.filing_number,
        category=org.category.code if org.category_id and org.category else "",
        service_categories=list(org.service_categories.values_list("code", flat=True)),
        coverage=list(org.coverage.values_list("code", flat=True)),
        is_hub=org.is_hub,
        is_charity=org.is_charity,
        is_social_work_agency=org.is_social_work_agency,
        has_party_org=org.has_party_org,
        legal_representative=org.legal_representative,
        address=org.address,
        founded_on=org.founded_on,
        registered_on=org.registered_on,
        filed_on=org.filed_on,
        deregistered_on=org.deregistered_on,
        staff_full_time=org.staff_full_time,
        staff_part_time=org.staff_part_time,
        staff_social_workers=org.staff_social_workers,
        description=org.description,
        contact_name=contact.name if contact else "",
        contact_phone="",  # sealed: unchanged unless a new value is given
        contact_title=contact.title if contact else "",
    )


def organization_update(
    *,
    organization: Organization,
    changes: Mapping[str, Any],
    actor: Any,
    today: date | None = None,
) -> Organization:
    """Change some facts (keys of OrganizationFacts). Status and grade have their own
    services. Official facts need `organizations.change_official_organization`."""
    day = _today(today)
    unknown = set(changes) - FACT_FIELDS
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(names)s") % {"names": "、".join(sorted(unknown))},
            code=f"{ENTITY}.fields.unknown",
            fields={name: [_("不能修改此字段。")] for name in sorted(unknown)},
        )
    with transaction.atomic():
        # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        before = _facts_of(org)
        wanted = dict(changes)
        if not str(wanted.get("contact_phone") or "").strip():
            wanted.pop("contact_phone", None)  # empty: keep the sealed phone
        changed = {
            name
            for name, value in wanted.items()
            if name == "contact_phone" or _normalized(value) != _normalized(getattr(before, name))
        }
        if not changed:
            return org
        if changed & OFFICIAL_FIELDS and not may_change_official(actor, org):
            raise PermissionDenied(
                _(
                    "登记名称、登记区划、信用代码、备案编号、服务区域等登记事项只能由登记（备案）机关修改。"
                ),
                code=f"{ENTITY}.official_fields_forbidden",
            )
        facts = replace(before, **{name: wanted[name] for name in changed})
        checked = _check(
            facts,
            legal_status=org.legal_status,
            actor=actor,
            today=day,
            exclude_pk=org.pk,
            check_placement=bool(changed & OFFICIAL_FIELDS),
        )
        relations = set(changed)
        if "contact_phone" not in changed and {"contact_name", "contact_title"} & changed:
            _rename_primary_contact(org, checked.facts)
            relations -= {"contact_name", "contact_title"}
        _apply(org, checked, changed)
        org.save()
        _set_relations(org, checked, relations)
        audit_record(
            action="organizations.organization.updated",
            actor=actor,
            target=org,
            region_code=org.region_id,
            changes=_summary(org, checked, changed),
        )
    return org


def _rename_primary_contact(org: Organization, facts: OrganizationFacts) -> None:
    contact = OrganizationContact.objects.filter(organization=org, is_primary=True).first()
    if contact is None:
        if facts.contact_name:
            OrganizationContact.objects.create(
                organization=org,
                is_primary=True,
                name=facts.contact_name,
                title=facts.contact_title,
            )
        return
    if not facts.contact_name:
        contact.delete()
        return
    contact.name, contact.title = facts.contact_name, facts.contact_title
    contact.save(update_fields=["name", "title"])


def _normalized(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted(value)
    if isinstance(value, str):
        return value.strip()
    return value


# --- Lifecycle --------------------------------------------------------------------------------

# transition → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "register": (frozenset({LegalStatus.FILED}), LegalStatus.REGISTERED),
    "file": (frozenset({LegalStatus.INFORMAL}), LegalStatus.FILED),
    "deregister": (
        frozenset({LegalStatus.REGISTERED, LegalStatus.FILED, LegalStatus.INFORMAL}),
        LegalStatus.DEREGISTERED,
    ),
}


def _begin_transition(organization: Organization, transition: str) -> tuple[Organization, bool]:
    """Lock the row; (row, True) when the transition already happened (a no-op)."""
    sources, target = TRANSITIONS[transition]
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.legal_status == target:
        return org, True
    if org.legal_status not in sources:
        raise Conflict(
            _("当前登记状态为“%(status)s”，不能执行此操作。")
            % {"status": LegalStatus(org.legal_status).label},
            code=f"{ENTITY}.invalid_transition",
            fields={"legal_status": org.legal_status, "transition": transition},
        )
    return org, False


def _check_day(value: date, name: str, today: date) -> None:
    if value > today:
        raise ValidationFailed(
            _("日期不能晚于今天。"),
            code=f"{ENTITY}.{name}.future",
            fields={name: [_("日期不能晚于今天。")]},
        )


def organization_register(
    *,
    organization: Organization,
    credit_code: str,
    registered_on: date | None = None,
    actor: Any,
    today: date | None = None,
) -> Organization:
    """Filed → registered (登记): the organisation now has a credit code."""
    day = _today(today)
    registered_on = registered_on or day
    _check_day(registered_on, "registered_on", day)
    with transaction.atomic():
        org, done = _begin_transition(organization, "register")
        if done:
            return org
        credit, warnings = check_credit_code(credit_code, org_kind=org.org_kind)
        if credit is None:
            raise ValidationFailed(
                _("登记须填写统一社会信用代码。"),
                code=f"{ENTITY}.credit_code.required",
                fields={"credit_code": [_("请填写统一社会信用代码。")]},
            )
        if Organization.objects.filter(credit_code=credit.code).exclude(pk=org.pk).exists():
            raise ValidationFailed(
                _("统一社会信用代码 %(code)s 已被其他组织使用。") % {"code": credit.code},
                code=f"{ENTITY}.credit_code.duplicate",
                fields={"credit_code": [_("该代码已被其他组织使用。")]},
            )
        org.legal_status = LegalStatus.REGISTERED
        org.credit_code = credit.code
        org.credit_code_warnings = warnings
        org.registered_on = registered_on
        org.save(
            update_fields=[
                "legal_status",
                "credit_code",
                "credit_code_warnings",
                "registered_on",
                "updated_at",
            ]
        )
        audit_record(
            action="organizations.organization.registered",
            actor=actor,
            target=org,
            region_code=org.region_id,
            changes={
                "credit_code": org.credit_code,
                "registered_on": registered_on.isoformat(),
                "warnings": warnings,
            },
        )
    return org


def organization_file(
    *,
    organization: Organization,
    filing_number: str = "",
    filed_on: date | None = None,
    actor: Any,
    today: date | None = None,
) -> Organization:
    """Informal group → filed (备案) with the township."""
    day = _today(today)
    filed_on = filed_on or day
    _check_day(filed_on, "filed_on", day)
    with transaction.atomic():
        org, done = _begin_transition(organization, "file")
        if done:
            return org
        org.legal_status = LegalStatus.FILED
        org.filing_number = filing_number.strip()[:50]
        org.filed_on = filed_on
        org.save(update_fields=["legal_status", "filing_number", "filed_on", "updated_at"])
        audit_record(
            action="organizations.organization.filed",
            actor=actor,
            target=org,
            region_code=org.region_id,
            changes={"filing_number": org.filing_number, "filed_on": filed_on.isoformat()},
        )
    return org


def organization_deregister(
    *,
    organization: Organization,
    deregistered_on: date | None = None,
    reason: str = "",
    actor: Any,
    today: date | None = None,
) -> Organization:
    """Registered, filed or informal → deregistered (注销/撤销备案/解散). Final."""
    day = _today(today)
    deregistered_on = deregistered_on or day
    _check_day(deregistered_on, "deregistered_on", day)
    with transaction.atomic():
        org, done = _begin_transition(organization, "deregister")
        if done:
            return org
        previous = org.legal_status
        org.legal_status = LegalStatus.DEREGISTERED
        org.deregistered_on = deregistered_on
        org.save(update_fields=["legal_status", "deregistered_on", "updated_at"])
        audit_record(
            action="organizations.organization.deregistered",
            actor=actor,
            target=org,
            region_code=org.region_id,
            changes={
                "from": previous,
                "deregistered_on": deregistered_on.isoformat(),
                "reason": reason.strip()[:200],
            },
        )
    return org


# --- Evaluation grade -------------------------------------------------------------------------


def grade_expiry(awarded_on: date) -> date:
    """Last valid day of a grade awarded on `awarded_on` (valid five years)."""
    return add_years(awarded_on, GRADE_VALID_YEARS) - timedelta(days=1)


def _grade_error(message: str, rule: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"{ENTITY}.grade.{rule}", fields={field_name: [message]})


def organization_grade(
    *,
    organization: Organization,
    grade: str,
    awarded_on: date,
    expires_on: date | None = None,
    actor: Any,
    today: date | None = None,
) -> Organization:
    """Record an evaluation grade (1A–5A). Only registered organisations, and only after two
    full years of registration, may be graded; the grade is valid five years unless the
    decision says otherwise. Recording the same grade again is a no-op."""
    day = _today(today)
    if grade not in Grade.values:
        raise _grade_error(_("评估等级应为 1A 至 5A。"), "invalid", "grade")
    if awarded_on > day:
        raise _grade_error(_("评定日期不能晚于今天。"), "awarded_on.future", "awarded_on")
    expires_on = expires_on or grade_expiry(awarded_on)
    if expires_on <= awarded_on:
        raise _grade_error(
            _("等级有效期应晚于评定日期。"), "expires_on.before_awarded", "expires_on"
        )
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        if (org.grade, org.grade_awarded_on, org.grade_expires_on) == (
            grade,
            awarded_on,
            expires_on,
        ):
            return org
        if org.legal_status != LegalStatus.REGISTERED:
            raise Conflict(
                _("只有已登记的社会组织才能参加等级评估。"),
                code=f"{ENTITY}.grade.not_registered",
                fields={"legal_status": org.legal_status},
            )
        eligible_from = org.grade_eligible_from()
        if eligible_from is None:
            raise _grade_error(
                _("请先填写该组织的登记日期：登记满两年方可参加评估。"),
                "registered_on_missing",
                "registered_on",
            )
        if awarded_on < eligible_from:
            raise _grade_error(
                _("取得登记证书满两年后方可参加评估：该组织最早可于 %(day)s 评定等级。")
                % {"day": eligible_from.isoformat()},
                "too_early",
                "awarded_on",
            )
        previous = org.grade
        org.grade, org.grade_awarded_on, org.grade_expires_on = grade, awarded_on, expires_on
        org.save(update_fields=["grade", "grade_awarded_on", "grade_expires_on", "updated_at"])
        audit_record(
            action="organizations.organization.graded",
            actor=actor,
            target=org,
            region_code=org.region_id,
            changes={
                "grade": grade,
                "previous": previous,
                "awarded_on": awarded_on.isoformat(),
                "expires_on": expires_on.isoformat(),
            },
        )
    return org


# --- Bulk write for spreadsheet imports -------------------------------------------------------

IMPORT_FIELDS = frozenset(
    {
        "name",
        "region_id",
        "legal_status",
        "org_kind",
        "credit_code",
        "credit_code_warnings",
        "filing_number",
        "grade",
        "grade_awarded_on",
        "grade_expires_on",
        "is_hub",
        "is_charity",
        "is_social_work_agency",
        "has_party_org",
        "legal_representative",
        "address",
        *_DATE_FIELDS,
        "staff_full_time",
        "staff_part_time",
        "staff_social_workers",
    }
)


@dataclass
class ImportedOrganization:
    """One checked spreadsheet row. `values` holds model fields the row gives (IMPORT_FIELDS);
    a field it leaves empty keeps the stored value on update. Relations likewise: None keeps."""

    values: dict[str, Any]
    category: str | None = None  # Term code in org_category
    service_categories: list[str] | None = None  # Term codes
    coverage: list[str] | None = None  # region codes
    contact_name: str = ""
    contact_phone: str = ""  # E.164
    existing_pk: int | None = None


def organizations_import(*, rows: Sequence[ImportedOrganization], actor: Any) -> tuple[int, int]:
    """Create or update organisations from checked import rows in bulk (inside the import
    engine's transaction) and write one audit event. A status given in a spreadsheet is a
    correction of the register, not a lifecycle transition, so it is written directly (and
    the audit event says how many rows were imported). Returns (created, updated)."""
    unknown = {name for row in rows for name in row.values} - IMPORT_FIELDS
    if unknown:
        raise ValueError(f"not importable: {sorted(unknown)}")
    categories = {t.code: t for t in Term.objects.filter(vocabulary=Vocabulary.ORG_CATEGORY)}
    with transaction.atomic():
        existing = Organization.objects.select_for_update().in_bulk(
            [r.existing_pk for r in rows if r.existing_pk is not None]
        )
        to_create: list[Organization] = []
        to_update: list[Organization] = []
        update_fields: set[str] = set()
        pairs: list[tuple[Organization, ImportedOrganization]] = []
        for row in rows:
            org = existing.get(row.existing_pk) if row.existing_pk is not None else None
            if org is None:
                org = Organization()
                to_create.append(org)
            else:
                to_update.append(org)
                update_fields.update(row.values)
            for name, value in row.values.items():
                setattr(org, name, value)
            if row.category is not None:
                org.category = categories.get(row.category)
                update_fields.add("category")
            pairs.append((org, row))
        Organization.objects.bulk_create(to_create, batch_size=500)
        if missing := [o for o in to_create if o.pk is None]:
            # Backends without RETURNING on bulk inserts: find the new ids by natural key.
            ids = {
                (region, name): pk
                for region, name, pk in Organization.objects.filter(
                    name__in={o.name for o in missing}
                ).values_list("region_id", "name", "id")
            }
            for org in missing:
                org.pk = ids[(org.region_id, org.name)]
        if to_update:
            fields_list = sorted(
                ("region" if name == "region_id" else name) for name in update_fields
            )
            Organization.objects.bulk_update(
                to_update, [*fields_list, "updated_at"], batch_size=500
            )
        _import_relations(pairs)
        audit_record(
            action="organizations.organization.imported",
            actor=actor,
            region_code=_common_region(pairs),
            changes={
                "created": len(to_create),
                "updated": len(to_update),
                "ids": sorted(int(o.pk) for o, _r in pairs)[:500],
            },
        )
    return len(to_create), len(to_update)


def _import_relations(pairs: Sequence[tuple[Organization, ImportedOrganization]]) -> None:
    coverage_model = Organization.coverage.through
    services_model = Organization.service_categories.through
    service_terms = {
        t.code: t.pk for t in Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY)
    }
    with_coverage = [(o, r.coverage) for o, r in pairs if r.coverage is not None]
    coverage_model.objects.filter(organization_id__in=[o.pk for o, _c in with_coverage]).delete()
    coverage_model.objects.bulk_create(
        [
            coverage_model(organization_id=o.pk, region_id=code)
            for o, codes_ in with_coverage
            for code in dict.fromkeys(codes_)
        ],
        batch_size=1000,
    )
    with_services = [
        (o, r.service_categories) for o, r in pairs if r.service_categories is not None
    ]
    services_model.objects.filter(organization_id__in=[o.pk for o, _s in with_services]).delete()
    services_model.objects.bulk_create(
        [
            services_model(organization_id=o.pk, term_id=service_terms[code])
            for o, codes_ in with_services
            for code in dict.fromkeys(codes_)
            if code in service_terms
        ],
        batch_size=1000,
    )
    with_contact = [(o, r) for o, r in pairs if r.contact_name]
    current = {
        c.organization_id: c
        for c in OrganizationContact.objects.filter(
            organization_id__in=[o.pk for o, _r in with_contact], is_primary=True
        )
    }
    new_contacts: list[OrganizationContact] = []
    changed_contacts: list[OrganizationContact] = []
    for org, row in with_contact:
        contact = current.get(org.pk)
        if contact is None:
            contact = OrganizationContact(organization_id=org.pk, is_primary=True)
            new_contacts.append(contact)
        else:
            changed_contacts.append(contact)
        contact.name = row.contact_name
        if row.contact_phone:
            seal_phone(contact, row.contact_phone)
    OrganizationContact.objects.bulk_create(new_contacts, batch_size=500)
    if changed_contacts:
        OrganizationContact.objects.bulk_update(
            changed_contacts, ["name", "phone_token", "phone_hash", "phone_masked"], batch_size=500
        )


def _common_region(pairs: Sequence[tuple[Organization, ImportedOrganization]]) -> str:
    """The region an import event is filed under: the narrowest region containing every row's
    registering region, so auditors scoped there find it."""
    region_codes = [str(o.region_id) for o, _r in pairs]
    if not region_codes:
        return ""
    common = region_codes[0]
    for code in region_codes[1:]:
        length = 0
        while length < min(len(common), len(code)) and common[length] == code[length]:
            length += 1
        common = common[:length]
    for size in (12, 9, 6, 4, 2):
        if len(common) >= size:
            return common[:size].ljust(12, "0")
    return ""
