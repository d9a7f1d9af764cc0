"""Every write to charity resources: validate, check permission and state, change, audit, all
in one transaction. Entry points (pages, API) call these and nothing else.

Plain `transaction.atomic()` rather than `durable=True`: the time bank's store redemption will
run `store_item_*` services inside its own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wushe.core.identifiers import parse_credit_code
from wushe.core.personal import seal_id_number, seal_phone
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    CharityFund,
    CharityStore,
    Donation,
    DonationKind,
    Donor,
    DonorKind,
    FundKind,
    FundPurpose,
    FundStatus,
    StoreItem,
)
from .money import DONATION_FEN_MAX, require_fen
from .rules import FUND_WRITER_ROLES, STORE_WRITER_ROLES
from .selectors import organizations_in_scope

FUND_LEVELS = frozenset({2, 3, 4, 5})  # city foundation down to a community micro-fund
DONOR_LEVELS = frozenset({2, 3, 4, 5})
STORE_LEVELS = frozenset({4, 5})  # a township or a community store
MAX_STOCK = 1_000_000_000  # well inside a 32-bit integer column
MIN_REASON_LENGTH = 4


# --- helpers ---------------------------------------------------------------------------------


def _invalid(code: str, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [message]})


def authorize(actor: Any, perm: str, obj: Any, *, view_perm: str) -> None:
    """Outside the actor's scope the object does not exist (404); inside it, a role that may
    only read gets 403. The API calls it before it looks up ids and codes of a body."""
    if not actor.has_perm(view_perm, obj):
        raise NotFound()
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(_("您的角色只能查看，不能修改慈善资源。"), code="charity.forbidden")


def _authorize_create(actor: Any, perm: str, region_code: str) -> None:
    if actor.has_perm(perm, region_code):
        return
    if actor.has_perm(perm):
        raise _invalid("charity.region_out_of_scope", "region", _("该区划不在您的管辖范围内。"))
    raise PermissionDenied(_("您的角色不能登记慈善资源。"), code="charity.forbidden")


def create_allowed(actor: Any, perm: str) -> None:
    """Refuse (403) a caller whose role may not create such records in any region. Permission
    comes before the input: entry points that look input up (a purpose code, an organisation
    id) call it before they do, so the refusal does not depend on the body."""
    if not actor.has_perm(perm):
        raise PermissionDenied(_("您的角色不能登记慈善资源。"), code="charity.forbidden")


def _create_region(actor: Any, perm: str, raw: object, levels: frozenset[int], code: str) -> Region:
    """The region a new record goes to, once the role may create such records at all."""
    create_allowed(actor, perm)
    region = _region(raw, levels, code)
    _authorize_create(actor, perm, region.code)
    return region


def _region(raw: object, levels: frozenset[int], code: str) -> Region:
    region_code = codes.normalize(raw)
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise _invalid("region.not_found", "region", _("区划不存在。"))
    if region.level not in levels:
        raise _invalid(code, "region", _("不能登记在该层级的区划上。"))
    return region


def _organization_in_scope(
    actor: Any,
    organization: Organization | None,
    *,
    roles: frozenset[str],
    field: str,
    current_id: int | None = None,
) -> None:
    """Refuse an organisation outside the actor's scope (422, like a region outside it): a
    township officer may not make another county's organisation a fund's manager. The one
    already chosen (`current_id`, set earlier by a wider scope) may stay."""
    if organization is None or organization.pk == current_id:
        return
    if not organizations_in_scope(user=actor, roles=roles).filter(pk=organization.pk).exists():
        raise _invalid(
            "charity.organization_out_of_scope", field, _("该社会组织不在您的管辖范围内。")
        )


def _text(value: object, *, field: str, code: str, max_length: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(code, field, _("此项必填。"))
    if len(text) > max_length:
        raise _invalid(
            f"{field}.too_long", field, _("内容过长（最多 %(n)s 个字）。") % {"n": max_length}
        )
    return text


def _not_future(value: date | None, *, field: str, code: str) -> date | None:
    if value is not None and value > timezone.localdate():
        raise _invalid(code, field, _("日期不能晚于今天。"))
    return value


def _count(value: object, *, field: str, code: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{code}_integer", field, _("必须是整数。"))
    if value < minimum:
        message = _("必须大于零。") if minimum > 0 else _("不能为负数。")
        raise _invalid(f"{code}_positive" if minimum > 0 else f"{code}_negative", field, message)
    if value > MAX_STOCK:
        raise _invalid(f"{code}_too_large", field, _("数值过大，请核对。"))
    return value


def _check_keys(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"not updatable here: {sorted(unknown)}")


def _service_terms(terms: Iterable[Term], field: str) -> list[Term]:
    found = list(terms)
    if any(term.vocabulary != Vocabulary.SERVICE_CATEGORY for term in found):
        raise _invalid("fund.purpose_invalid", field, _("用途必须是“服务类别”目录中的条目。"))
    return found


# --- Funds -----------------------------------------------------------------------------------


def _fund_fields(fund: CharityFund, values: Mapping[str, Any]) -> list[Term] | None:
    """Validate and apply fund fields; returns the new purpose terms (None: unchanged)."""
    if "kind" in values:
        if values["kind"] not in FundKind.values:
            raise _invalid("fund.kind_invalid", "kind", _("基金类型无效。"))
        fund.kind = values["kind"]
    if "name" in values:
        fund.name = _text(
            values["name"], field="name", code="fund.name_required", max_length=200, required=True
        )
    if "managing_org" in values:
        org = values["managing_org"]
        if org is not None and not isinstance(org, Organization):
            raise TypeError("managing_org must be an Organization")
        fund.managing_org = org
    if "opened_on" in values:
        fund.opened_on = _not_future(
            values["opened_on"], field="opened_on", code="fund.opened_in_future"
        )
    if "purpose_text" in values:
        fund.purpose_text = _text(
            values["purpose_text"], field="purpose_text", code="", max_length=2000, required=False
        )
    if "public" in values:
        fund.public = bool(values["public"])
    if "purposes" in values:
        return _service_terms(values["purposes"], "purposes")
    return None


def _fund_name_taken(fund: CharityFund) -> bool:
    return (
        CharityFund.objects.filter(
            county_code=fund.county_code, region_id=fund.region_id, name=fund.name
        )
        .exclude(pk=fund.pk)
        .exists()
    )


def _set_purposes(fund: CharityFund, terms: list[Term]) -> None:
    FundPurpose.objects.filter(fund=fund).delete()
    FundPurpose.objects.bulk_create(
        FundPurpose(fund=fund, term=term, county_code=fund.county_code) for term in terms
    )


def _fund_snapshot(fund: CharityFund, terms: list[Term] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": fund.kind,
        "name": fund.name,
        "managing_org": fund.managing_org_id,
        "opened_on": fund.opened_on.isoformat() if fund.opened_on else None,
        "purpose_text": fund.purpose_text,
        "public": fund.public,
    }
    if terms is not None:
        data["purposes"] = sorted(term.code for term in terms)
    return data


def fund_create(
    *,
    region_code: str,
    kind: str,
    name: str,
    managing_org: Organization | None = None,
    opened_on: date | None = None,
    purpose_text: str = "",
    purposes: Iterable[Term] = (),
    public: bool = True,
    actor: Any,
) -> CharityFund:
    region = _create_region(
        actor, "charity.add_fund", region_code, FUND_LEVELS, "fund.region_level"
    )
    fund = CharityFund()
    fund.place(region.code)
    terms = _fund_fields(
        fund,
        {
            "kind": kind,
            "name": name,
            "managing_org": managing_org,
            "opened_on": opened_on,
            "purpose_text": purpose_text,
            "public": public,
            "purposes": purposes,
        },
    )
    _organization_in_scope(actor, fund.managing_org, roles=FUND_WRITER_ROLES, field="managing_org")
    with transaction.atomic():
        if _fund_name_taken(fund):
            raise Conflict(
                _("该区划下已有同名基金。"),
                code="fund.name_taken",
                fields={"name": [_("该区划下已有同名基金。")]},
            )
        fund.save()
        _set_purposes(fund, terms or [])
        audit_record(
            action="charity.fund.created",
            actor=actor,
            target=fund,
            region_code=fund.region_id,
            changes=_fund_snapshot(fund, terms or []),
        )
    return fund


FUND_UPDATABLE = ("kind", "name", "managing_org", "opened_on", "purpose_text", "public", "purposes")


def fund_update(*, fund: CharityFund, changes: Mapping[str, Any], actor: Any) -> CharityFund:
    """Change a fund's description. Status moves only through `fund_close`; the region never
    moves (its donations carry the county)."""
    authorize(actor, "charity.change_fund", fund, view_perm="charity.view_fund")
    _check_keys(changes, FUND_UPDATABLE)
    with transaction.atomic():
        locked = CharityFund.objects.select_for_update().get(
            county_code=fund.county_code, pk=fund.pk
        )
        before = _fund_snapshot(locked, list(locked.purposes.all()))
        current_org_id = locked.managing_org_id
        terms = _fund_fields(locked, changes)
        if "managing_org" in changes:
            _organization_in_scope(
                actor,
                locked.managing_org,
                roles=FUND_WRITER_ROLES,
                field="managing_org",
                current_id=current_org_id,
            )
        if "name" in changes and _fund_name_taken(locked):
            raise Conflict(
                _("该区划下已有同名基金。"),
                code="fund.name_taken",
                fields={"name": [_("该区划下已有同名基金。")]},
            )
        fields = [key for key in changes if key != "purposes"]
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        if terms is not None:
            _set_purposes(locked, terms)
        after = _fund_snapshot(locked, terms if terms is not None else None)
        diff = {
            key: [before.get(key), value]
            for key, value in after.items()
            if before.get(key) != value
        }
        audit_record(
            action="charity.fund.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes=diff,
        )
    return locked


def fund_close(*, fund: CharityFund, closed_on: date | None = None, actor: Any) -> CharityFund:
    """Close a fund to new donations. Closing a closed fund changes nothing."""
    authorize(actor, "charity.change_fund", fund, view_perm="charity.view_fund")
    closed_on = _not_future(closed_on, field="closed_on", code="fund.closed_in_future")
    with transaction.atomic():
        locked = CharityFund.objects.select_for_update().get(
            county_code=fund.county_code, pk=fund.pk
        )
        if locked.status == FundStatus.CLOSED:
            return locked
        locked.status = FundStatus.CLOSED
        locked.closed_on = closed_on or timezone.localdate()
        locked.save(update_fields=["status", "closed_on", "updated_at"])
        audit_record(
            action="charity.fund.closed",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"closed_on": locked.closed_on.isoformat()},
        )
    return locked


# --- Donors ----------------------------------------------------------------------------------


def _donor_fields(donor: Donor, values: Mapping[str, Any]) -> None:
    if "name" in values:
        donor.name = _text(
            values["name"], field="name", code="donor.name_required", max_length=200, required=True
        )
    if "contact_name" in values:
        donor.contact_name = _text(
            values["contact_name"], field="contact_name", code="", max_length=50, required=False
        )
    if "anonymous" in values:
        donor.anonymous = bool(values["anonymous"])
    if "note" in values:
        donor.note = _text(values["note"], field="note", code="", max_length=2000, required=False)
    if "phone" in values:
        seal_phone(donor, values["phone"])
    if "id_number" in values:
        raw = values["id_number"]
        if donor.kind == DonorKind.ENTERPRISE and str(raw or "").strip():
            raise _invalid(
                "donor.id_number_for_enterprise", "id_number", _("企业捐赠人不填身份证号。")
            )
        seal_id_number(donor, raw)
    if "credit_code" in values:
        raw = str(values["credit_code"] or "").strip()
        if donor.kind == DonorKind.PERSON and raw:
            raise _invalid(
                "donor.credit_code_for_person",
                "credit_code",
                _("个人捐赠人不填统一社会信用代码。"),
            )
        donor.credit_code = parse_credit_code(raw).code if raw else ""


def _donor_duplicates(donor: Donor) -> None:
    others = Donor.objects.filter(county_code=donor.county_code).exclude(pk=donor.pk)
    if donor.credit_code and others.filter(credit_code=donor.credit_code).exists():
        message = _("本县（市、区）已登记该统一社会信用代码的捐赠人。")
        raise Conflict(message, code="donor.credit_code_taken", fields={"credit_code": [message]})
    if donor.id_number_hash and others.filter(id_number_hash=donor.id_number_hash).exists():
        message = _("本县（市、区）已登记该身份证号的捐赠人。")
        raise Conflict(message, code="donor.duplicate", fields={"id_number": [message]})


def _donor_snapshot(donor: Donor) -> dict[str, Any]:
    return {
        "kind": donor.kind,
        "name": donor.name,
        "anonymous": donor.anonymous,
        "credit_code": donor.credit_code,
        "contact_name": donor.contact_name,
        "id_number": donor.id_number_masked,
        "phone": donor.phone_masked,
    }


def donor_create(
    *,
    region_code: str,
    kind: str,
    name: str,
    phone: str = "",
    id_number: str = "",
    credit_code: str = "",
    contact_name: str = "",
    anonymous: bool = False,
    note: str = "",
    actor: Any,
) -> Donor:
    region = _create_region(
        actor, "charity.add_donor", region_code, DONOR_LEVELS, "donor.region_level"
    )
    if kind not in DonorKind.values:
        raise _invalid("donor.kind_invalid", "kind", _("捐赠人类型无效。"))
    donor = Donor(kind=kind)
    donor.place(region.code)
    _donor_fields(
        donor,
        {
            "name": name,
            "phone": phone,
            "id_number": id_number,
            "credit_code": credit_code,
            "contact_name": contact_name,
            "anonymous": anonymous,
            "note": note,
        },
    )
    with transaction.atomic():
        _donor_duplicates(donor)
        donor.save()
        audit_record(
            action="charity.donor.created",
            actor=actor,
            target=donor,
            region_code=donor.region_id,
            changes=_donor_snapshot(donor),
        )
    return donor


DONOR_UPDATABLE = ("name", "phone", "id_number", "credit_code", "contact_name", "anonymous", "note")
_SEALED_COLUMNS = {
    "phone": ["phone_token", "phone_hash", "phone_masked"],
    "id_number": [
        "id_number_token",
        "id_number_hash",
        "id_number_masked",
        "birth_date",
        "sex",
    ],
}


def donor_update(*, donor: Donor, changes: Mapping[str, Any], actor: Any) -> Donor:
    """Change a donor's details. Kind and region stay (donations point at the donor)."""
    authorize(actor, "charity.change_donor", donor, view_perm="charity.view_donor")
    _check_keys(changes, DONOR_UPDATABLE)
    with transaction.atomic():
        locked = Donor.objects.select_for_update().get(county_code=donor.county_code, pk=donor.pk)
        before = _donor_snapshot(locked)
        _donor_fields(locked, changes)
        _donor_duplicates(locked)
        fields: list[str] = []
        for key in changes:
            fields.extend(_SEALED_COLUMNS.get(key, [key]))
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        after = _donor_snapshot(locked)
        audit_record(
            action="charity.donor.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={k: [before[k], v] for k, v in after.items() if before[k] != v},
        )
    return locked


