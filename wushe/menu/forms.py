from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.core.bounds import CAPACITY_MAX, PRICE_FEN_MAX
from wushe.residents.models import Tag
from wushe.taxonomy.models import Vocabulary
from wushe.taxonomy.selectors import terms

from .models import Audience, Period, ProviderKind


class OrderForm(forms.Form):
    service_date = forms.DateField(
        label=_("希望服务日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("备注（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("例如：上午在家，请先电话联系。")}
        ),
    )
    resident_id = forms.IntegerField(label=_("居民档案编号（代居民点单）"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, on_behalf: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        if not on_behalf:
            del self.fields["resident_id"]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect(attrs={"class": "menu-choices"}),
    )
    comment = forms.CharField(
        label=_("评价（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("服务时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class DeliverForm(forms.Form):
    note = forms.CharField(label=_("服务记录（可选）"), max_length=500, required=False)


class YuanField(forms.CharField):
    """An amount typed in yuan (e.g. 12.50), cleaned to integer fen."""

    def clean(self, value: Any) -> int:
        raw = str(super().clean(value) or "0").strip()
        try:
            amount = Decimal(raw)
        except InvalidOperation as exc:
            raise forms.ValidationError(_("请输入金额，如 12.50。")) from exc
        if amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise forms.ValidationError(_("金额应为不小于 0 的数，最多两位小数。"))
        if amount * 100 > PRICE_FEN_MAX:
            raise forms.ValidationError(
                _("金额不能超过 %(max)s 元。") % {"max": PRICE_FEN_MAX // 100}
            )
        return int(amount * 100)


class OfferingForm(forms.Form):
    provider = forms.ChoiceField(label=_("服务提供方"))
    region = forms.ChoiceField(label=_("服务区域"))
    category = forms.ChoiceField(label=_("服务类别"))
    title = forms.CharField(label=_("服务名称"), max_length=100)
    description = forms.CharField(
        label=_("服务内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    audience = forms.ChoiceField(label=_("服务对象"), choices=Audience.choices)
    eligible_tags = forms.MultipleChoiceField(
        label=_("限定困难群体"),
        choices=Tag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "menu-choices"}),
    )
    price = YuanField(label=_("居民支付（元，0 为免费）"), initial="0", required=False)
    subsidy = YuanField(label=_("财政补贴（元）"), initial="0", required=False)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=CAPACITY_MAX, initial=10)
    period = forms.ChoiceField(label=_("名额周期"), choices=Period.choices, initial=Period.WEEK)
    schedule = forms.CharField(
        label=_("服务时间"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如：每周二、周四上午 9:00–11:00")}),
    )
    location = forms.CharField(label=_("服务地点"), max_length=200, required=False)
    available_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    available_until = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        providers: list[tuple[str, str]],
        regions: list[tuple[str, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["provider"]).choices = providers
        cast(forms.ChoiceField, self.fields["region"]).choices = regions
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            (t.code, t.label) for t in terms(Vocabulary.SERVICE_CATEGORY)
        ]
        if editing:
            del self.fields["provider"]
            del self.fields["region"]


def provider_value(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def parse_provider(value: str) -> tuple[str, int] | None:
    kind, _sep, pk = value.partition(":")
    if kind in ProviderKind.values and pk.isdigit():
        return kind, int(pk)
    return None
