"""HTTP API for charity resources, under /api/v1/charity/…. Money is integer fen
(`amount_fen`, strict integers: 12.5 or "12" are refused) with a formatted yuan string beside
it for display. Outside the caller's scope an object does not exist (404).

No `from __future__ import annotations` here: Ninja reads the annotations at runtime."""

from datetime import date
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, StrictBool, StrictInt

from wushe.accounts.auth import API_AUTH
from wushe.core.bounds import POINTS_MAX, QUANTITY_MAX
from wushe.core.errors import NotFound, PermissionDenied, ValidationFailed
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.taxonomy.models import Term, Vocabulary

from . import selectors, services
from .models import (
    CharityFund,
    CharityStore,
    Donation,
    Donor,
    StoreItem,
)
from .money import DONATION_FEN_MAX, format_fen

router = Router(tags=["charity"], auth=API_AUTH)


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("您没有查看慈善资源的权限。"), code="charity.forbidden")


def _region_prefix(raw: str) -> str:
    return codes.significant_prefix(codes.normalize(raw)) if raw else ""


def _term(code: str | None, field: str) -> Term | None:
    if not code:
        return None
    term = Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY, code=code).first()
    if term is None:
        raise ValidationFailed(
            _("未知的服务类别。"), code="taxonomy.term_unknown", fields={field: [code]}
        )
    return term


def _terms(codes_: list[str], field: str) -> list[Term]:
    return [t for t in (_term(code, field) for code in codes_) if t is not None]


def _organization(pk: int | None, field: str) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise ValidationFailed(
            _("社会组织不存在。"), code="organization.not_found", fields={field: [str(pk)]}
        )
    return org


class InSchema(Schema):
    # Unknown fields are an error, so a client cannot believe it changed `status` or `stock`.
    model_config = ConfigDict(extra="forbid")


class TermOut(Schema):
    code: str
    name: str


# --- Funds -----------------------------------------------------------------------------------


class YearTotalOut(Schema):
    year: int
    received_fen: int
    received_display: str
    goods_value_fen: int
    goods_value_display: str
    donations: int

    @staticmethod
    def resolve_received_display(obj: Any) -> str:
        return format_fen(obj.received_fen)

    @staticmethod
    def resolve_goods_value_display(obj: Any) -> str:
        return format_fen(obj.goods_value_fen)


class FundOut(Schema):
    id: int
    kind: str
    kind_display: str
    name: str
    region_code: str
    region_name: str
    managing_org_id: int | None
    managing_org_name: str
    opened_on: date | None
    purpose_text: str
    purposes: list[TermOut]
    restricted: bool
    status: str
    closed_on: date | None
    public: bool
    received_fen: int
    received_display: str
    goods_value_fen: int
    goods_value_display: str

    @staticmethod
    def resolve_kind_display(obj: CharityFund) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_region_code(obj: CharityFund) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj: CharityFund) -> str:
        return obj.region.name

    @staticmethod
    def resolve_managing_org_name(obj: CharityFund) -> str:
        return obj.managing_org.name if obj.managing_org else ""

    @staticmethod
    def resolve_purposes(obj: CharityFund) -> list[dict[str, str]]:
        return [{"code": t.code, "name": t.name} for t in obj.purposes.all()]

    @staticmethod
    def resolve_restricted(obj: CharityFund) -> bool:
        return bool(obj.purposes.all())

    @staticmethod
    def resolve_received_fen(obj: Any) -> int:
        return int(obj.received_fen or 0)

    @staticmethod
    def resolve_received_display(obj: Any) -> str:
        return format_fen(int(obj.received_fen or 0))

    @staticmethod
    def resolve_goods_value_fen(obj: Any) -> int:
        return int(obj.goods_value_fen or 0)

    @staticmethod
    def resolve_goods_value_display(obj: Any) -> str:
        return format_fen(int(obj.goods_value_fen or 0))


class FundDetailOut(FundOut):
    donation_count: int
    by_year: list[YearTotalOut]