# --- Donations -------------------------------------------------------------------------------


def _check_purpose(fund: CharityFund | None, purpose: Term | None, purpose_text: str) -> None:
    if purpose is not None and purpose.vocabulary != Vocabulary.SERVICE_CATEGORY:
        raise _invalid(
            "donation.purpose_invalid", "purpose", _("用途必须是“服务类别”目录中的条目。")
        )
    if fund is None:
        return
    allowed = {term.pk for term in fund.purposes.all()}
    if not allowed:
        return  # unrestricted fund: any stated purpose is a wish, not a restriction
    if (purpose is not None and purpose.pk not in allowed) or (purpose is None and purpose_text):
        names = "、".join(term.name for term in fund.purposes.all())
        message = _("该基金为限定用途基金，捐赠用途须在其限定用途（%(names)s）之内。") % {
            "names": names
        }
        raise ValidationFailed(
            message, code="donation.purpose_not_allowed", fields={"purpose": [message]}
        )


def donation_record(
    *,
    donor: Donor,
    kind: str,
    received_on: date,
    fund: CharityFund | None = None,
    store: CharityStore | None = None,
    amount_fen: int = 0,
    goods_description: str = "",
    quantity: int = 0,
    unit: str = "",
    estimated_value_fen: int = 0,
    receipt_no: str = "",
    purpose: Term | None = None,
    purpose_text: str = "",
    note: str = "",
    actor: Any,
) -> Donation:
    """Append a donation of money (to a fund) or goods (to a fund or straight to a store).
    The fund must be open, the donor of the same county, amounts integer fen > 0, and a stated
    purpose within a restricted fund's purposes.

    Permission comes first: a caller whose role may not record donations anywhere is refused
    before the input is looked at, and the receiving fund or store (which the input must name
    first) is checked against the caller's scope before anything else about the donation."""
    create_allowed(actor, "charity.add_donation")
    if fund is None and store is None:
        raise _invalid("donation.target_required", "fund", _("请选择接收捐赠的基金。"))
    if fund is not None and store is not None:
        raise _invalid(
            "donation.target_ambiguous", "store", _("捐赠只能计入一个基金或一个爱心超市。")
        )
    target: CharityFund | CharityStore = fund if fund is not None else store  # type: ignore[assignment]
    authorize(actor, "charity.add_donation", target, view_perm=_view_perm_of(target))
    if not actor.has_perm("charity.view_donor", donor):
        raise NotFound()
    if kind not in DonationKind.values:
        raise _invalid("donation.kind_invalid", "kind", _("捐赠类型无效。"))
    if kind == DonationKind.MONEY and fund is None:
        raise _invalid("donation.fund_required", "fund", _("资金捐赠必须计入基金。"))
    if donor.county_code != target.county_code:
        raise _invalid(
            "donation.donor_other_county",
            "donor",
            _("捐赠人与接收捐赠的基金（超市）不在同一县（市、区），请在本地登记捐赠人。"),
        )
    if received_on > timezone.localdate():
        raise _invalid("donation.received_in_future", "received_on", _("接收日期不能晚于今天。"))
    purpose_text = _text(
        purpose_text, field="purpose_text", code="", max_length=200, required=False
    )
    receipt_no = _text(receipt_no, field="receipt_no", code="", max_length=40, required=False)
    note = _text(note, field="note", code="", max_length=2000, required=False)
    donation = Donation(
        fund=fund,
        store=store,
        donor=donor,
        kind=kind,
        received_on=received_on,
        receipt_no=receipt_no,
        purpose=purpose,
        purpose_text=purpose_text,
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=timezone.now(),
    )
    donation.place(target.region_id)
    if kind == DonationKind.MONEY:
        donation.amount_fen = require_fen(
            amount_fen, field="amount_fen", code="donation.amount", maximum=DONATION_FEN_MAX
        )
    else:
        donation.goods_description = _text(
            goods_description,
            field="goods_description",
            code="donation.goods_description_required",
            max_length=200,
            required=True,
        )
        donation.quantity = _count(quantity, field="quantity", code="donation.quantity", minimum=1)
        donation.unit = _text(
            unit, field="unit", code="donation.unit_required", max_length=20, required=True
        )
        donation.estimated_value_fen = require_fen(
            estimated_value_fen,
            field="estimated_value_fen",
            code="donation.estimated_value",
            allow_zero=True,
            maximum=DONATION_FEN_MAX,
        )
    with transaction.atomic():
        if fund is not None:
            # Serialises with fund_close: a donation never lands in a fund closed meanwhile.
            locked_fund = CharityFund.objects.select_for_update().get(
                county_code=fund.county_code, pk=fund.pk
            )
            if locked_fund.status != FundStatus.ACTIVE:
                raise Conflict(_("该基金已关闭，不能再接收捐赠。"), code="donation.fund_closed")
            _check_purpose(locked_fund, purpose, purpose_text)
        else:
            assert store is not None
            if not store.active:
                raise Conflict(_("该爱心超市已停止运营。"), code="donation.store_inactive")
            _check_purpose(None, purpose, purpose_text)
        if (
            receipt_no
            and Donation.objects.filter(
                county_code=donation.county_code, receipt_no=receipt_no
            ).exists()
        ):
            message = _("本县（市、区）已有该票据号的捐赠记录。")
            raise Conflict(
                message, code="donation.receipt_no_taken", fields={"receipt_no": [message]}
            )
        try:
            with transaction.atomic():
                donation.save()
        except IntegrityError:
            # A concurrent twin took the receipt number between the check and the insert.
            message = _("本县（市、区）已有该票据号的捐赠记录。")
            raise Conflict(
                message, code="donation.receipt_no_taken", fields={"receipt_no": [message]}
            ) from None
        audit_record(
            action="charity.donation.recorded",
            actor=actor,
            target=donation,
            region_code=donation.region_id,
            changes={
                "fund": donation.fund_id,
                "store": donation.store_id,
                "donor": donation.donor_id,
                "kind": kind,
                "amount_fen": donation.amount_fen,
                "goods": donation.goods_description,
                "quantity": donation.quantity,
                "estimated_value_fen": donation.estimated_value_fen,
                "receipt_no": receipt_no,
                "purpose": purpose.code if purpose else "",
            },
        )
    return donation


