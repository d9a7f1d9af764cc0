"""Charity resources (社会慈善资源, the fifth force): community foundations and named funds,
donors, the donation ledger, and charity stores (爱心超市) with their goods.

Money is integer fen (分) everywhere, never float (domain.md §8); quantities and points are
integers. Every table is region-bound and carries `county_code` (docs/architecture.md §6.3);
child rows (donations, store items) copy the county of their parent."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.audit.models import AppendOnlyError
from wushe.core.models import RegionBound, county_code_check
from wushe.core.personal import PersonFields
from wushe.taxonomy.models import Vocabulary

SERVICE_CATEGORY = {"vocabulary": Vocabulary.SERVICE_CATEGORY}


class FundKind(models.TextChoices):
    FOUNDATION = "foundation", _("社区基金会")
    SPECIAL = "special", _("专项基金")
    MICRO = "micro", _("社区微基金")


class FundStatus(models.TextChoices):
    ACTIVE = "active", _("运行中")
    CLOSED = "closed", _("已关闭")


class CharityFund(RegionBound):
    """A community foundation (社区基金会) or a named fund (专项基金, 社区微基金).

    Invariants: a fund is *restricted* when it names at least one purpose term (`purposes`);
    then every donation that states a purpose states one of them. `purpose_text` describes the
    restriction in words. `status` changes only through `fund_close`, which sets `closed_on`;
    a closed fund takes no new donations. Totals are never stored: they are SQL sums of the
    donation ledger (`selectors.fund_totals`). `public` funds appear in public disclosure."""

    kind = models.CharField(_("类型"), max_length=20, choices=FundKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    managing_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("管理机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_on = models.DateField(_("设立日期"), null=True, blank=True)
    purpose_text = models.TextField(_("限定用途说明"), blank=True)
    purposes = models.ManyToManyField(
        "taxonomy.Term",
        verbose_name=_("限定用途"),
        through="FundPurpose",
        blank=True,
        related_name="+",
        limit_choices_to=SERVICE_CATEGORY,
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=FundStatus.choices, default=FundStatus.ACTIVE
    )
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    public = models.BooleanField(_("向社会公开"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("慈善基金")
        verbose_name_plural = _("慈善基金")
        ordering = ["region", "name"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "region", "name"], name="charity_fund_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(status=FundStatus.ACTIVE, closed_on__isnull=True)
                | Q(status=FundStatus.CLOSED, closed_on__isnull=False),
                name="charity_fund_closed_on",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == FundStatus.ACTIVE


class FundPurpose(models.Model):
    """One restricted purpose of a fund (the M2M row). Carries the fund's county so the table
    can be distributed with it (docs/architecture.md §6.3)."""

    fund = models.ForeignKey(CharityFund, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(
        "taxonomy.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=SERVICE_CATEGORY,
    )
    county_code = models.CharField(max_length=6, editable=False)

    class Meta:
        verbose_name = _("基金限定用途")
        verbose_name_plural = _("基金限定用途")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "fund", "term"], name="charity_fundpurpose_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} · {self.term_id}"


class DonorKind(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("企业（单位）")


class Donor(RegionBound, PersonFields):
    """A person or an enterprise that gives money or goods.

    Invariants: a person's ID number and mobile number are sealed (wushe.core.personal:
    encrypted, hashed, masked) and revealed only through the audited
    `privacy.services.personal_reveal`; an enterprise has no ID number, may have a unified
    social credit code (GB 32100, checked; unique per county) and a contact person, whose
    mobile number is sealed in the same `phone` columns. An `anonymous` donor is never named in
    public disclosure (`public_name`). The region is where the donor was registered; donations
    go only to funds and stores of the same county."""

    PERSONAL_PURPOSE = "charity.donor"

    kind = models.CharField(_("捐赠人类型"), max_length=12, choices=DonorKind.choices)
    name = models.CharField(_("姓名或名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    anonymous = models.BooleanField(_("匿名捐赠"), default=False)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("捐赠人")
        verbose_name_plural = _("捐赠人")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["county_code", "id_number_hash"], name="charity_donor_id_hash"),
            models.Index(fields=["county_code", "name"], name="charity_donor_name"),
        ]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "credit_code"],
                condition=~Q(credit_code=""),
                name="charity_donor_unique_credit_code",
            ),
            models.CheckConstraint(
                condition=Q(kind=DonorKind.PERSON, credit_code="")
                | Q(kind=DonorKind.ENTERPRISE, id_number_hash=""),
                name="charity_donor_kind_identifiers",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_name(self) -> str:
        """The name public disclosure may show."""
        if self.anonymous:
            return str(_("爱心人士")) if self.kind == DonorKind.PERSON else str(_("爱心企业"))
        return self.name


class DonationKind(models.TextChoices):
    MONEY = "money", _("资金")
    GOODS = "goods", _("物资")


class DonationQuerySet(models.QuerySet["Donation"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: donations are corrected by reversing entries")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("append-only: donations are corrected by reversing entries")


class Donation(RegionBound):
    """One entry of the donation ledger: money (in fen) or goods received from a donor.

    Invariants (CHECK constraints unless said otherwise):
    - Append-only. A row is never changed or deleted (the ORM refuses; on PostgreSQL a trigger
      refuses too). A mistake is corrected by `services.donation_reverse`, which appends a
      reversing entry: same fund/store, donor, kind, purpose and `received_on`, negated
      amounts, `reverses` pointing at the original (at most one reversal per original), and the
      reason in `note`. Then record the right donation anew. Reversing a reversal is refused.
    - Money: `amount_fen > 0` for an original, `< 0` for a reversal; goods columns are zero.
      Goods: `amount_fen = 0`; `quantity > 0` and `estimated_value_fen >= 0` for an original
      (negated for a reversal).
    - A money donation goes to a fund; goods go to a fund or directly to a store.
    - `region`/`county_code` are the fund's (or store's); the donor is of the same county.
    - `receipt_no` (捐赠票据号), when given, is unique within the county.
    - Totals are sums of these rows (`selectors.fund_totals`); the ledger is ordered by
      `received_on`, then `recorded_at`, with `id` only as a tie-breaker."""

    fund = models.ForeignKey(
        CharityFund,
        verbose_name=_("基金"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    store = models.ForeignKey(
        "CharityStore",
        verbose_name=_("爱心超市"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    donor = models.ForeignKey(
        Donor, verbose_name=_("捐赠人"), on_delete=models.PROTECT, related_name="donations"
    )
    kind = models.CharField(_("捐赠类型"), max_length=10, choices=DonationKind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"), default=0)
    goods_description = models.CharField(_("物资名称"), max_length=200, blank=True)
    quantity = models.IntegerField(_("数量"), default=0)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    estimated_value_fen = models.BigIntegerField(_("估值（分）"), default=0)
    received_on = models.DateField(_("接收日期"))
    receipt_no = models.CharField(_("捐赠票据号"), max_length=40, blank=True)
    purpose = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("指定用途"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=SERVICE_CATEGORY,
    )
    purpose_text = models.CharField(_("用途说明"), max_length=200, blank=True)
    note = models.TextField(_("备注"), blank=True)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("冲正的捐赠"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = DonationQuerySet.as_manager()

    class Meta:
        verbose_name = _("捐赠记录")
        verbose_name_plural = _("捐赠记录")
        ordering = ["-received_on", "-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["fund", "received_on"], name="charity_donation_fund_day"),
            models.Index(fields=["region", "received_on"], name="charity_donation_region_day"),
        ]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "receipt_no"],
                condition=~Q(receipt_no=""),
                name="charity_donation_unique_receipt",
            ),
            models.UniqueConstraint(
                fields=["county_code", "reverses"], name="charity_donation_one_reversal"
            ),
            models.CheckConstraint(
                condition=Q(fund__isnull=False) | Q(store__isnull=False, kind=DonationKind.GOODS),
                name="charity_donation_target",
            ),
            models.CheckConstraint(
                condition=Q(kind=DonationKind.GOODS)
                | Q(
                    quantity=0,
                    estimated_value_fen=0,
                    reverses__isnull=True,
                    amount_fen__gt=0,
                )
                | Q(
                    quantity=0,
                    estimated_value_fen=0,
                    reverses__isnull=False,
                    amount_fen__lt=0,
                ),
                name="charity_donation_money_amount",
            ),
            models.CheckConstraint(
                condition=Q(kind=DonationKind.MONEY)
                | Q(
                    amount_fen=0,
                    reverses__isnull=True,
                    quantity__gt=0,
                    estimated_value_fen__gte=0,
                )
                | Q(
                    amount_fen=0,
                    reverses__isnull=False,
                    quantity__lt=0,
                    estimated_value_fen__lte=0,
                ),
                name="charity_donation_goods_quantity",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == DonationKind.MONEY:
            from .money import format_fen

            return f"{self.donor} · {format_fen(self.amount_fen)}"
        return f"{self.donor} · {self.goods_description} {self.quantity}{self.unit}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def value_fen(self) -> int:
        """Money amount, or the estimated value of goods."""
        return self.amount_fen if self.kind == DonationKind.MONEY else self.estimated_value_fen

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Guarding immutability, not business logic: a ledger row is written once.
        if not self._state.adding:
            raise AppendOnlyError("append-only: donations are corrected by reversing entries")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: donations are corrected by reversing entries")


class CharityStore(RegionBound):
    """A charity store (爱心超市) where residents redeem points for goods.

    Invariants: the region is a township or a community; the store serves that region (a
    township store serves all its communities). Redemption and stock movements arrive with the
    time bank; here the stock only grows through `store_item_restock`."""

    name = models.CharField(_("名称"), max_length=200)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    operator = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("运营机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opening_hours = models.CharField(_("开放时间"), max_length=200, blank=True)
    active = models.BooleanField(_("开放中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("爱心超市")
        verbose_name_plural = _("爱心超市")
        ordering = ["region", "name"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "region", "name"], name="charity_store_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StoreItem(RegionBound):
    """A kind of goods on a store's shelf, priced in points.

    Invariants: `region`/`county_code` are the store's; `points_price > 0`; `stock >= 0`, held
    by a CHECK constraint as well as by the services, which change stock only under a row lock
    (`store_item_restock` adds; redemption, with the time bank, will take away)."""

    store = models.ForeignKey(
        CharityStore, verbose_name=_("爱心超市"), on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField(_("物品名称"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20)
    points_price = models.IntegerField(_("兑换积分"))
    stock = models.IntegerField(_("库存"), default=0)
    active = models.BooleanField(_("上架"), default=True)
    source_donation = models.ForeignKey(
        Donation,
        verbose_name=_("来源捐赠"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("爱心超市物品")
        verbose_name_plural = _("爱心超市物品")
        ordering = ["store", "name"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "store", "name"], name="charity_storeitem_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(points_price__gt=0), name="charity_storeitem_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="charity_storeitem_stock_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"