def _fund_detail(request: HttpRequest, pk: int) -> CharityFund:
    """The fund with its totals from the ledger (`received_fen`, `by_year` …) attached."""
    fund = selectors.fund_get(user=request.user, pk=pk)
    totals = selectors.fund_totals(fund=fund)
    fund.received_fen = totals.received_fen  # type: ignore[attr-defined]
    fund.goods_value_fen = totals.goods_value_fen  # type: ignore[attr-defined]
    fund.donation_count = totals.donations  # type: ignore[attr-defined]
    fund.by_year = totals.by_year  # type: ignore[attr-defined]
    return fund


class FundQuery(Schema):
    status: Literal["", "active", "closed"] = ""
    kind: Literal["", "foundation", "special", "micro"] = ""
    region: str = Field("", description="区划代码（含下级）")
    q: str = Field("", max_length=50, description="名称包含")


class FundIn(InSchema):
    region: str = Field(..., description="所属区划代码（地级至村级）", max_length=12)
    kind: Literal["foundation", "special", "micro"]
    name: str = Field(..., max_length=200)
    managing_org_id: StrictInt | None = None
    opened_on: date | None = None
    purpose_text: str = Field("", max_length=2000)
    purposes: list[str] = Field(default_factory=list, description="限定用途（服务类别代码）")
    public: StrictBool = True


class FundPatch(InSchema):
    kind: Literal["foundation", "special", "micro"] | None = None
    name: str | None = Field(None, max_length=200)
    managing_org_id: StrictInt | None = None
    opened_on: date | None = None
    purpose_text: str | None = Field(None, max_length=2000)
    purposes: list[str] | None = None
    public: StrictBool | None = None


class CloseIn(InSchema):
    closed_on: date | None = None


@router.get("/charity/funds", response=list[FundOut], summary="慈善基金列表（含累计接收额）")
@paginate(CappedLimitOffsetPagination)
def fund_list(request: HttpRequest, filters: Query[FundQuery]) -> QuerySet[CharityFund]:
    _require(request, "charity.view_resources")
    qs = selectors.funds_with_totals(
        user=request.user,
        filters=selectors.FundFilter(
            status=filters.status,
            kind=filters.kind,
            region=_region_prefix(filters.region),
            q=filters.q,
        ),
    )
    return qs


@router.post("/charity/funds", response={201: FundDetailOut}, summary="新建慈善基金")
def fund_create(request: HttpRequest, payload: FundIn) -> Status[CharityFund]:
    services.create_allowed(request.user, "charity.add_fund")  # before the body's lookups
    fund = services.fund_create(
        region_code=payload.region,
        kind=payload.kind,
        name=payload.name,
        managing_org=_organization(payload.managing_org_id, "managing_org_id"),
        opened_on=payload.opened_on,
        purpose_text=payload.purpose_text,
        purposes=_terms(payload.purposes, "purposes"),
        public=payload.public,
        actor=request.user,
    )
    return Status(201, _fund_detail(request, fund.pk))


@router.get(
    "/charity/funds/{fund_id}", response=FundDetailOut, summary="慈善基金详情（含分年合计）"
)
def fund_detail(request: HttpRequest, fund_id: int) -> CharityFund:
    return _fund_detail(request, fund_id)


@router.patch("/charity/funds/{fund_id}", response=FundDetailOut, summary="修改慈善基金")
def fund_update(request: HttpRequest, fund_id: int, payload: FundPatch) -> CharityFund:
    fund = selectors.fund_get(user=request.user, pk=fund_id)
    # Before the body's lookups: a role that may only read is refused whatever it sends.
    services.authorize(request.user, "charity.change_fund", fund, view_perm="charity.view_fund")
    data = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "managing_org_id":
            changes["managing_org"] = _organization(value, key)
        elif key == "purposes":
            changes["purposes"] = _terms(value or [], key)
        elif value is None and key in {"kind", "name", "purpose_text", "public"}:
            raise ValidationFailed(
                _("该字段不能为空。"), code="validation_failed", fields={key: [_("不能为空。")]}
            )
        else:
            changes[key] = value
    services.fund_update(fund=fund, changes=changes, actor=request.user)
    return _fund_detail(request, fund_id)


