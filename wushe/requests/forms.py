from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.accounts.roles import Role
from wushe.accounts.scoping import grants_of
from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary
from wushe.taxonomy.selectors import terms

from .models import Channel, FollowUpOutcome, Urgency

BUCKET_LABELS = {
    "submitted": _("待受理"),
    "accepted": _("待派单"),
    "working": _("办理中"),
    "resolved": _("待确认"),
    "overdue": _("已逾期"),
    "escalated": _("已升级"),
    "supervised": _("督办中"),
    "closed": _("已办结"),
}


def show_errors(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc, {"resident": "resident_id"})


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from the phone's camera or album; content is checked by the service
    (wushe.core.images), not here."""

    widget = MultipleFileInput(
        attrs={"accept": "image/*", "capture": "environment", "multiple": True}
    )

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def community_choices(user: Any) -> list[tuple[str, str]]:
    """Communities a resident's grants name (usually one)."""
    wanted = sorted(
        {
            g.region_code
            for g in grants_of(user)
            if g.role == Role.RESIDENT and g.region_code is not None
        }
    )
    return [(r.code, r.name) for r in Region.objects.filter(code__in=wanted).order_by("code")]


class SubmitForm(forms.Form):
    """我要求助: a resident on a phone (category, words, photos); workers also pick the
    channel and the community."""

    category = forms.ModelChoiceField(
        label=_("需要什么帮助"),
        queryset=Term.objects.none(),
        to_field_name="code",
        empty_label=None,
        widget=forms.RadioSelect(attrs={"class": "req-choices"}),
    )
    description = forms.CharField(
        label=_("请描述您的情况"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("例如：家中水管漏水，需要维修。")}
        ),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect(attrs={"class": "req-choices"}),
    )
    address = forms.CharField(label=_("地址（可选）"), max_length=200, required=False)
    photos = PhotosField(label=_("照片（可拍照上传，最多 9 张）"), required=False)
    region = forms.ChoiceField(label=_("所在社区"), choices=())
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices, required=False)
    external_id = forms.CharField(
        label=_("外部编号（如 12345 工单号）"), max_length=64, required=False
    )
    resident_id = forms.IntegerField(label=_("居民档案编号（可选）"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, user: Any, worker: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.worker = worker
        self.fields["category"].queryset = terms(Vocabulary.REQUEST_CATEGORY)  # type: ignore[attr-defined]
        if worker:
            self.fields["region"] = forms.CharField(
                label=_("社区区划代码"), max_length=12, help_text=_("12 位代码，如 330481001007")
            )
            self.fields["channel"].initial = Channel.PHONE
        else:
            choices = community_choices(user)
            self.fields["region"].choices = choices  # type: ignore[attr-defined]
            if len(choices) == 1:
                self.fields["region"].initial = choices[0][0]
                self.fields["region"].widget = forms.HiddenInput()
            for name in ("channel", "external_id", "resident_id"):
                del self.fields[name]

    def clean_region(self) -> str:
        raw = self.cleaned_data["region"]
        try:
            return codes.normalize(raw)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect(attrs={"class": "req-choices"}),
    )
    comment = forms.CharField(
        label=_("评价（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MergeForm(forms.Form):
    target = forms.CharField(label=_("合并到（诉求编号）"), max_length=24)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ResolveForm(forms.Form):
    result = forms.CharField(
        label=_("办理结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=_("办结照片（可选）"), required=False)


class SuperviseForm(forms.Form):
    note = forms.CharField(label=_("督办意见"), max_length=500, required=False)
    due_at = forms.DateTimeField(
        label=_("督办期限（可选）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("回访结果"),
        choices=FollowUpOutcome.choices,
        widget=forms.RadioSelect(attrs={"class": "req-choices"}),
    )
    satisfied = forms.TypedChoiceField(
        label=_("居民是否满意"),
        required=False,
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        choices=[("", _("未知")), ("yes", _("满意")), ("no", _("不满意"))],
    )
    note = forms.CharField(
        label=_("回访记录"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DispatchForm(forms.Form):
    handlers = forms.MultipleChoiceField(
        label=_("承办方"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )
    department = forms.CharField(label=_("或派给职能部门（名称）"), max_length=100, required=False)
    note = forms.CharField(label=_("派单说明"), max_length=500, required=False)

    def __init__(self, *args: Any, options: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handlers"].choices = [  # type: ignore[attr-defined]
            (f"{o.type}:{o.id}", o.name) for o in options
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("handlers") and not (data.get("department") or "").strip():
            raise forms.ValidationError(_("请选择至少一个承办方，或填写职能部门。"))
        return data


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), *BUCKET_LABELS.items()],
    )
    category = forms.ModelChoiceField(
        label=_("诉求类别"),
        required=False,
        queryset=Term.objects.none(),
        to_field_name="code",
        empty_label=_("全部"),
    )
    community = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    q = forms.CharField(label=_("编号或内容"), required=False, max_length=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = terms(Vocabulary.REQUEST_CATEGORY)  # type: ignore[attr-defined]

    def clean_community(self) -> str:
        raw = self.cleaned_data["community"]
        if not raw:
            return ""
        try:
            return codes.significant_prefix(codes.normalize(raw))
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
