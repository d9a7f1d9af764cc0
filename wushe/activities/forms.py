from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.regions.models import Region


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=200)
    region = forms.ModelChoiceField(label=_("活动社区"), queryset=Region.objects.none())
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(label=_("活动内容"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class SignOutForm(forms.Form):
    travel_minutes = forms.IntegerField(
        label=_("路途时间（分钟，不计入服务时长）"), min_value=0, max_value=600, initial=0
    )