def _view_perm_of(target: CharityFund | CharityStore) -> str:
    return "charity.view_fund" if isinstance(target, CharityFund) else "charity.view_store"


def donation_update(*, donation: Donation, actor: Any, **changes: Any) -> Donation:
    """Refused: the donation ledger is append-only. Reverse the entry
    (`donation_reverse`) and record the right one."""
    raise Conflict(_("捐赠记录不能修改：请冲正该记录后重新登记。"), code="donation.append_only")


def donation_reverse(*, donation: Donation, reason: str, actor: Any) -> Donation:
    """Append the entry that cancels `donation` (negated amounts, same date, fund, donor and
    purpose; the reason in `note`). Each donation is reversed at most once; a reversal itself
    cannot be reversed (record the donation again instead)."""
    authorize(actor, "charity.reverse_donation", donation, view_perm="charity.view_donation")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise _invalid(
            "donation.reverse_reason_required",
            "reason",
            _("请填写冲正原因（至少 %(n)s 个字）。") % {"n": MIN_REASON_LENGTH},
        )
    if len(reason) > 500:
        raise _invalid("reason.too_long", "reason", _("内容过长（最多 %(n)s 个字）。") % {"n": 500})
    with transaction.atomic():
        original = Donation.objects.select_for_update().get(
            county_code=donation.county_code, pk=donation.pk
        )
        if original.reverses_id is not None:
            raise Conflict(
                _("冲正记录不能再冲正；如有错误，请重新登记正确的捐赠。"),
                code="donation.reverse_reversal",
            )
        if Donation.objects.filter(
            county_code=original.county_code, reverses_id=original.pk
        ).exists():
            raise Conflict(_("该捐赠记录已经冲正过。"), code="donation.already_reversed")
        reversal = Donation(
            fund_id=original.fund_id,
            store_id=original.store_id,
            donor_id=original.donor_id,
            kind=original.kind,
            amount_fen=-original.amount_fen,
            goods_description=original.goods_description,
            quantity=-original.quantity,
            unit=original.unit,
            estimated_value_fen=-original.estimated_value_fen,
            received_on=original.received_on,
            purpose_id=original.purpose_id,
            purpose_text=original.purpose_text,
            note=reason,
            reverses=original,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            recorded_at=timezone.now(),
        )
        reversal.place(original.region_id)
        try:
            with transaction.atomic():
                reversal.save()
        except IntegrityError:
            raise Conflict(_("该捐赠记录已经冲正过。"), code="donation.already_reversed") from None
        audit_record(
            action="charity.donation.reversed",
            actor=actor,
            target=reversal,
            region_code=reversal.region_id,
            changes={
                "reverses": original.pk,
                "amount_fen": reversal.amount_fen,
                "estimated_value_fen": reversal.estimated_value_fen,
                "reason": reason[:200],
            },
        )
    return reversal