@router.post("/charity/funds/{fund_id}/close", response=FundDetailOut, summary="关闭基金")
def fund_close(request: HttpRequest, fund_id: int, payload: CloseIn) -> CharityFund:
    fund = selectors.fund_get(user=request.user, pk=fund_id)
    services.fund_close(fund=fund, closed_on=payload.closed_on, actor=request.user)
    return _fund_detail(request, fund_id)


# --- Donors ----------------------------------------------------------------------------------


class DonorOut(Schema):
    id: int
    kind: str
    kind_display: str
    name: str
    public_name: str
    anonymous: bool
    region_code: str
    credit_code: str
    contact_name: str
    id_number_masked: str
    phone_masked: str
    note: str

    @staticmethod
    def resolve_kind_display(obj: Donor) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_region_code(obj: Donor) -> str:
        return obj.region_id


class DonorListOut(DonorOut):
    given_fen: int
    given_display: str
    goods_value_fen: int
    goods_value_display: str

    @staticmethod
    def resolve_given_display(obj: Any) -> str:
        return format_fen(int(obj.given_fen or 0))

    @staticmethod
    def resolve_goods_value_display(obj: Any) -> str:
        return format_fen(int(obj.goods_value_fen or 0))


class DonorQuery(Schema):
    kind: Literal["", "person", "enterprise"] = ""
    q: str = Field("", max_length=50, description="名称包含")
    region: str = ""


class DonorIn(InSchema):
    region: str = Field(..., max_length=12, description="登记区划代码")
    kind: Literal["person", "enterprise"]
    name: str = Field(..., max_length=200)
    phone: str = Field("", max_length=30, description="手机号码（个人或企业联系人）")
    id_number: str = Field("", max_length=30, description="身份证号（个人，可不填）")
    credit_code: str = Field("", max_length=30, description="统一社会信用代码（企业，可不填）")
    contact_name: str = Field("", max_length=50)
    anonymous: StrictBool = False
    note: str = Field("", max_length=2000)


class DonorPatch(InSchema):
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    id_number: str | None = Field(None, max_length=30)
    credit_code: str | None = Field(None, max_length=30)
    contact_name: str | None = Field(None, max_length=50)
    anonymous: StrictBool | None = None
    note: str | None = Field(None, max_length=2000)


@router.get("/charity/donors", response=list[DonorListOut], summary="捐赠人列表（个人信息脱敏）")
@paginate(CappedLimitOffsetPagination)
def donor_list(request: HttpRequest, filters: Query[DonorQuery]) -> QuerySet[Donor]:
    _require(request, "charity.view_resources")
    qs = selectors.donor_search(
        user=request.user,
        filters=selectors.DonorFilter(
            kind=filters.kind, q=filters.q, region=_region_prefix(filters.region)
        ),
    )
    return qs


@router.post("/charity/donors", response={201: DonorOut}, summary="登记捐赠人")
def donor_create(request: HttpRequest, payload: DonorIn) -> Status[Donor]:
    donor = services.donor_create(
        region_code=payload.region,
        kind=payload.kind,
        name=payload.name,
        phone=payload.phone,
        id_number=payload.id_number,
        credit_code=payload.credit_code,
        contact_name=payload.contact_name,
        anonymous=payload.anonymous,
        note=payload.note,
        actor=request.user,
    )
    return Status(201, donor)


@router.get("/charity/donors/{donor_id}", response=DonorOut, summary="捐赠人详情（脱敏）")
def donor_detail(request: HttpRequest, donor_id: int) -> Donor:
    return selectors.donor_get(user=request.user, pk=donor_id)


