from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.accounts.models import User
from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import scope_q
from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary
from wushe.taxonomy.selectors import terms

from .models import CheckinStatus

DATE = forms.DateInput(attrs={"type": "date"})
REGION_OPTIONS_CAP = 400


def show_errors(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc)


class CheckinFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名、单位或党组织"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *CheckinStatus.choices]
    )
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    category = forms.ModelChoiceField(
        label=_("可参与的服务类别"),
        required=False,
        queryset=Term.objects.none(),
        to_field_name="code",
        empty_label=_("全部"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = terms(Vocabulary.REQUEST_CATEGORY)  # type: ignore[attr-defined]

    def clean_region(self) -> str:
        raw = self.cleaned_data["region"]
        if not raw:
            return ""
        try:
            return codes.significant_prefix(codes.normalize(raw))
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


class CheckinForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    work_unit = forms.CharField(label=_("工作单位"), max_length=100)
    party_organization = forms.CharField(label=_("所在党组织"), max_length=100)
    region = forms.CharField(
        label=_("报到社区"),
        max_length=12,
        help_text=_("社区（村）的 12 位区划代码。"),
        widget=forms.TextInput(attrs={"list": "region-options", "inputmode": "numeric"}),
    )
    reported_on = forms.DateField(label=_("报到日期"), widget=DATE)
    categories = forms.ModelMultipleChoiceField(
        label=_("可参与的服务类别"),
        required=False,
        queryset=Term.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("诉求办理时，可认领这些类别的居民诉求。"),
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("特长技能"),
        required=False,
        queryset=Term.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    username = forms.CharField(label=_("平台账号（用户名）"), max_length=150, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["categories"].queryset = terms(Vocabulary.REQUEST_CATEGORY)  # type: ignore[attr-defined]
        self.fields["skills"].queryset = terms(Vocabulary.SKILL)  # type: ignore[attr-defined]
        self.region_options = list(
            Region.objects.filter(scope_q(user, "code", WRITER_ROLES), level=5)
            .only("code", "name")
            .order_by("code")[:REGION_OPTIONS_CAP]
        )
        if editing:
            for name in ("id_number", "phone"):
                field = self.fields[name]
                field.required = False
                field.help_text = _("已加密保存。留空表示不修改；填写则替换为新号码。")

    def clean_username(self) -> int | None:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("平台账号不存在。"))
        return int(user.pk)

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["categories"] = [t.pk for t in data["categories"]]
        data["skills"] = [t.pk for t in data["skills"]]
        data["user"] = data.pop("username")
        if self.editing:
            for name in ("id_number", "phone"):
                if not data[name]:
                    data.pop(name)
        return data


class CheckinEndForm(forms.Form):
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE)
