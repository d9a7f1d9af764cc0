"""The time bank (时间银行) ledger: schemes, accounts, double-entry transfers.

Units. Every amount is a signed integer in the scheme's *small unit*:
- a time-coin scheme (`SchemeKind.COIN`) counts **minutes**: 1 time coin = 60 units, so one
  verified hour is exactly one coin and no rounding happens when minutes become coins;
- a points scheme (`SchemeKind.POINTS`) counts **whole points**: 1 point = 1 unit, the unit the
  charity store prices its goods in (`StoreItem.points_price`).
Each scheme is its own unit (`Entry.unit` = `Scheme.code`): coins of Haining and coins of
another county are different units, converted only by an `ExchangeRate`.

Invariants (checked by `wushe timebank verify`, see `verify.py`):
1. the entries of a transfer sum to zero per unit;
2. an exchange moves value person → clearing account in the source scheme and clearing
   account → person in the target scheme, so it balances in both;
3. `Balance.amount` equals the sum of the account's entries (a cache, `rebuild_balances`);
4. only issuance and clearing accounts may be negative (CHECK on Balance);
5. entries and transfers are append-only: the ORM refuses changes, on PostgreSQL a trigger
   too; a mistake is corrected by a reversing transfer (`transfer_reverse`)."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.audit.models import AppendOnlyError
from wushe.core.idempotency import IdempotencyFields, idempotency_constraint
from wushe.core.models import RegionBound, county_code_check

UNITS_PER_COIN = 60  # minutes
UNITS_PER_POINT = 1


class SchemeKind(models.TextChoices):
    COIN = "coin", _("时间币")
    POINTS = "points", _("积分")


class GiftPolicy(models.TextChoices):
    RELATIVES = "relatives", _("仅限直系亲属")
    ANYONE = "anyone", _("任何人")
    NONE = "none", _("不允许转赠")


class Scheme(RegionBound):
    """The rules of one time bank or points scheme for a region and everything below it
    (domain.md §5; every rule is configurable, the defaults are the common city rules).
    Amounts are in the scheme's small unit (module docstring)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("单位"), max_length=8, choices=SchemeKind.choices)
    # 1 verified hour = `earn_per_hour` units (60 = one coin per hour for coin schemes).
    earn_per_hour = models.PositiveIntegerField(_("每服务小时存入"), default=UNITS_PER_COIN)
    daily_earn_cap = models.PositiveIntegerField(
        _("每日存入上限"), null=True, blank=True, default=2 * UNITS_PER_COIN
    )
    storage_cap = models.PositiveIntegerField(
        _("个人存储上限"), null=True, blank=True, default=1500 * UNITS_PER_COIN
    )
    redeem_min_age = models.PositiveSmallIntegerField(_("兑换年龄下限"), default=60)
    gift_policy = models.CharField(
        _("转赠范围"), max_length=10, choices=GiftPolicy.choices, default=GiftPolicy.RELATIVES
    )
    expiry_days = models.PositiveIntegerField(_("有效期（天）"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("时间银行方案")
        verbose_name_plural = _("时间银行方案")
        constraints = [county_code_check()]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_scale(self) -> int:
        return UNITS_PER_COIN if self.kind == SchemeKind.COIN else UNITS_PER_POINT


class ExchangeRate(models.Model):
    """`source` → `target`: `amount` units of the source give amount × numerator / denominator
    units of the target; an exchange whose result is not a whole unit is refused, so nothing is
    lost to rounding. One rate per ordered pair."""

    source = models.ForeignKey(
        Scheme, verbose_name=_("转出方案"), on_delete=models.PROTECT, related_name="rates_out"
    )
    target = models.ForeignKey(
        Scheme, verbose_name=_("转入方案"), on_delete=models.PROTECT, related_name="rates_in"
    )
    numerator = models.PositiveIntegerField(_("比率分子"))
    denominator = models.PositiveIntegerField(_("比率分母"))

    class Meta:
        verbose_name = _("兑换比率")
        verbose_name_plural = _("兑换比率")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="timebank_rate_pair"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="timebank_rate_distinct"
            ),
            models.CheckConstraint(
                condition=Q(numerator__gt=0, denominator__gt=0), name="timebank_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}: {self.numerator}/{self.denominator}"


class AccountKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANIZATION = "organization", _("组织")
    POOL = "pool", _("社区公益池")
    ISSUANCE = "issuance", _("发行账户")
    CLEARING = "clearing", _("清算账户")


# Accounts whose balance may be negative: issuance is where coins come from, clearing is
# where schemes settle with each other.
NEGATIVE_ALLOWED = frozenset({AccountKind.ISSUANCE, AccountKind.CLEARING})


class Account(RegionBound):
    """An account in one scheme. A person's account points at their volunteer and/or resident
    record and at their login (`user`), an organisation's at the organisation, a pool at its
    community (`region`); issuance and clearing accounts exist once per scheme."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("方案"), on_delete=models.PROTECT, related_name="accounts"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=AccountKind.choices)
    name = models.CharField(_("户名"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timebank_accounts",
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("志愿者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timebank_accounts",
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timebank_accounts",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timebank_accounts",
    )
    created_at = models.DateTimeField(_("开户时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("时间银行账户")
        verbose_name_plural = _("时间银行账户")
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["scheme", "volunteer"],
                condition=Q(volunteer__isnull=False),
                name="timebank_account_volunteer",
            ),
            models.UniqueConstraint(
                fields=["scheme", "resident"],
                condition=Q(resident__isnull=False),
                name="timebank_account_resident",
            ),
            models.UniqueConstraint(
                fields=["scheme", "organization"],
                condition=Q(organization__isnull=False),
                name="timebank_account_organization",
            ),
            models.UniqueConstraint(
                fields=["scheme", "region"],
                condition=Q(kind="pool"),
                name="timebank_account_pool",
            ),
            models.UniqueConstraint(
                fields=["scheme", "kind"],
                condition=Q(kind__in=["issuance", "clearing"]),
                name="timebank_account_scheme_own",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.scheme.code}）"

    @property
    def negative_allowed(self) -> bool:
        return self.kind in NEGATIVE_ALLOWED


class Balance(models.Model):
    """Cached balance of an account: the sum of its entries (rebuildable). The CHECK is the
    last line against an overdraft the services failed to refuse."""

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.PROTECT, related_name="balance"
    )
    amount = models.BigIntegerField(_("余额"), default=0)
    negative_allowed = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("余额")
        verbose_name_plural = _("余额")
        constraints = [
            models.CheckConstraint(
                condition=Q(negative_allowed=True) | Q(amount__gte=0),
                name="timebank_balance_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


class TransferKind(models.TextChoices):
    EARN = "earn", _("服务存入")
    REDEEM = "redeem", _("兑换")
    GIFT = "gift", _("转赠")
    DONATE = "donate", _("捐赠")
    EXCHANGE = "exchange", _("通兑")
    OVERFLOW = "overflow", _("超额捐赠")
    REVERSAL = "reversal", _("冲正")
    EXPIRY = "expiry", _("过期")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: the ledger is corrected by reversing transfers")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("append-only: the ledger is corrected by reversing transfers")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("append-only: the ledger is corrected by reversing transfers")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: the ledger is corrected by reversing transfers")


class Transfer(AppendOnlyModel, RegionBound, IdempotencyFields):
    """One movement of value: a set of entries that sum to zero per unit. `region` is the
    region of the account that pays (the receiver's for an earn). A reversal points at the
    transfer it cancels (`reverses`, at most one reversal per transfer) and shares its
    `group`. `value_date` is the local day the value belongs to (the service day for an earn;
    the daily cap counts it)."""

    kind = models.CharField(_("类型"), max_length=10, choices=TransferKind.choices)
    group = models.UUIDField(_("业务组"), default=uuid.uuid4, editable=False)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲正的转账"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    value_date = models.DateField(_("记账日期"))
    # The account the transfer is about (earn: receiver; gift, donate, redeem, exchange:
    # payer) and the gross amount in its unit: the daily earning cap sums these.
    subject = models.ForeignKey(
        Account,
        verbose_name=_("主账户"),
        on_delete=models.PROTECT,
        related_name="subject_of",
    )
    amount = models.BigIntegerField(_("金额"))
    memo = models.CharField(_("摘要"), max_length=200, blank=True, default="")
    source_ref = models.CharField(_("来源单据"), max_length=64, blank=True, default="")
    store_item = models.ForeignKey(
        "charity.StoreItem",
        verbose_name=_("兑换物品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("数量"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    # Set by the services on a transfer they just created: its legs as (account, amount,
    # unit), so an answer needs not read the entries back. Not a column.
    legs: list[tuple[int, int, str]]

    class Meta:
        verbose_name = _("转账")
        verbose_name_plural = _("转账")
        constraints = [
            county_code_check(),
            idempotency_constraint("created_by"),
            # An earn for a source document (a service record) happens once per county.
            models.UniqueConstraint(
                fields=["county_code", "source_ref"],
                condition=Q(kind="earn") & ~Q(source_ref=""),
                name="timebank_transfer_source_once",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="reversal"),
                name="timebank_transfer_reverses_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["group"], name="timebank_transfer_group"),
            models.Index(fields=["subject", "value_date"], name="timebank_transfer_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Entry(AppendOnlyModel, RegionBound):
    """One leg of a transfer: a signed amount on one account, in the account's unit
    (`unit` = the scheme's code, copied so sums per unit need no join). `region` is the
    account's."""

    transfer = models.ForeignKey(
        Transfer, verbose_name=_("转账"), on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.BigIntegerField(_("金额"))
    unit = models.CharField(_("单位"), max_length=32)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints = [
            county_code_check(),
            models.CheckConstraint(condition=~Q(amount=0), name="timebank_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "id"], name="timebank_entry_account")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d} {self.unit}"