@router.patch("/charity/donors/{donor_id}", response=DonorOut, summary="修改捐赠人")
def donor_update(request: HttpRequest, donor_id: int, payload: DonorPatch) -> Donor:
    donor = selectors.donor_get(user=request.user, pk=donor_id)
    changes = payload.model_dump(exclude_unset=True)
    _non_null(changes, "name", "anonymous")
    changes = {k: ("" if v is None else v) for k, v in changes.items()}
    return services.donor_update(donor=donor, changes=changes, actor=request.user)


# --- Donations -------------------------------------------------------------------------------


class DonationOut(Schema):
    id: int
    fund_id: int | None
    fund_name: str
    store_id: int | None
    store_name: str
    donor_id: int
    donor_name: str
    donor_public_name: str
    kind: str
    kind_display: str
    amount_fen: int
    amount_display: str
    goods_description: str
    quantity: int
    unit: str
    estimated_value_fen: int
    estimated_value_display: str
    received_on: date
    receipt_no: str
    purpose: TermOut | None
    purpose_text: str
    note: str
    reverses_id: int | None
    region_code: str

    @staticmethod
    def resolve_fund_name(obj: Donation) -> str:
        return obj.fund.name if obj.fund else ""

    @staticmethod
    def resolve_store_name(obj: Donation) -> str:
        return obj.store.name if obj.store else ""

    @staticmethod
    def resolve_donor_name(obj: Donation) -> str:
        return obj.donor.name

    @staticmethod
    def resolve_donor_public_name(obj: Donation) -> str:
        return obj.donor.public_name

    @staticmethod
    def resolve_kind_display(obj: Donation) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_amount_display(obj: Donation) -> str:
        return format_fen(obj.amount_fen)

    @staticmethod
    def resolve_estimated_value_display(obj: Donation) -> str:
        return format_fen(obj.estimated_value_fen)

    @staticmethod
    def resolve_purpose(obj: Donation) -> dict[str, str] | None:
        return {"code": obj.purpose.code, "name": obj.purpose.name} if obj.purpose else None

    @staticmethod
    def resolve_region_code(obj: Donation) -> str:
        return obj.region_id


class DonationQuery(Schema):
    fund: int | None = None
    donor: int | None = None
    store: int | None = None
    year: int | None = Field(None, ge=1900, le=2999)
    kind: Literal["", "money", "goods"] = ""


class DonationIn(InSchema):
    fund_id: StrictInt | None = None
    store_id: StrictInt | None = None
    donor_id: StrictInt
    kind: Literal["money", "goods"]
    amount_fen: StrictInt = Field(0, le=DONATION_FEN_MAX, description="资金金额（分，整数）")
    goods_description: str = Field("", max_length=200)
    quantity: StrictInt = Field(0, le=QUANTITY_MAX)
    unit: str = Field("", max_length=20)
    estimated_value_fen: StrictInt = Field(
        0, le=DONATION_FEN_MAX, description="物资估值（分，整数）"
    )
    received_on: date
    receipt_no: str = Field("", max_length=40)
    purpose: str = Field("", description="指定用途（服务类别代码）")
    purpose_text: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


class ReverseIn(InSchema):
    reason: str = Field(..., max_length=500, description="冲正原因（写入台账与审计日志）")


@router.get("/charity/donations", response=list[DonationOut], summary="捐赠台账")
@paginate(CappedLimitOffsetPagination)
def donation_list(request: HttpRequest, filters: Query[DonationQuery]) -> QuerySet[Donation]:
    _require(request, "charity.view_resources")
    qs = selectors.donation_search(
        user=request.user,
        filters=selectors.DonationFilter(
            fund=filters.fund,
            donor=filters.donor,
            store=filters.store,
            year=filters.year,
            kind=filters.kind,
        ),
    )
    return qs


