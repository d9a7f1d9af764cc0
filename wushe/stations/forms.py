from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import scope_q
from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.regions.models import Region

from .models import KIND_LEVELS, StationKind

REGION_OPTIONS_CAP = 400


def show_errors(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc)


def region_options(user: Any, levels: frozenset[int]) -> list[Region]:
    """Regions of the given levels the user may write to, for the input's suggestion list
    (capped: a province-wide user types the code instead)."""
    return list(
        Region.objects.filter(scope_q(user, "code", WRITER_ROLES), level__in=levels)
        .only("code", "name", "short_name")
        .order_by("code")[:REGION_OPTIONS_CAP]
    )


def organization_choices(user: Any, current: int | None = None) -> Any:
    """Organisations registered in the user's scope, plus the one already chosen (only pk,
    name and region of Organization are used)."""
    visible = scope_q(user, "region", WRITER_ROLES)
    if current is not None:
        visible = visible | Q(pk=current) if visible else Q()
    return Organization.objects.filter(visible).only("pk", "name").order_by("name")


class StationFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或地址"), required=False, max_length=50)
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部")), *StationKind.choices]
    )
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("1", _("运营中")), ("0", _("已停用"))],
    )
    understaffed = forms.BooleanField(label=_("驻站社工不足 2 人的社工站"), required=False)

    def clean_region(self) -> str:
        raw = self.cleaned_data["region"]
        if not raw:
            return ""
        try:
            return codes.significant_prefix(codes.normalize(raw))
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


class StationForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=StationKind.choices)
    name = forms.CharField(label=_("名称"), max_length=100)
    region = forms.CharField(
        label=_("所属区划"),
        max_length=12,
        help_text=_(
            "填写区划代码（9 位或 12 位）。社工站设在乡镇（街道），志愿服务站点设在社区（村），"
            "孵化基地设在县（市、区）或乡镇（街道）。"
        ),
        widget=forms.TextInput(attrs={"list": "region-options", "inputmode": "numeric"}),
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    operator = forms.ModelChoiceField(
        label=_("运营机构"), queryset=Organization.objects.none(), required=False
    )
    service_area_m2 = forms.DecimalField(
        label=_("服务面积（平方米）"),
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
    )
    phone = forms.CharField(
        label=_("服务电话"),
        max_length=30,
        required=False,
        help_text=_("站点对外公开的电话，不填个人手机。"),
    )
    opened_on = forms.DateField(
        label=_("启用日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_on = forms.DateField(
        label=_("停用日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    active = forms.BooleanField(label=_("运营中"), required=False, initial=True)

    def __init__(
        self, *args: Any, user: Any, operator_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        operators = organization_choices(user, operator_id)
        self.fields["operator"].queryset = operators  # type: ignore[attr-defined]
        levels = frozenset().union(*KIND_LEVELS.values())
        self.region_options = region_options(user, levels)

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        operator = data.pop("operator")
        data["operator"] = operator.pk if operator else None
        return data
