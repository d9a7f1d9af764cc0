"""Page forms. They only shape input (yuan typed by people become fen through `parse_yuan`);
every rule lives in the services, whose errors the views put back onto these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.bounds import POINTS_MAX, QUANTITY_MAX
from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.organizations.models import Organization
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import DonationKind, Donor, DonorKind, FundKind
from .money import parse_yuan

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_error(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc, {"region_id": "region"})


class RegionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        indent = "\u3000" * max(int(obj.level) - 2, 0)
        return f"{indent}{obj.name}"


def _service_terms() -> Any:
    return Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY, active=True).order_by(
        "order", "code"
    )


class FundForm(forms.Form):
    region = RegionField(label=_("所属区划"), queryset=Region.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=FundKind.choices)
    name = forms.CharField(label=_("名称"), max_length=200)
    # Offered by the view: the organisations of the user's scope (selectors.organization_choices).
    managing_org = forms.ModelChoiceField(
        label=_("管理机构"), queryset=Organization.objects.none(), required=False
    )
    opened_on = forms.DateField(label=_("设立日期"), required=False, widget=DATE)
    purposes = forms.ModelMultipleChoiceField(
        label=_("限定用途（不选即不限定）"),
        queryset=Term.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose_text = forms.CharField(
        label=_("用途说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    public = forms.BooleanField(label=_("向社会公开"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        organizations: Any,
        regions: Any = None,
        editing: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["purposes"].queryset = _service_terms()  # type: ignore[attr-defined]
        self.fields["managing_org"].queryset = organizations  # type: ignore[attr-defined]
        if editing:
            del self.fields["region"]
        else:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class DonorForm(forms.Form):
    region = RegionField(label=_("登记区划"), queryset=Region.objects.none())
    kind = forms.ChoiceField(label=_("捐赠人类型"), choices=DonorKind.choices)
    name = forms.CharField(label=_("姓名或名称"), max_length=200)
    credit_code = forms.CharField(
        label=_("统一社会信用代码（企业）"), max_length=30, required=False
    )
    contact_name = forms.CharField(label=_("联系人（企业）"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=30,
        required=False,
        help_text=_("加密保存，页面只显示脱敏号码。修改时留空表示不变。"),
    )
    id_number = forms.CharField(
        label=_("身份证号（个人，可不填）"),
        max_length=30,
        required=False,
        help_text=_("加密保存，页面只显示脱敏号码。修改时留空表示不变。"),
    )
    anonymous = forms.BooleanField(label=_("匿名捐赠（公开时不显示姓名或名称）"), required=False)
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, regions: Any = None, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["region"]
            del self.fields["kind"]
        else:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class DonorFilterForm(forms.Form):
    q = forms.CharField(label=_("名称包含"), required=False, max_length=50)
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部")), *DonorKind.choices]
    )


class DonationForm(forms.Form):
    donor: forms.ModelChoiceField[Donor] = forms.ModelChoiceField(
        label=_("捐赠人"), queryset=Donor.objects.none()
    )
    kind = forms.ChoiceField(label=_("捐赠类型"), choices=DonationKind.choices)
    amount = forms.CharField(label=_("金额（元）"), required=False, max_length=30)
    goods_description = forms.CharField(label=_("物资名称"), required=False, max_length=200)
    quantity = forms.IntegerField(
        label=_("数量"), required=False, min_value=1, max_value=QUANTITY_MAX
    )
    unit = forms.CharField(label=_("单位"), required=False, max_length=20)
    estimated_value = forms.CharField(label=_("物资估值（元）"), required=False, max_length=30)
    received_on = forms.DateField(label=_("接收日期"), widget=DATE)
    receipt_no = forms.CharField(label=_("捐赠票据号"), required=False, max_length=40)
    purpose: forms.ModelChoiceField[Term] = forms.ModelChoiceField(
        label=_("指定用途"), queryset=Term.objects.none(), required=False
    )
    purpose_text = forms.CharField(label=_("用途说明"), required=False, max_length=200)
    note = forms.CharField(label=_("备注"), required=False, max_length=2000)

    def __init__(self, *args: Any, donors: Any, purposes: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["donor"].queryset = donors  # type: ignore[attr-defined]
        self.fields["purpose"].queryset = purposes  # type: ignore[attr-defined]

    def amounts(self) -> dict[str, int]:
        """Fen from the yuan fields (raises ValidationFailed with `money.*` codes)."""
        data = self.cleaned_data
        if data["kind"] == DonationKind.MONEY:
            return {"amount_fen": parse_yuan(data.get("amount") or "", field="amount")}
        value = data.get("estimated_value") or ""
        return {"estimated_value_fen": parse_yuan(value, field="estimated_value") if value else 0}


class GoodsDonationForm(DonationForm):
    """Goods given straight to a store (no fund, no purpose)."""

    def __init__(self, *args: Any, donors: Any, **kwargs: Any) -> None:
        super().__init__(*args, donors=donors, purposes=Term.objects.none(), **kwargs)
        for name in ("kind", "amount", "purpose", "purpose_text"):
            del self.fields[name]
        for name in ("goods_description", "quantity", "unit"):
            self.fields[name].required = True

    def amounts(self) -> dict[str, int]:
        value = self.cleaned_data.get("estimated_value") or ""
        return {"estimated_value_fen": parse_yuan(value, field="estimated_value") if value else 0}


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=500, min_length=1)


class StoreForm(forms.Form):
    region = RegionField(label=_("所属乡镇（街道）或村（社区）"), queryset=Region.objects.none())
    name = forms.CharField(label=_("名称"), max_length=200)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    # Offered by the view: the organisations of the user's scope (selectors.organization_choices).
    operator = forms.ModelChoiceField(
        label=_("运营机构"), queryset=Organization.objects.none(), required=False
    )
    opening_hours = forms.CharField(label=_("开放时间"), max_length=200, required=False)
    active = forms.BooleanField(label=_("开放中"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        organizations: Any,
        regions: Any = None,
        editing: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = organizations  # type: ignore[attr-defined]
        if editing:
            del self.fields["region"]
        else:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class ItemForm(forms.Form):
    name = forms.CharField(label=_("物品名称"), max_length=100)
    unit = forms.CharField(label=_("单位"), max_length=20)
    points_price = forms.IntegerField(label=_("兑换积分"), min_value=1, max_value=POINTS_MAX)
    stock = forms.IntegerField(label=_("初始库存"), min_value=0, max_value=QUANTITY_MAX, initial=0)
    active = forms.BooleanField(label=_("上架"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Stock is never typed in: it changes through 补货 (and redemption, later).
            del self.fields["stock"]


class RestockForm(forms.Form):
    quantity = forms.IntegerField(label=_("补货数量"), min_value=1, max_value=QUANTITY_MAX)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
