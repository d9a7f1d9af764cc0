from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.core.bounds import DAYS_MAX, POINTS_MAX, RATE_MAX
from wushe.regions.models import Region

from .models import Account, GiftPolicy, Scheme, SchemeKind


class MoveForm(forms.Form):
    """Gift to a relative or donate to the community pool, from the page. The hidden key makes
    a double submit (or a retry after a lost answer) one transfer."""

    kind = forms.ChoiceField(
        label=_("操作"), choices=[("donate", _("捐入社区公益池")), ("gift", _("转赠亲属"))]
    )
    target = forms.ModelChoiceField(
        label=_("转赠给"), queryset=Account.objects.none(), required=False
    )
    amount = forms.DecimalField(label=_("数量"), min_value=0, decimal_places=2, max_digits=12)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, targets: list[Account], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"key": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Account.objects.filter(pk__in=[a.pk for a in targets])


class RedeemForm(forms.Form):
    """Redeem points for a charity-store item; the hidden key makes a double submit one
    redemption."""

    item = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=99, initial=1)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"key": uuid.uuid4().hex, "quantity": 1})
        super().__init__(*args, **kwargs)


class SchemeForm(forms.Form):
    """A scheme's rules, in hours (coins) or points as the user reads them."""

    name = forms.CharField(label=_("名称"), max_length=100)
    earn_per_hour = forms.IntegerField(
        label=_("每服务小时存入（时间币方案为 60 分钟，即 1 个时间币）"),
        min_value=1,
        max_value=POINTS_MAX,
    )
    daily_earn_cap = forms.IntegerField(
        label=_("每日存入上限（单位同上，留空为不限）"),
        min_value=1,
        max_value=POINTS_MAX,
        required=False,
    )
    storage_cap = forms.IntegerField(
        label=_("个人存储上限（单位同上，留空为不限；超出部分捐入社区公益池）"),
        min_value=1,
        max_value=POINTS_MAX,
        required=False,
    )
    redeem_min_age = forms.IntegerField(label=_("兑换年龄下限（周岁）"), min_value=0, max_value=120)
    gift_policy = forms.ChoiceField(label=_("转赠范围"), choices=GiftPolicy.choices)
    expiry_days = forms.IntegerField(
        label=_("有效期（天，留空为长期有效）"), min_value=1, max_value=DAYS_MAX, required=False
    )
    active = forms.BooleanField(label=_("启用"), required=False)


class RateForm(forms.Form):
    target = forms.ModelChoiceField(label=_("兑换为"), queryset=Scheme.objects.none())
    numerator = forms.IntegerField(label=_("比率分子"), min_value=1, max_value=RATE_MAX)
    denominator = forms.IntegerField(label=_("比率分母"), min_value=1, max_value=RATE_MAX)

    def __init__(self, *args: Any, targets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = targets


class SchemeCreateForm(forms.Form):
    region = forms.ModelChoiceField(label=_("适用区域"), queryset=Region.objects.none())
    code = forms.SlugField(label=_("方案代码"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("单位"), choices=SchemeKind.choices)

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions
