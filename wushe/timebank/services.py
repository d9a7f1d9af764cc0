"""Every write of the time bank. One transaction per call; accounts are locked with
`select_for_update` on their Balance rows in ONE order (ascending account id); then the
Idempotency-Key is looked up again (a concurrent twin that held the locks has committed and is
returned, instead of this call seeing its spent balance); every rule is checked on the locked
balances; `audit_record` runs in the same transaction.

Rounding rule (earn): units = minutes × scheme.earn_per_hour ÷ 60, rounded down; with the
default 60 units per hour a minute is a unit, so nothing is rounded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_event, audit_record
from wushe.core import fastsql
from wushe.core.errors import Conflict, NotFound, ValidationFailed
from wushe.core.idempotency import fingerprint, idempotent_create
from wushe.core.identifiers import age_on

from .models import (
    NEGATIVE_ALLOWED,
    Account,
    AccountKind,
    Balance,
    Entry,
    ExchangeRate,
    GiftPolicy,
    Scheme,
    SchemeKind,
    Transfer,
    TransferKind,
)

MAX_AMOUNT = 10**12
Leg = tuple[Account, int]

# Relations to the household head (residents.Relation) between which a gift is a gift to a
# direct relative (直系亲属, spouse included): head or spouse with a parent, child, grandparent
# or grandchild of the head, and head with spouse.
_LINEAL = {"parent", "child", "grandparent", "grandchild"}


def _invalid(code: str, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"timebank.{code}", fields={field: [message]})


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _is_writer(actor: Any, region_code: str) -> bool:
    return bool(actor is not None and in_scope(actor, region_code, WRITER_ROLES))


def _may_spend(actor: Any, account: Account) -> bool:
    own = account.user_id is not None and account.user_id == getattr(actor, "pk", None)
    return own or _is_writer(actor, account.region_id)


def _not_found() -> NotFound:
    return NotFound(code="timebank.account.not_found")


def _positive(amount: object, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        try:
            amount = int(str(amount))
        except ValueError:
            raise _invalid("amount.invalid", field, _("金额应为正整数。")) from None
    if not 0 < amount <= MAX_AMOUNT:
        raise _invalid("amount.invalid", field, _("金额应为正整数。"))
    return amount


# --- set-up -------------------------------------------------------------------------------


def _new_account(scheme: Scheme, kind: str, name: str, region_code: str, **owner: Any) -> Account:
    account = Account(scheme=scheme, kind=kind, name=name, **owner)
    account.place(region_code)
    account.save(force_insert=True)
    Balance.objects.create(account=account, negative_allowed=kind in NEGATIVE_ALLOWED)
    return account


def scheme_create(
    *, region_code: str, code: str, name: str, kind: str, actor: Any, **rules: Any
) -> Scheme:
    """A scheme with its issuance and clearing accounts (a writer in the region; `actor`
    None for set-up code such as the demo)."""
    if actor is not None and not _is_writer(actor, region_code):
        raise NotFound(code="timebank.region.out_of_scope")
    if not str(code or "").strip() or not str(name or "").strip():
        raise _invalid("scheme.required", "code", _("请填写方案代码和名称。"))
    if Scheme.objects.filter(code=code).exists():
        raise _invalid("scheme.code_taken", "code", _("该方案代码已被使用。"))
    if kind not in SchemeKind.values:
        raise _invalid("scheme.kind", "kind", _("方案单位不正确。"))
    with transaction.atomic():
        scheme = Scheme(code=code, name=name, kind=kind, **rules)
        scheme.place(region_code)
        scheme.full_clean(exclude=["region"])
        scheme.save(force_insert=True)
        _new_account(scheme, AccountKind.ISSUANCE, _("%(s)s发行账户") % {"s": name}, region_code)
        _new_account(scheme, AccountKind.CLEARING, _("%(s)s清算账户") % {"s": name}, region_code)
        audit_record(
            action="timebank.scheme.created",
            actor=actor,
            target=scheme,
            region_code=region_code,
            changes={"code": code, "kind": kind, **rules},
        )
    return scheme


SCHEME_EDITABLE = (
    "name",
    "earn_per_hour",
    "daily_earn_cap",
    "storage_cap",
    "redeem_min_age",
    "gift_policy",
    "expiry_days",
    "active",
)


def scheme_update(*, scheme: Scheme, changes: dict[str, Any], actor: Any) -> Scheme:
    """Change a scheme's rules (a writer in the scheme's region). New rules apply to transfers
    from now on; nothing already booked changes."""
    if not _is_writer(actor, scheme.region_id):
        raise NotFound(code="timebank.scheme.not_found")
    unknown = set(changes) - set(SCHEME_EDITABLE)
    if unknown:
        raise _invalid("scheme.field", sorted(unknown)[0], _("该字段不能修改。"))
    with transaction.atomic():
        locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
        before = {k: getattr(locked, k) for k in changes}
        for key, value in changes.items():
            setattr(locked, key, value)
        locked.full_clean(exclude=["region"])
        if locked.gift_policy not in GiftPolicy.values:
            raise _invalid("scheme.gift_policy", "gift_policy", _("转赠范围不正确。"))
        locked.save(update_fields=list(changes))
        audit_record(
            action="timebank.scheme.updated",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={k: [before[k], changes[k]] for k in changes if before[k] != changes[k]},
        )
    return locked


def rate_set(
    *, source: Scheme, target: Scheme, numerator: int, denominator: int, actor: Any
) -> ExchangeRate:
    """Set the rate source → target (a writer in the source scheme's region)."""
    if not _is_writer(actor, source.region_id):
        raise NotFound(code="timebank.scheme.not_found")
    if source.pk == target.pk:
        raise _invalid("rate.same", "target", _("请选择另一个方案。"))
    numerator = _positive(numerator, "numerator")
    denominator = _positive(denominator, "denominator")
    with transaction.atomic():
        rate, _created = ExchangeRate.objects.update_or_create(
            source=source,
            target=target,
            defaults={"numerator": numerator, "denominator": denominator},
        )
        audit_record(
            action="timebank.rate.set",
            actor=actor,
            target=rate,
            region_code=source.region_id,
            changes={
                "source": source.code,
                "target": target.code,
                "rate": [numerator, denominator],
            },
        )
    return rate


def _get_or_open(scheme: Scheme, lookup: dict[str, Any], open_: Callable[[], Account]) -> Account:
    found = Account.objects.filter(scheme=scheme, **lookup).select_related("scheme").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return open_()
    except IntegrityError:
        return Account.objects.select_related("scheme").get(scheme=scheme, **lookup)


def account_for_volunteer(*, scheme: Scheme, volunteer: Any) -> Account:
    """The volunteer's person account in the scheme, opened on first use. A volunteer who is
    also a registered resident of the county (same ID number) shares one account with their
    resident record, so the household (gift rule) and the age gate see one person."""
    from wushe.residents.models import Resident

    found = Account.objects.filter(scheme=scheme, volunteer=volunteer).first()
    if found is not None:
        return _load(found)
    resident = None
    if volunteer.id_number_hash:
        resident = Resident.objects.filter(
            county_code=volunteer.county_code, id_number_hash=volunteer.id_number_hash
        ).first()
    if resident is not None:
        with transaction.atomic():
            shared = (
                Account.objects.select_for_update()
                .filter(scheme=scheme, resident=resident, volunteer__isnull=True)
                .first()
            )
            if shared is not None:
                shared.volunteer = volunteer
                shared.user_id = shared.user_id or volunteer.user_id
                shared.save(update_fields=["volunteer", "user"])
                return _load(shared)
    return _get_or_open(
        scheme,
        {"volunteer": volunteer},
        lambda: _new_account(
            scheme,
            AccountKind.PERSON,
            volunteer.name,
            volunteer.region_id,
            volunteer=volunteer,
            resident=resident
            if resident is not None
            and not Account.objects.filter(scheme=scheme, resident=resident).exists()
            else None,
            user_id=volunteer.user_id,
        ),
    )


def account_for_resident(*, scheme: Scheme, resident: Any) -> Account:
    return _get_or_open(
        scheme,
        {"resident": resident},
        lambda: _new_account(
            scheme,
            AccountKind.PERSON,
            resident.name,
            resident.region_id,
            resident=resident,
            user_id=resident.user_id,
        ),
    )


def account_for_organization(*, scheme: Scheme, organization: Any) -> Account:
    return _get_or_open(
        scheme,
        {"organization": organization},
        lambda: _new_account(
            scheme,
            AccountKind.ORGANIZATION,
            organization.name[:100],
            organization.region_id,
            organization=organization,
        ),
    )


def pool_for(*, scheme: Scheme, region_code: str) -> Account:
    """The community pool (社区公益池) of a region in the scheme, opened on first use."""
    return _get_or_open(
        scheme,
        {"kind": AccountKind.POOL, "region_id": region_code},
        lambda: _new_account(scheme, AccountKind.POOL, str(_("社区公益池")), region_code),
    )


def scheme_account(scheme: Scheme, kind: str) -> Account:
    return Account.objects.select_related("scheme").get(scheme=scheme, kind=kind)


# --- the engine ---------------------------------------------------------------------------


class _Locked(dict[int, int]):
    """Balances of the locked accounts by account id; `negative_allowed` holds the ids of
    the ones that may go below zero (issuance and clearing accounts)."""

    negative_allowed: set[int]


def _lock_balances(ids: list[int]) -> _Locked:
    """Lock the balance rows of `ids` in account-id order (the one lock order of the time
    bank) and read them: one statement, without the ORM's compiler (a hot path)."""
    table = fastsql.qn(Balance._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_id, amount, negative_allowed FROM {table} "  # noqa: S608
            f"WHERE account_id IN ({', '.join(['%s'] * len(ids))}) ORDER BY account_id{lock}",
            ids,
        )
        rows = cursor.fetchall()
    locked = _Locked((row[0], row[1]) for row in rows)
    locked.negative_allowed = {row[0] for row in rows if row[2]}
    return locked


def _balances_statement(amounts: dict[int, int]) -> fastsql.Statement:
    """The UPDATE that writes the new balances of the locked accounts (one statement)."""
    table = fastsql.qn(Balance._meta.db_table)
    ids = sorted(amounts)
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    params: list[Any] = []
    for account_id in ids:
        params += [account_id, amounts[account_id]]
    now = Balance._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    return (
        f"UPDATE {table} SET amount = CASE account_id {cases} END, "  # noqa: S608
        f"updated_at = %s WHERE account_id IN ({', '.join(['%s'] * len(ids))})",
        [*params, now, *ids],
    )


def _raise_if_twin(county: str, user: Any, key: str, kind: str, source_ref: str) -> None:
    """Leave through idempotent_create's IntegrityError path when a twin committed first."""
    if (
        key
        and Transfer.objects.filter(
            county_code=county, created_by=user, idempotency_key=key
        ).exists()
    ):
        raise IntegrityError("idempotency twin committed first")
    if (
        source_ref
        and Transfer.objects.filter(county_code=county, kind=kind, source_ref=source_ref).exists()
    ):
        raise IntegrityError("source document credited by a twin")


def _post(
    *,
    kind: str,
    subject: Account,
    lock: Sequence[Account],
    plan: Callable[[dict[int, int]], list[Leg]],
    actor: Any,
    key: str,
    body: dict[str, Any],
    value_date: date | None = None,
    memo: str = "",
    source_ref: str = "",
    reverses: Transfer | None = None,
    store_item_id: int | None = None,
    quantity: int = 0,
    nested: bool = False,
    after: Callable[[Transfer], None] | None = None,
) -> tuple[Transfer, bool]:
    """Insert the transfer, lock the balances of `lock` in account-id order, ask `plan` for
    the legs given the locked balances, check them (no zero leg, zero sum per unit, no
    overdraft), append the entries, move the balances, audit. Returns (transfer, created)."""
    user = _actor(actor)
    print_ = fingerprint({"kind": kind, **body})
    county = subject.county_code

    def create() -> Transfer:
        transfer = Transfer(
            kind=kind,
            subject=subject,
            amount=0,
            value_date=value_date or timezone.localdate(),
            memo=memo[:200],
            source_ref=source_ref,
            reverses=reverses,
            store_item_id=store_item_id,
            quantity=quantity,
            created_by=user,
            idempotency_key=key,
            idempotency_fingerprint=print_ if key else "",
        )
        if reverses is not None:
            transfer.group = reverses.group
        transfer.place(subject.region_id)
        ids = sorted({a.pk for a in lock})
        locked = _lock_balances(ids)
        if source_ref:
            # A twin crediting the same source document that held these locks has committed
            # by now, and this new statement sees it.
            _raise_if_twin(county, user, "", kind, source_ref)
        try:
            legs = [(a, amt) for a, amt in plan(locked) if amt]
        except Conflict:
            # A twin under the same key (or source document) that held these locks has
            # committed by now and spent the balance: answer as the twin did (the
            # IntegrityError path of idempotent_create returns the twin's transfer).
            _raise_if_twin(county, user, key, kind, source_ref)
            raise
        per_unit: dict[str, int] = defaultdict(int)
        for account, amount in legs:
            per_unit[account.scheme.code] += amount
        if not legs or any(per_unit.values()):
            raise AssertionError(f"unbalanced transfer {kind}: {per_unit}")
        unit = subject.scheme.code
        transfer.amount = sum(amt for a, amt in legs if a.scheme.code == unit and amt > 0)
        # The transfer first: a twin that committed the same key meanwhile fails here on the
        # unique constraint, before anything else is written.
        fastsql.insert(transfer)
        changes: dict[int, int] = defaultdict(int)
        entries = []
        for account, amount in legs:
            entry = Entry(
                transfer=transfer, account=account, amount=amount, unit=account.scheme.code
            )
            entry.place(account.region_id)
            entries.append(entry)
            changes[account.pk] += amount
        moved: dict[int, int] = {}
        for account_id, delta in changes.items():
            amount_after = locked[account_id] + delta
            if amount_after < 0 and account_id not in locked.negative_allowed:
                raise Conflict(_("余额不足。"), code="timebank.insufficient_balance")
            moved[account_id] = amount_after
        # The legs as stored, for the caller's answer without reading the entries back.
        transfer.legs = [(e.account_id, e.amount, e.unit) for e in entries]
        if after is not None:
            after(transfer)
        event = audit_event(
            action=f"timebank.transfer.{kind}",
            actor=actor,
            target=transfer,
            region_code=subject.region_id,
            changes={
                "legs": [[a.pk, amt] for a, amt in legs],
                "memo": memo[:200],
                "source_ref": source_ref,
            },
        )
        # Entries, balances and the audit event in one round trip (they are independent of
        # each other; the transfer they point at is already inserted).
        fastsql.execute_together(
            [
                fastsql.insert_statement(entries),
                _balances_statement(moved),
                fastsql.insert_statement([event]),
            ]
        )
        return transfer

    return idempotent_create(
        model=Transfer,
        county_code=county,
        actor=user,
        key=key,
        fingerprint=print_,
        create=create,
        nested=nested,
        # No look-up before `create`: a replay fails on the unique key at the transfer's
        # insert (or, when the twin spent the balance, is found by `_raise_if_twin`) and
        # leaves through the IntegrityError path with the stored transfer.
        lookup_first=False,
    )


def _load_pair(a: Account | int, b: Account | int) -> tuple[Account, Account]:
    """Both accounts in one statement (a hot path: every gift and exchange)."""
    pa = a.pk if isinstance(a, Account) else a
    pb = b.pk if isinstance(b, Account) else b
    found = fastsql.load_with(Account, "scheme", [pa, pb])
    if pa not in found or pb not in found:
        raise _not_found()
    return found[pa], found[pb]


def _load(account: Account | int) -> Account:
    pk = account.pk if isinstance(account, Account) else account
    found = fastsql.load_with(Account, "scheme", [pk]).get(pk)
    if found is None:
        raise _not_found()
    return found


def _spend_check(actor: Any, account: Account) -> None:
    if account.kind != AccountKind.PERSON and account.kind != AccountKind.ORGANIZATION:
        raise _invalid("account.kind", "account", _("该账户不能转出。"))
    if not _may_spend(actor, account):
        raise _not_found()


def _debit(balances: dict[int, int], account: Account, amount: int) -> None:
    if balances[account.pk] < amount:
        raise Conflict(_("余额不足。"), code="timebank.insufficient_balance")


# --- value-moving services ----------------------------------------------------------------


def coins_earn(
    *,
    account: Account | int,
    minutes: int,
    value_date: date,
    actor: Any,
    idempotency_key: str = "",
    source_ref: str = "",
    memo: str = "",
    authorized: bool = False,
    nested: bool = False,
) -> tuple[Transfer, bool]:
    """Credit verified service minutes to a person's account: issuance → person, capped by
    the scheme's daily earning cap (what is over it is not credited; nothing at all: 409
    `timebank.daily_cap_reached`); what would go over the storage cap goes to the community
    pool of the person's region instead (kind stays `earn`, the pool leg shows it).
    `source_ref` (e.g. a service record) is credited once per county: a second call returns
    the first transfer. `authorized` means the caller (record verification) has checked the
    actor's permission."""
    target = _load(account)
    if target.kind != AccountKind.PERSON:
        raise _invalid("account.kind", "account", _("只能存入个人账户。"))
    if not authorized and not _is_writer(actor, target.region_id):
        raise _not_found()
    minutes = _positive(minutes, "minutes")
    scheme = target.scheme
    gross = minutes * scheme.earn_per_hour // 60
    if gross <= 0:
        raise _invalid("amount.too_small", "minutes", _("服务时长不足以折算。"))
    if source_ref:
        done = Transfer.objects.filter(
            county_code=target.county_code, kind=TransferKind.EARN, source_ref=source_ref
        ).first()
        if done is not None:
            return done, False
    issuance = scheme_account(scheme, AccountKind.ISSUANCE)
    pool = pool_for(scheme=scheme, region_code=target.region_id)

    def plan(balances: dict[int, int]) -> list[Leg]:
        amount = gross
        if scheme.daily_earn_cap is not None:
            earned = (
                Transfer.objects.filter(
                    subject=target,
                    kind=TransferKind.EARN,
                    value_date=value_date,
                    reversed_by__isnull=True,
                ).aggregate(s=Sum("amount"))["s"]
                or 0
            )
            amount = min(amount, scheme.daily_earn_cap - earned)
            if amount <= 0:
                raise Conflict(_("已达到当日存入上限。"), code="timebank.daily_cap_reached")
        kept = amount
        if scheme.storage_cap is not None:
            kept = max(0, min(amount, scheme.storage_cap - balances[target.pk]))
        return [(issuance, -amount), (target, kept), (pool, amount - kept)]

    try:
        return _post(
            kind=TransferKind.EARN,
            subject=target,
            lock=[issuance, target, pool],
            plan=plan,
            actor=actor,
            key=idempotency_key,
            body={
                "account": target.pk,
                "minutes": minutes,
                "value_date": value_date,
                "source_ref": source_ref,
            },
            value_date=value_date,
            memo=memo,
            source_ref=source_ref,
            nested=nested,
        )
    except IntegrityError:
        done = Transfer.objects.filter(
            county_code=target.county_code, kind=TransferKind.EARN, source_ref=source_ref
        ).first()
        if not source_ref or done is None:
            raise
        return done, False


def _relatives(a: Account, b: Account) -> bool:
    ra, rb = a.resident, b.resident
    if ra is None or rb is None or ra.household_id is None or ra.household_id != rb.household_id:
        return False
    pair = {ra.relation_to_head, rb.relation_to_head}
    if pair == {"head", "spouse"}:
        return True
    return len(pair) == 2 and bool(pair & {"head", "spouse"}) and bool(pair & _LINEAL)


def coins_gift(
    *,
    source: Account | int,
    target: Account | int,
    amount: int,
    actor: Any,
    idempotency_key: str = "",
    memo: str = "",
    nested: bool = False,
) -> tuple[Transfer, bool]:
    """Give coins to another person of the same scheme, within the scheme's gift policy."""
    src, dst = _load_pair(source, target)
    _spend_check(actor, src)
    amount = _positive(amount)
    if dst.scheme_id != src.scheme_id or dst.kind != AccountKind.PERSON or dst.pk == src.pk:
        raise _invalid("gift.target", "target", _("只能转赠给同一方案的其他个人账户。"))
    policy = src.scheme.gift_policy
    if policy == GiftPolicy.NONE:
        raise Conflict(_("本方案不允许转赠。"), code="timebank.gift.not_allowed")
    if policy == GiftPolicy.RELATIVES and not _relatives(src, dst):
        raise Conflict(_("只能转赠给直系亲属。"), code="timebank.gift.not_relative")

    def plan(balances: dict[int, int]) -> list[Leg]:
        _debit(balances, src, amount)
        return [(src, -amount), (dst, amount)]

    return _post(
        kind=TransferKind.GIFT,
        subject=src,
        lock=[src, dst],
        plan=plan,
        actor=actor,
        key=idempotency_key,
        body={"source": src.pk, "target": dst.pk, "amount": amount, "memo": memo},
        memo=memo,
        nested=nested,
    )


def coins_donate(
    *,
    source: Account | int,
    amount: int,
    actor: Any,
    pool_region: str = "",
    idempotency_key: str = "",
    memo: str = "",
    nested: bool = False,
) -> tuple[Transfer, bool]:
    """Donate to a community pool (the payer's own community unless `pool_region`)."""
    src = _load(source)
    _spend_check(actor, src)
    amount = _positive(amount)
    pool = pool_for(scheme=src.scheme, region_code=pool_region or src.region_id)

    def plan(balances: dict[int, int]) -> list[Leg]:
        _debit(balances, src, amount)
        return [(src, -amount), (pool, amount)]

    return _post(
        kind=TransferKind.DONATE,
        subject=src,
        lock=[src, pool],
        plan=plan,
        actor=actor,
        key=idempotency_key,
        body={"source": src.pk, "pool": pool.pk, "amount": amount, "memo": memo},
        memo=memo,
        nested=nested,
    )


def _birth_date(account: Account) -> date | None:
    for person in (account.resident, account.volunteer):
        if person is not None and person.birth_date is not None:
            return person.birth_date
    return None


def coins_redeem(
    *,
    source: Account | int,
    actor: Any,
    amount: int | None = None,
    store_item: Any = None,
    quantity: int = 1,
    idempotency_key: str = "",
    memo: str = "",
    nested: bool = False,
) -> tuple[Transfer, bool]:
    """Spend: the value goes back to the scheme's issuance account (retired). Time coins are
    redeemed for services from `scheme.redeem_min_age` (age unknown: refused); points buy a
    charity-store item (`store_item`, `quantity`): its stock is lowered in the same
    transaction under a row lock taken after the balances (one fixed order everywhere)."""
    from wushe.charity.models import StoreItem

    src = _load(source)
    _spend_check(actor, src)
    scheme = src.scheme
    item_id: int | None = None
    if store_item is not None:
        item_id = int(getattr(store_item, "pk", store_item))
        quantity = _positive(quantity, "quantity")
        item = StoreItem.objects.filter(pk=item_id, active=True).first()
        if item is None:
            raise NotFound(code="timebank.store_item.not_found")
        if scheme.kind != SchemeKind.POINTS:
            raise _invalid("redeem.store_unit", "store_item", _("爱心超市只能用积分兑换。"))
        amount = item.points_price * quantity
    amount = _positive(amount)
    if scheme.kind == SchemeKind.COIN and scheme.redeem_min_age:
        born = _birth_date(src)
        if born is None or age_on(born, timezone.localdate()) < scheme.redeem_min_age:
            raise Conflict(
                _("年满 %(n)d 周岁方可兑换服务。") % {"n": scheme.redeem_min_age},
                code="timebank.redeem.age",
            )
    issuance = scheme_account(scheme, AccountKind.ISSUANCE)

    def plan(balances: dict[int, int]) -> list[Leg]:
        _debit(balances, src, amount)
        return [(src, -amount), (issuance, amount)]

    def take_stock(transfer: Transfer) -> None:
        if item_id is None:
            return
        locked = StoreItem.objects.select_for_update().get(pk=item_id)
        if locked.stock < quantity:
            raise Conflict(_("库存不足。"), code="timebank.store.out_of_stock")
        locked.stock -= quantity
        locked.save(update_fields=["stock", "updated_at"])

    return _post(
        kind=TransferKind.REDEEM,
        subject=src,
        lock=[src, issuance],
        plan=plan,
        actor=actor,
        key=idempotency_key,
        body={
            "source": src.pk,
            "amount": amount,
            "store_item": item_id,
            "quantity": quantity if item_id else 0,
            "memo": memo,
        },
        memo=memo,
        store_item_id=item_id,
        quantity=quantity if item_id else 0,
        after=take_stock,
        nested=nested,
    )


def coins_exchange(
    *,
    source: Account | int,
    target: Account | int,
    amount: int,
    actor: Any,
    idempotency_key: str = "",
    memo: str = "",
    nested: bool = False,
) -> tuple[Transfer, bool]:
    """Move value between schemes (通存通兑): `amount` units of the source scheme leave the
    payer for the source scheme's clearing account; the target scheme's clearing account pays
    amount × rate to the target account. Balances in both units; an inexact conversion is
    refused (422 `timebank.exchange.inexact`)."""
    src, dst = _load_pair(source, target)
    _spend_check(actor, src)
    amount = _positive(amount)
    if dst.scheme_id == src.scheme_id or dst.kind not in (
        AccountKind.PERSON,
        AccountKind.ORGANIZATION,
        AccountKind.POOL,
    ):
        raise _invalid("exchange.target", "target", _("请选择另一方案的账户。"))
    rate = ExchangeRate.objects.filter(source=src.scheme, target=dst.scheme).first()
    if rate is None:
        raise Conflict(_("两个方案之间没有兑换比率。"), code="timebank.exchange.no_rate")
    converted, rest = divmod(amount * rate.numerator, rate.denominator)
    if rest or converted <= 0:
        raise _invalid("exchange.inexact", "amount", _("该金额按比率折算后不是整数，请调整。"))
    clear_src = scheme_account(src.scheme, AccountKind.CLEARING)
    clear_dst = scheme_account(dst.scheme, AccountKind.CLEARING)

    def plan(balances: dict[int, int]) -> list[Leg]:
        _debit(balances, src, amount)
        return [(src, -amount), (clear_src, amount), (clear_dst, -converted), (dst, converted)]

    return _post(
        kind=TransferKind.EXCHANGE,
        subject=src,
        lock=[src, dst, clear_src, clear_dst],
        plan=plan,
        actor=actor,
        key=idempotency_key,
        body={"source": src.pk, "target": dst.pk, "amount": amount, "memo": memo},
        memo=memo,
        nested=nested,
    )


def transfer_reverse(
    *,
    transfer: Transfer | int,
    reason: str,
    actor: Any,
    idempotency_key: str = "",
    nested: bool = False,
) -> tuple[Transfer, bool]:
    """Cancel a transfer by appending its negation (kind `reversal`, same group). Refused
    when the transfer is itself a reversal or already reversed (409
    `timebank.reversal.not_allowed`), or when an account would be overdrawn (the value was
    spent since: 409 `timebank.insufficient_balance`). A store redemption gets its stock back."""
    from wushe.charity.models import StoreItem

    pk = transfer.pk if isinstance(transfer, Transfer) else transfer
    original = Transfer.objects.select_related("subject__scheme").filter(pk=pk).first()
    if original is None or not _is_writer(actor, original.region_id):
        raise NotFound(code="timebank.transfer.not_found")
    reason = str(reason or "").strip()
    if not reason:
        raise _invalid("reversal.reason", "reason", _("请填写冲正原因。"))
    if (
        original.kind == TransferKind.REVERSAL
        or Transfer.objects.filter(reverses=original).exists()
    ):
        raise Conflict(_("该转账不能再冲正。"), code="timebank.reversal.not_allowed")
    entries = list(original.entries.select_related("account__scheme").order_by("pk"))

    def plan(balances: dict[int, int]) -> list[Leg]:
        return [(e.account, -e.amount) for e in entries]

    def restock(reversal: Transfer) -> None:
        if original.store_item_id is None:
            return
        item = StoreItem.objects.select_for_update().get(pk=original.store_item_id)
        item.stock += original.quantity
        item.save(update_fields=["stock", "updated_at"])

    try:
        return _post(
            kind=TransferKind.REVERSAL,
            subject=original.subject,
            lock=[e.account for e in entries],
            plan=plan,
            actor=actor,
            key=idempotency_key,
            body={"transfer": original.pk, "reason": reason[:200]},
            memo=reason,
            reverses=original,
            value_date=original.value_date,
            store_item_id=original.store_item_id,
            quantity=original.quantity,
            after=restock,
            nested=nested,
        )
    except IntegrityError:
        if Transfer.objects.filter(reverses=original).exists():
            raise Conflict(_("该转账不能再冲正。"), code="timebank.reversal.not_allowed") from None
        raise


def coins_expire(*, account: Account | int, on: date, actor: Any) -> Transfer | None:
    """Optional expiry (`scheme.expiry_days`; none by default, domain.md §5): spending uses the
    oldest value first, so what remains of a balance is the most recent credits; the part of
    the balance older than the window (balance − credits dated within it) goes back to the
    scheme's issuance account as one `expiry` transfer. Returns None when nothing expires.
    Idempotent per (account, day) through `source_ref`."""
    target = _load(account)
    scheme = target.scheme
    if scheme.expiry_days is None or target.kind != AccountKind.PERSON:
        return None
    if not _is_writer(actor, target.region_id):
        raise _not_found()
    since = on - timedelta(days=scheme.expiry_days)
    issuance = scheme_account(scheme, AccountKind.ISSUANCE)

    def plan(balances: dict[int, int]) -> list[Leg]:
        recent = (
            Entry.objects.filter(
                account=target, amount__gt=0, transfer__value_date__gt=since
            ).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        expired = max(0, balances[target.pk] - recent)
        if not expired:
            raise _NothingToDo
        return [(target, -expired), (issuance, expired)]

    try:
        transfer, _created = _post(
            kind=TransferKind.EXPIRY,
            subject=target,
            lock=[target, issuance],
            plan=plan,
            actor=actor,
            key="",
            body={"account": target.pk, "on": on},
            value_date=on,
            memo=str(_("超过有效期")),
        )
    except _NothingToDo:
        return None
    return transfer


class _NothingToDo(Exception):
    pass


def balances_rebuild(*, actor: Any = None) -> int:
    """Recompute every cached balance from the entries; returns how many were wrong."""
    fixed = 0
    with transaction.atomic():
        sums = dict(
            Entry.objects.values("account_id")
            .annotate(s=Sum("amount"))
            .values_list("account_id", "s")
            .order_by()
        )
        for balance in Balance.objects.select_for_update().order_by("pk"):
            right = sums.get(balance.account_id) or 0
            if balance.amount != right:
                fixed += 1
                balance.amount = right
                balance.save(update_fields=["amount", "updated_at"])
        audit_record(action="timebank.balances.rebuilt", actor=actor, changes={"fixed": fixed})
    return fixed