# --- Stores ----------------------------------------------------------------------------------


def _store_fields(store: CharityStore, values: Mapping[str, Any]) -> None:
    if "name" in values:
        store.name = _text(
            values["name"], field="name", code="store.name_required", max_length=200, required=True
        )
    if "address" in values:
        store.address = _text(
            values["address"], field="address", code="", max_length=300, required=False
        )
    if "opening_hours" in values:
        store.opening_hours = _text(
            values["opening_hours"], field="opening_hours", code="", max_length=200, required=False
        )
    if "operator" in values:
        operator = values["operator"]
        if operator is not None and not isinstance(operator, Organization):
            raise TypeError("operator must be an Organization")
        store.operator = operator
    if "active" in values:
        store.active = bool(values["active"])


def _store_name_taken(store: CharityStore) -> bool:
    return (
        CharityStore.objects.filter(
            county_code=store.county_code, region_id=store.region_id, name=store.name
        )
        .exclude(pk=store.pk)
        .exists()
    )


def _store_snapshot(store: CharityStore) -> dict[str, Any]:
    return {
        "name": store.name,
        "address": store.address,
        "opening_hours": store.opening_hours,
        "operator": store.operator_id,
        "active": store.active,
    }


def store_create(
    *,
    region_code: str,
    name: str,
    address: str = "",
    operator: Organization | None = None,
    opening_hours: str = "",
    active: bool = True,
    actor: Any,
) -> CharityStore:
    region = _create_region(
        actor, "charity.add_store", region_code, STORE_LEVELS, "store.region_level"
    )
    store = CharityStore()
    store.place(region.code)
    _store_fields(
        store,
        {
            "name": name,
            "address": address,
            "operator": operator,
            "opening_hours": opening_hours,
            "active": active,
        },
    )
    _organization_in_scope(actor, store.operator, roles=STORE_WRITER_ROLES, field="operator")
    with transaction.atomic():
        if _store_name_taken(store):
            message = _("该区划下已有同名爱心超市。")
            raise Conflict(message, code="store.name_taken", fields={"name": [message]})
        store.save()
        audit_record(
            action="charity.store.created",
            actor=actor,
            target=store,
            region_code=store.region_id,
            changes=_store_snapshot(store),
        )
    return store