@router.post("/charity/donations", response={201: DonationOut}, summary="登记捐赠")
def donation_record(request: HttpRequest, payload: DonationIn) -> Status[Donation]:
    _require(request, "charity.view_resources")
    # Permission before the body: the purpose code and the ids are looked up only for a
    # caller who may record donations at all.
    services.create_allowed(request.user, "charity.add_donation")
    fund = store = None
    if payload.fund_id is not None:
        fund = selectors.fund_get(user=request.user, pk=payload.fund_id)
    if payload.store_id is not None:
        store = selectors.store_get(user=request.user, pk=payload.store_id)
    donor = selectors.donor_get(user=request.user, pk=payload.donor_id)
    donation = services.donation_record(
        fund=fund,
        store=store,
        donor=donor,
        kind=payload.kind,
        amount_fen=payload.amount_fen,
        goods_description=payload.goods_description,
        quantity=payload.quantity,
        unit=payload.unit,
        estimated_value_fen=payload.estimated_value_fen,
        received_on=payload.received_on,
        receipt_no=payload.receipt_no,
        purpose=_term(payload.purpose, "purpose"),
        purpose_text=payload.purpose_text,
        note=payload.note,
        actor=request.user,
    )
    return Status(201, selectors.donation_get(user=request.user, pk=donation.pk))


@router.get("/charity/donations/{donation_id}", response=DonationOut, summary="捐赠记录详情")
def donation_detail(request: HttpRequest, donation_id: int) -> Donation:
    return selectors.donation_get(user=request.user, pk=donation_id)


@router.post(
    "/charity/donations/{donation_id}/reverse",
    response={201: DonationOut},
    summary="冲正捐赠记录（追加一笔反向记录）",
)
def donation_reverse(
    request: HttpRequest, donation_id: int, payload: ReverseIn
) -> Status[Donation]:
    donation = selectors.donation_get(user=request.user, pk=donation_id)
    reversal = services.donation_reverse(
        donation=donation, reason=payload.reason, actor=request.user
    )
    return Status(201, selectors.donation_get(user=request.user, pk=reversal.pk))


# --- Stores ----------------------------------------------------------------------------------


class StoreOut(Schema):
    id: int
    name: str
    region_code: str
    region_name: str
    address: str
    operator_id: int | None
    operator_name: str
    opening_hours: str
    active: bool
    item_count: int
    stock_total: int

    @staticmethod
    def resolve_region_code(obj: CharityStore) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj: CharityStore) -> str:
        return obj.region.name

    @staticmethod
    def resolve_operator_name(obj: CharityStore) -> str:
        return obj.operator.name if obj.operator else ""


def _store_detail(request: HttpRequest, pk: int) -> CharityStore:
    store = selectors.store_list(user=request.user).filter(pk=pk).first()
    if store is None:
        raise NotFound()
    return store


class StoreQuery(Schema):
    region: str = ""
    q: str = Field("", max_length=50)


class StoreIn(InSchema):
    region: str = Field(..., max_length=12, description="所属乡镇（街道）或村（社区）代码")
    name: str = Field(..., max_length=200)
    address: str = Field("", max_length=300)
    operator_id: StrictInt | None = None
    opening_hours: str = Field("", max_length=200)
    active: StrictBool = True


class StorePatch(InSchema):
    name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    operator_id: StrictInt | None = None
    opening_hours: str | None = Field(None, max_length=200)
    active: StrictBool | None = None


class ItemOut(Schema):
    id: int
    store_id: int
    name: str
    unit: str
    points_price: int
    stock: int
    active: bool
    source_donation_id: int | None


class ItemIn(InSchema):
    name: str = Field(..., max_length=100)
    unit: str = Field(..., max_length=20)
    points_price: StrictInt = Field(..., le=POINTS_MAX)
    stock: StrictInt = Field(0, le=QUANTITY_MAX)
    active: StrictBool = True
    source_donation_id: StrictInt | None = None


class ItemPatch(InSchema):
    name: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=20)
    points_price: StrictInt | None = Field(None, le=POINTS_MAX)
    active: StrictBool | None = None


class RestockIn(InSchema):
    quantity: StrictInt = Field(..., le=QUANTITY_MAX, description="补货数量（正整数）")
    note: str = Field("", max_length=200)


