"""Time bank API (/api/v1/timebank/…): accounts, statements, transfers, exchange. Every
value-moving call requires an `Idempotency-Key` header; amounts are integers in the scheme's
small unit (minutes for time coins: 60 = 1 coin; whole points)."""

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.bounds import POINTS_MAX, QUANTITY_MAX
from wushe.core.errors import ValidationFailed
from wushe.core.idempotency import HEADER, key_from_header
from wushe.core.paging import CappedLimitOffsetPagination

from . import selectors, services
from .models import Account, Entry, Transfer

router = Router(tags=["timebank"], auth=API_AUTH)


class AccountOut(Schema):
    id: int
    scheme: str
    scheme_name: str
    unit: str
    unit_scale: int
    kind: str
    name: str
    region: str
    balance: int

    @staticmethod
    def resolve_scheme(obj: Account) -> str:
        return obj.scheme.code

    @staticmethod
    def resolve_scheme_name(obj: Account) -> str:
        return obj.scheme.name

    @staticmethod
    def resolve_unit(obj: Account) -> str:
        return obj.scheme.kind

    @staticmethod
    def resolve_unit_scale(obj: Account) -> int:
        return obj.scheme.unit_scale

    @staticmethod
    def resolve_region(obj: Account) -> str:
        return obj.region_id

    @staticmethod
    def resolve_balance(obj: Account) -> int:
        return obj.balance.amount


class EntryOut(Schema):
    id: int
    transfer: int
    kind: str
    amount: int
    balance_after: int
    value_date: date
    memo: str
    at: datetime

    @staticmethod
    def resolve_transfer(obj: Entry) -> int:
        return obj.transfer_id

    @staticmethod
    def resolve_kind(obj: Entry) -> str:
        return obj.transfer.kind

    @staticmethod
    def resolve_balance_after(obj: Any) -> int:
        return int(obj.running)

    @staticmethod
    def resolve_value_date(obj: Entry) -> date:
        return obj.transfer.value_date

    @staticmethod
    def resolve_memo(obj: Entry) -> str:
        return obj.transfer.memo

    @staticmethod
    def resolve_at(obj: Entry) -> datetime:
        return obj.transfer.created_at


class LegOut(Schema):
    account: int
    amount: int
    unit: str


class TransferOut(Schema):
    id: int
    kind: str
    group: str
    amount: int
    value_date: date
    memo: str
    reverses: int | None
    created_at: datetime
    entries: list[LegOut]


def transfer_out(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.pk,
        "kind": t.kind,
        "group": str(t.group),
        "amount": t.amount,
        "value_date": t.value_date,
        "memo": t.memo,
        "reverses": t.reverses_id,
        "created_at": t.created_at,
        "entries": [
            {"account": a, "amount": x, "unit": u}
            for a, x, u in (
                getattr(t, "legs", None)
                or t.entries.order_by("pk").values_list("account_id", "amount", "unit")
            )
        ],
    }


def _key(request: HttpRequest) -> str:
    key = key_from_header(request.headers.get(HEADER))
    if not key:
        message = _("转账请求必须带 Idempotency-Key 请求头。")
        raise ValidationFailed(
            message, code="idempotency.key_required", fields={HEADER: [str(message)]}
        )
    return key


@router.get("/timebank/accounts/mine", response=list[AccountOut], summary="我的时间银行账户")
def my_accounts(request: HttpRequest) -> QuerySet[Account]:
    return selectors.accounts_mine(user=request.user)


class AccountQuery(Schema):
    scheme: str = Field("", description="方案代码")
    kind: str = Field("", description="账户类型：person、organization、pool、issuance、clearing")


@router.get(
    "/timebank/accounts", response=list[AccountOut], summary="辖区内的时间银行账户（工作人员）"
)
@paginate(CappedLimitOffsetPagination)
def list_accounts(request: HttpRequest, filters: Query[AccountQuery]) -> QuerySet[Account]:
    return selectors.accounts_in_scope(user=request.user, scheme=filters.scheme, kind=filters.kind)


@router.get("/timebank/accounts/{account_id}", response=AccountOut, summary="账户详情")
def get_account(request: HttpRequest, account_id: int) -> Account:
    return selectors.account_get(user=request.user, account_id=account_id)


@router.get(
    "/timebank/accounts/{account_id}/statement",
    response=list[EntryOut],
    summary="账户明细（含每笔后的余额）",
)
@paginate(CappedLimitOffsetPagination)
def statement(request: HttpRequest, account_id: int) -> QuerySet[Entry]:
    account = selectors.account_get(user=request.user, account_id=account_id)
    return selectors.statement(account=account)