STORE_UPDATABLE = ("name", "address", "operator", "opening_hours", "active")


def store_update(*, store: CharityStore, changes: Mapping[str, Any], actor: Any) -> CharityStore:
    authorize(actor, "charity.change_store", store, view_perm="charity.view_store")
    _check_keys(changes, STORE_UPDATABLE)
    with transaction.atomic():
        locked = CharityStore.objects.select_for_update().get(
            county_code=store.county_code, pk=store.pk
        )
        before = _store_snapshot(locked)
        current_operator_id = locked.operator_id
        _store_fields(locked, changes)
        if "operator" in changes:
            _organization_in_scope(
                actor,
                locked.operator,
                roles=STORE_WRITER_ROLES,
                field="operator",
                current_id=current_operator_id,
            )
        if "name" in changes and _store_name_taken(locked):
            message = _("该区划下已有同名爱心超市。")
            raise Conflict(message, code="store.name_taken", fields={"name": [message]})
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
        after = _store_snapshot(locked)
        audit_record(
            action="charity.store.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={k: [before[k], v] for k, v in after.items() if before[k] != v},
        )
    return locked


def _item_fields(item: StoreItem, values: Mapping[str, Any]) -> None:
    if "name" in values:
        item.name = _text(
            values["name"],
            field="name",
            code="store_item.name_required",
            max_length=100,
            required=True,
        )
    if "unit" in values:
        item.unit = _text(
            values["unit"],
            field="unit",
            code="store_item.unit_required",
            max_length=20,
            required=True,
        )
    if "points_price" in values:
        item.points_price = _count(
            values["points_price"], field="points_price", code="store_item.points_price", minimum=1
        )
    if "active" in values:
        item.active = bool(values["active"])