def _non_null(changes: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in changes and changes[key] is None:
            raise ValidationFailed(
                _("该字段不能为空。"), code="validation_failed", fields={key: [_("不能为空。")]}
            )


@router.get("/charity/stores", response=list[StoreOut], summary="爱心超市列表")
@paginate(CappedLimitOffsetPagination)
def store_list(request: HttpRequest, filters: Query[StoreQuery]) -> QuerySet[CharityStore]:
    if not (
        request.user.has_perm("charity.view_resources")
        or request.user.has_perm("charity.browse_goods")
    ):
        raise PermissionDenied(_("您没有查看爱心超市的权限。"), code="charity.forbidden")
    qs = selectors.store_list(user=request.user, region=_region_prefix(filters.region), q=filters.q)
    return qs


@router.post("/charity/stores", response={201: StoreOut}, summary="新建爱心超市")
def store_create(request: HttpRequest, payload: StoreIn) -> Status[CharityStore]:
    services.create_allowed(request.user, "charity.add_store")  # before the body's lookups
    store = services.store_create(
        region_code=payload.region,
        name=payload.name,
        address=payload.address,
        operator=_organization(payload.operator_id, "operator_id"),
        opening_hours=payload.opening_hours,
        active=payload.active,
        actor=request.user,
    )
    return Status(201, _store_detail(request, store.pk))


@router.get("/charity/stores/{store_id}", response=StoreOut, summary="爱心超市详情")
def store_detail(request: HttpRequest, store_id: int) -> CharityStore:
    return _store_detail(request, store_id)


@router.patch("/charity/stores/{store_id}", response=StoreOut, summary="修改爱心超市")
def store_update(request: HttpRequest, store_id: int, payload: StorePatch) -> CharityStore:
    store = selectors.store_get(user=request.user, pk=store_id)
    # Before the body's checks: a role that may only read is refused whatever it sends.
    services.authorize(request.user, "charity.change_store", store, view_perm="charity.view_store")
    changes = payload.model_dump(exclude_unset=True)
    _non_null(changes, "name", "active")
    if "operator_id" in changes:
        changes["operator"] = _organization(changes.pop("operator_id"), "operator_id")
    for key in ("address", "opening_hours"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    services.store_update(store=store, changes=changes, actor=request.user)
    return _store_detail(request, store_id)


@router.get("/charity/stores/{store_id}/items", response=list[ItemOut], summary="爱心超市物品")
@paginate(CappedLimitOffsetPagination)
def item_list(request: HttpRequest, store_id: int) -> QuerySet[StoreItem]:
    store = selectors.store_get(user=request.user, pk=store_id)
    return selectors.store_items(user=request.user, store=store)


@router.post("/charity/stores/{store_id}/items", response={201: ItemOut}, summary="上架物品")
def item_create(request: HttpRequest, store_id: int, payload: ItemIn) -> Status[StoreItem]:
    store = selectors.store_get(user=request.user, pk=store_id)
    source = None
    if payload.source_donation_id is not None:
        source = selectors.donation_get(user=request.user, pk=payload.source_donation_id)
    item = services.store_item_create(
        store=store,
        name=payload.name,
        unit=payload.unit,
        points_price=payload.points_price,
        stock=payload.stock,
        active=payload.active,
        source_donation=source,
        actor=request.user,
    )
    return Status(201, item)


@router.patch("/charity/items/{item_id}", response=ItemOut, summary="修改物品（库存请用补货）")
def item_update(request: HttpRequest, item_id: int, payload: ItemPatch) -> StoreItem:
    item = selectors.item_get(user=request.user, pk=item_id)
    changes = payload.model_dump(exclude_unset=True)
    _non_null(changes, "name", "unit", "points_price", "active")
    return services.store_item_update(item=item, changes=changes, actor=request.user)


@router.post("/charity/items/{item_id}/restock", response=ItemOut, summary="补货（增加库存）")
def item_restock(request: HttpRequest, item_id: int, payload: RestockIn) -> StoreItem:
    item = selectors.item_get(user=request.user, pk=item_id)
    return services.store_item_restock(
        item=item, quantity=payload.quantity, note=payload.note, actor=request.user
    )
