from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error


class InboxFilterForm(forms.Form):
    unread = forms.TypedChoiceField(
        label=_("显示"),
        required=False,
        choices=[("", _("全部消息")), ("1", _("只看未读"))],
    )


class PreferenceForm(forms.Form):
    sms_enabled = forms.BooleanField(label=_("接收短信通知"), required=False)
    phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=20,
        help_text=_("留空表示不修改。号码加密保存，页面上只显示部分数字。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    clear_phone = forms.BooleanField(label=_("删除已保存的手机号码"), required=False)
    wechat_openid = forms.CharField(
        label=_("微信 OpenID"),
        required=False,
        max_length=64,
        help_text=_("关注平台公众号后获得；填写后通过微信模板消息接收通知，留空表示不接收。"),
    )

    def service_phone(self) -> str | None:
        """None keeps the stored phone, "" clears it."""
        if self.cleaned_data.get("clear_phone"):
            return ""
        phone = (self.cleaned_data.get("phone") or "").strip()
        return phone or None


def show_errors(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc)