def _item_name_taken(item: StoreItem) -> bool:
    return (
        StoreItem.objects.filter(
            county_code=item.county_code, store_id=item.store_id, name=item.name
        )
        .exclude(pk=item.pk)
        .exists()
    )


def _item_snapshot(item: StoreItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "unit": item.unit,
        "points_price": item.points_price,
        "stock": item.stock,
        "active": item.active,
    }


def store_item_create(
    *,
    store: CharityStore,
    name: str,
    unit: str,
    points_price: int,
    stock: int = 0,
    active: bool = True,
    source_donation: Donation | None = None,
    actor: Any,
) -> StoreItem:
    """Put a kind of goods on a store's shelf with its opening stock (>= 0)."""
    authorize(actor, "charity.add_storeitem", store, view_perm="charity.view_store")
    item = StoreItem(store=store)
    item.place(store.region_id)
    _item_fields(item, {"name": name, "unit": unit, "points_price": points_price, "active": active})
    item.stock = _count(stock, field="stock", code="store_item.stock", minimum=0)
    if source_donation is not None:
        if (
            source_donation.kind != DonationKind.GOODS
            or source_donation.reverses_id is not None
            or source_donation.county_code != store.county_code
        ):
            raise _invalid(
                "store_item.source_invalid",
                "source_donation",
                _("来源须为本县（市、区）的一笔物资捐赠。"),
            )
        item.source_donation = source_donation
    with transaction.atomic():
        if _item_name_taken(item):
            message = _("该爱心超市已有同名物品。")
            raise Conflict(message, code="store_item.name_taken", fields={"name": [message]})
        item.save()
        audit_record(
            action="charity.store_item.created",
            actor=actor,
            target=item,
            region_code=item.region_id,
            changes={**_item_snapshot(item), "store": store.pk},
        )
    return item


