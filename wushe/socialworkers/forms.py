from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.accounts.models import User
from wushe.core.errors import DomainError
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.regions.codes import Level
from wushe.stations.forms import organization_choices, region_options, show_errors
from wushe.stations.models import ServiceStation
from wushe.stations.selectors import station_choices

from .models import CertificateLevel, EmploymentStatus
from .selectors import DUE_SOON, EDUCATION_SHORT, OVERDUE

__all__ = [
    "EducationForm",
    "RenewalForm",
    "SocialWorkerFilterForm",
    "SocialWorkerForm",
    "show_errors",
]

DATE = forms.DateInput(attrs={"type": "date"})
WARNING_CHOICES = [
    ("", _("全部")),
    (DUE_SOON, _("90 天内到期")),
    (OVERDUE, _("登记已逾期")),
    (EDUCATION_SHORT, _("继续教育学时不足")),
]


class SocialWorkerFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名或证书编号"), required=False, max_length=50)
    warning = forms.ChoiceField(label=_("提醒"), required=False, choices=WARNING_CHOICES)
    level = forms.ChoiceField(
        label=_("证书等级"), required=False, choices=[("", _("全部")), *CertificateLevel.choices]
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *EmploymentStatus.choices]
    )
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    resident = forms.ChoiceField(
        label=_("驻站"),
        required=False,
        choices=[("", _("全部")), ("1", _("驻站")), ("0", _("不驻站"))],
    )

    def clean_region(self) -> str:
        raw = self.cleaned_data["region"]
        if not raw:
            return ""
        try:
            return codes.significant_prefix(codes.normalize(raw))
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


class SocialWorkerForm(forms.Form):
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
    certificate_level = forms.ChoiceField(label=_("证书等级"), choices=CertificateLevel.choices)
    certificate_number = forms.CharField(label=_("证书编号"), max_length=40)
    certificate_date = forms.DateField(label=_("取得证书日期"), widget=DATE)
    registered_on = forms.DateField(
        label=_("首次登记日期"),
        required=False,
        widget=DATE,
        help_text=_("取得证书后 1 年内应首次登记，此后每 3 年延续登记。"),
    )
    region = forms.CharField(
        label=_("所属区划"),
        max_length=12,
        help_text=_("乡镇（街道）或社区（村）的区划代码。"),
        widget=forms.TextInput(attrs={"list": "region-options", "inputmode": "numeric"}),
    )
    employer = forms.ModelChoiceField(
        label=_("所在单位"), queryset=Organization.objects.none(), required=False
    )
    station = forms.ModelChoiceField(
        label=_("所属站点"), queryset=ServiceStation.objects.none(), required=False
    )
    resident_at_station = forms.BooleanField(label=_("驻站"), required=False)
    is_community_worker = forms.BooleanField(
        label=_("社区专职工作者"),
        required=False,
        help_text=_("持证的社区专职工作者（用于“社区专职工作者持证率”指标）。"),
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=EmploymentStatus.choices, initial=EmploymentStatus.ACTIVE
    )
    username = forms.CharField(
        label=_("平台账号（用户名）"),
        max_length=150,
        required=False,
        help_text=_("关联后，该社工登录平台可查看自己的记录。"),
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        editing: bool = False,
        employer_id: int | None = None,
        station_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["employer"].queryset = organization_choices(user, employer_id)  # type: ignore[attr-defined]
        stations = Q(pk__in=station_choices(user=user).values("pk"))
        if station_id is not None:
            stations |= Q(pk=station_id)
        self.fields["station"].queryset = (  # type: ignore[attr-defined]
            ServiceStation.objects.filter(stations).order_by("region_id", "kind", "name")
        )
        self.region_options = region_options(user, frozenset({Level.TOWNSHIP, Level.COMMUNITY}))
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
        employer, station = data.pop("employer"), data.pop("station")
        data["employer"] = employer.pk if employer else None
        data["station"] = station.pk if station else None
        data["user"] = data.pop("username")
        if self.editing:
            for name in ("id_number", "phone"):
                if not data[name]:
                    data.pop(name)
        return data


class RenewalForm(forms.Form):
    renewed_on = forms.DateField(label=_("延续登记日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class EducationForm(forms.Form):
    taken_on = forms.DateField(label=_("日期"), widget=DATE)
    hours = forms.DecimalField(
        label=_("学时"), min_value=0.1, max_value=200, max_digits=5, decimal_places=1
    )
    provider = forms.CharField(label=_("培训机构"), max_length=100)
    topic = forms.CharField(label=_("内容"), max_length=200)