class TransferIn(Schema):
    kind: Literal["gift", "donate", "redeem", "reversal"]
    source: int | None = Field(None, description="转出账户（gift、donate、redeem）")
    target: int | None = Field(None, description="转入账户（gift）")
    amount: int | None = Field(None, le=POINTS_MAX, description="金额（方案的最小单位）")
    pool_region: str = Field("", description="捐入哪个社区的公益池（donate，默认本社区）")
    store_item: int | None = Field(None, description="爱心超市物品（redeem）")
    quantity: int = Field(1, le=QUANTITY_MAX, description="物品数量（redeem）")
    transfer: int | None = Field(None, description="要冲正的转账（reversal）")
    reason: str = Field("", description="冲正原因（reversal）")
    memo: str = Field("", max_length=200)


def _need(value: Any, field: str) -> Any:
    if value is None:
        message = _("缺少必填字段。")
        raise ValidationFailed(message, code="timebank.field.required", fields={field: [message]})
    return value


@router.post(
    "/timebank/transfers",
    response={200: TransferOut, 201: TransferOut},
    summary="转账：转赠、捐赠、兑换、冲正",
    description=(
        "时间币只能由组织者认证的服务记录存入（见 /activities），此处不提供存入。"
        f"必须带 `{HEADER}` 请求头：重试返回同一笔转账（200），同一个键用于不同内容返回 409 "
        "`idempotency.key_reused`。余额不足 409 `timebank.insufficient_balance`。"
    ),
)
def create_transfer(request: HttpRequest, payload: TransferIn) -> Status[dict[str, Any]]:
    key = _key(request)
    actor = request.user
    if payload.kind == "gift":
        transfer, created = services.coins_gift(
            source=_need(payload.source, "source"),
            target=_need(payload.target, "target"),
            amount=_need(payload.amount, "amount"),
            actor=actor,
            idempotency_key=key,
            memo=payload.memo,
        )
    elif payload.kind == "donate":
        transfer, created = services.coins_donate(
            source=_need(payload.source, "source"),
            amount=_need(payload.amount, "amount"),
            pool_region=payload.pool_region,
            actor=actor,
            idempotency_key=key,
            memo=payload.memo,
        )
    elif payload.kind == "redeem":
        transfer, created = services.coins_redeem(
            source=_need(payload.source, "source"),
            amount=payload.amount if payload.store_item is None else None,
            store_item=payload.store_item,
            quantity=payload.quantity,
            actor=actor,
            idempotency_key=key,
            memo=payload.memo,
        )
    else:
        transfer, created = services.transfer_reverse(
            transfer=_need(payload.transfer, "transfer"),
            reason=payload.reason,
            actor=actor,
            idempotency_key=key,
        )
    return Status(201 if created else 200, transfer_out(transfer))


class ExchangeIn(Schema):
    source: int
    target: int
    amount: int = Field(..., le=POINTS_MAX)
    memo: str = Field("", max_length=200)


@router.post(
    "/timebank/exchange",
    response={200: TransferOut, 201: TransferOut},
    summary="通存通兑：在两个方案之间兑换",
    description=f"必须带 `{HEADER}` 请求头。按兑换比率折算后不是整数时返回 422。",
)
def exchange(request: HttpRequest, payload: ExchangeIn) -> Status[dict[str, Any]]:
    transfer, created = services.coins_exchange(
        source=payload.source,
        target=payload.target,
        amount=payload.amount,
        actor=request.user,
        idempotency_key=_key(request),
        memo=payload.memo,
    )
    return Status(201 if created else 200, transfer_out(transfer))


class StoreGoodsOut(Schema):
    id: int
    name: str
    unit: str
    points_price: int
    stock: int
    store: int
    store_name: str

    @staticmethod
    def resolve_store(obj: Any) -> int:
        return int(obj.store_id)

    @staticmethod
    def resolve_store_name(obj: Any) -> str:
        return str(obj.store.name)


@router.get(
    "/timebank/accounts/{account_id}/store-goods",
    response=list[StoreGoodsOut],
    summary="该积分账户可在爱心超市兑换的物品",
    description=(
        "本社区及所属乡镇（街道）爱心超市在售的物品。兑换：POST /timebank/transfers，"
        '`{"kind": "redeem", "source": 账户, "store_item": 物品, "quantity": 数量}`，'
        "扣积分与减库存在同一事务中完成；库存不足 409 `timebank.store.out_of_stock`。"
    ),
)
@paginate(CappedLimitOffsetPagination)
def store_goods(request: HttpRequest, account_id: int) -> QuerySet[Any]:
    account = selectors.account_get(user=request.user, account_id=account_id)
    return selectors.store_goods(account=account)