ITEM_UPDATABLE = ("name", "unit", "points_price", "active")


def store_item_update(*, item: StoreItem, changes: Mapping[str, Any], actor: Any) -> StoreItem:
    """Change an item's name, unit, price or listing. Stock is not typed in: it grows by
    `store_item_restock` (and, with the time bank, shrinks by redemption)."""
    if "stock" in changes:
        raise _invalid(
            "store_item.stock_not_editable",
            "stock",
            _("库存不能直接修改，请使用“补货”。"),
        )
    authorize(actor, "charity.change_storeitem", item, view_perm="charity.view_storeitem")
    _check_keys(changes, ITEM_UPDATABLE)
    with transaction.atomic():
        locked = StoreItem.objects.select_for_update().get(county_code=item.county_code, pk=item.pk)
        before = _item_snapshot(locked)
        _item_fields(locked, changes)
        if "name" in changes and _item_name_taken(locked):
            message = _("该爱心超市已有同名物品。")
            raise Conflict(message, code="store_item.name_taken", fields={"name": [message]})
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
        after = _item_snapshot(locked)
        audit_record(
            action="charity.store_item.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={k: [before[k], v] for k, v in after.items() if before[k] != v},
        )
    return locked


def store_item_restock(*, item: StoreItem, quantity: int, note: str = "", actor: Any) -> StoreItem:
    """Add `quantity` (> 0) to an item's stock under a row lock; audited with before/after."""
    authorize(actor, "charity.restock_storeitem", item, view_perm="charity.view_storeitem")
    quantity = _count(quantity, field="quantity", code="store_item.restock_quantity", minimum=1)
    note = _text(note, field="note", code="", max_length=200, required=False)
    with transaction.atomic():
        locked = StoreItem.objects.select_for_update().get(county_code=item.county_code, pk=item.pk)
        before = locked.stock
        if before + quantity > MAX_STOCK:
            raise _invalid(
                "store_item.stock_too_large", "quantity", _("补货后库存过大，请核对数量。")
            )
        locked.stock = before + quantity
        locked.save(update_fields=["stock", "updated_at"])
        audit_record(
            action="charity.store_item.restocked",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"quantity": quantity, "stock": [before, locked.stock], "note": note},
        )
    return locked
