from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class AuditSearchForm(forms.Form):
    since = forms.DateTimeField(
        label=_("起始时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("截止时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    actor = forms.CharField(label=_("操作人账号"), required=False, max_length=150)
    action = forms.CharField(label=_("事件（可填前缀）"), required=False, max_length=100)
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    outcome = forms.ChoiceField(
        label=_("结果"),
        required=False,
        choices=[("", _("全部")), *AuditEvent.Outcome.choices],
    )
