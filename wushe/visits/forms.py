from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.residents.models import Tag
from wushe.taxonomy.models import Term, Vocabulary
from wushe.taxonomy.selectors import terms

from .models import Frequency, Method, RiskLevel, Situation, VisitorKind

BUCKET_LABELS = {
    "week": _("7日内到期"),
    "overdue": _("已逾期"),
    "pending": _("本期待探访"),
    "all": _("全部对象"),
}


FOLLOW_UP_CHOICES = [
    ("", _("无")),
    ("request", _("转为诉求，交社区办理")),
    ("need", _("登记到需求库")),
]


def show_errors(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc, {"visitor": "visitor_id", "resident": "resident_id"})


class Choices(forms.RadioSelect):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attrs.setdefault("class", "vis-choices")


class VisitForm(forms.Form):
    method = forms.ChoiceField(
        label=_("探访方式"), choices=Method.choices, initial=Method.HOME, widget=Choices
    )
    situation = forms.ChoiceField(
        label=_("探访情况"), choices=Situation.choices, initial=Situation.NORMAL, widget=Choices
    )
    visited_at = forms.DateTimeField(
        label=_("探访时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    findings = forms.CharField(
        label=_("探访记录"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("身体、居住、生活照料、精神状况等；不要写身份证号或电话。"),
    )
    follow_up = forms.ChoiceField(
        label=_("发现需求"),
        choices=FOLLOW_UP_CHOICES,
        required=False,
        initial="",
        widget=Choices,
    )
    category = forms.ModelChoiceField(
        label=_("诉求类别"), queryset=Term.objects.none(), required=False
    )
    need_category = forms.ModelChoiceField(
        label=_("服务类别（需求库）"), queryset=Term.objects.none(), required=False
    )
    request_description = forms.CharField(
        label=_("需求说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = terms(Vocabulary.REQUEST_CATEGORY)
        need_category = self.fields["need_category"]
        assert isinstance(need_category, forms.ModelChoiceField)
        need_category.queryset = terms(Vocabulary.SERVICE_CATEGORY)
        if not self.is_bound:
            self.initial.setdefault(
                "visited_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        follow_up = data.get("follow_up")
        if follow_up == "request" and not data.get("category"):
            self.add_error("category", _("请选择诉求类别。"))
        if follow_up == "need" and not data.get("need_category"):
            self.add_error("need_category", _("请选择服务类别。"))
        if follow_up and not (data.get("request_description") or "").strip():
            self.add_error("request_description", _("请写明需求。"))
        return data


class AssignForm(forms.Form):
    visitor_id = forms.TypedChoiceField(
        label=_("探访责任人"), coerce=int, required=False, empty_value=None
    )
    grid_worker = forms.BooleanField(label=_("以网格员身份探访"), required=False)

    def __init__(self, *args: Any, visitors: list[tuple[int, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from wushe.accounts.roles import Role

        field = self.fields["visitor_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("（不指定）"))] + [
            (uid, f"{name}（{Role(role).label}）") for uid, name, role in visitors
        ]

    def kind(self) -> str:
        return VisitorKind.GRID_WORKER if self.cleaned_data.get("grid_worker") else ""


class EndForm(forms.Form):
    reason = forms.CharField(label=_("退出原因"), max_length=200)


class EnrolForm(forms.Form):
    resident_id = forms.IntegerField(label=_("居民档案编号"), min_value=1)
    risk_level = forms.ChoiceField(
        label=_("风险等级"), choices=RiskLevel.choices, initial=RiskLevel.MEDIUM
    )
    note = forms.CharField(label=_("纳入原因"), max_length=200, required=False)


class RuleForm(forms.Form):
    region = forms.CharField(label=_("区划代码"), max_length=12)
    tag = forms.ChoiceField(label=_("困难群体标签"), choices=Tag.choices)
    risk_level = forms.ChoiceField(label=_("风险等级"), choices=RiskLevel.choices)
    severe_only = forms.BooleanField(label=_("仅一、二级重度残疾"), required=False)
    active = forms.BooleanField(label=_("纳入探访"), required=False, initial=True)


class FrequencyForm(forms.Form):
    region = forms.CharField(label=_("区划代码"), max_length=12)
    risk_level = forms.ChoiceField(label=_("风险等级"), choices=RiskLevel.choices)
    frequency = forms.ChoiceField(label=_("探访频次"), choices=Frequency.choices)


class OverrideForm(forms.Form):
    region = forms.CharField(label=_("区划代码"), max_length=12)
    frequency = forms.ChoiceField(
        label=_("期间探访频次"), choices=Frequency.choices, initial=Frequency.WEEKLY
    )
    starts_on = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=_("原因"), max_length=200, help_text=_("如：寒潮预警、高温天气、春节期间。")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", today + timedelta(days=6))
