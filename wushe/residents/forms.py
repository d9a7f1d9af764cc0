"""Forms of the residents pages. They only shape input; the services validate it (ID numbers,
scope, tags) and the views put a service's error messages back on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.privacy.models import ConsentMethod, ConsentPurpose

from .models import (
    DisabilityCategory,
    DisabilityGrade,
    Hukou,
    LivingArrangement,
    Relation,
    ResidentStatus,
    Tag,
    TagSource,
)

# ISO format: a type="date" input ignores any other (zh-Hans would render 2024/01/05).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _set_region_choices(form: forms.Form, choices: list[tuple[str, str]] | None) -> None:
    """A select of the user's communities, or a code field when the scope is too large."""
    if choices is None:
        form.fields["region"] = forms.CharField(
            label=_("所属社区"),
            max_length=12,
            help_text=_("填写社区（村）的 12 位区划代码。"),
        )
    else:
        form.fields["region"].choices = choices  # type: ignore[attr-defined]


class ResidentFilterForm(forms.Form):
    region = forms.CharField(label=_("社区或乡镇（街道）"), required=False, max_length=12)
    name = forms.CharField(
        label=_("姓名"),
        required=False,
        max_length=50,
        help_text=_("从姓开始输入，如“王”或“王秀”。"),
    )
    id_number = forms.CharField(label=_("身份证号（完整）"), required=False, max_length=30)
    phone = forms.CharField(label=_("手机号码（完整）"), required=False, max_length=20)
    tag = forms.ChoiceField(label=_("困难群体标签"), required=False)
    age_min = forms.IntegerField(label=_("年龄从"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("年龄到"), required=False, min_value=0, max_value=150)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[*ResidentStatus.choices, ("all", _("全部"))],
        initial=ResidentStatus.ACTIVE,
    )

    def __init__(
        self,
        *args: Any,
        region_choices: list[tuple[str, str]] | None = None,
        tag_choices: list[tuple[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if region_choices is not None:
            self.fields["region"] = forms.ChoiceField(
                label=_("社区或乡镇（街道）"),
                required=False,
                choices=_blank(_("全部"), region_choices),
            )
        self.fields["tag"].choices = _blank(_("全部"), tag_choices or Tag.choices)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("年龄上限不能小于下限。"))
        return data


class ResidentForm(forms.Form):
    region = forms.ChoiceField(label=_("所属社区"))
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        help_text=_("18 位；旧版 15 位号码会自动升级；外国人永久居留身份证以 9 开头。"),
    )
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    household_number = forms.CharField(
        label=_("户号"),
        max_length=30,
        required=False,
        help_text=_("填写本社区已有的户号即归入该户；新户号会自动建户。"),
    )
    relation_to_head = forms.ChoiceField(
        label=_("与户主关系"), required=False, choices=_blank("—", Relation.choices)
    )
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    hukou = forms.ChoiceField(label=_("户籍类型"), choices=Hukou.choices)
    living_arrangement = forms.ChoiceField(
        label=_("居住状况"), required=False, choices=_blank("—", LivingArrangement.choices)
    )
    ethnicity = forms.CharField(label=_("民族"), max_length=20, required=False)
    notes = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        region_choices: list[tuple[str, str]] | None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_region_choices(self, region_choices)
        if editing:
            # Sealed values are never put back into a form: empty means "unchanged".
            for name in ("id_number", "phone"):
                self.fields[name].required = False
                self.fields[name].help_text = _("不修改请留空（当前值已脱敏显示）。")


class ConsentFieldsMixin(forms.Form):
    consent_given_on = forms.DateField(label=_("同意日期"), required=False, widget=DATE)
    consent_method = forms.ChoiceField(
        label=_("同意方式"), choices=ConsentMethod.choices, initial=ConsentMethod.WRITTEN
    )
    guardian_name = forms.CharField(
        label=_("监护人姓名"),
        max_length=50,
        required=False,
        help_text=_("不满十四周岁的未成年人须由监护人同意。"),
    )
    guardian_relation = forms.CharField(label=_("监护人关系"), max_length=20, required=False)


class ResidentCreateForm(ResidentForm, ConsentFieldsMixin):
    """Registering a resident, with the registry consent (建档登记) taken at the same time."""


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("用途"), choices=ConsentPurpose.choices)
    given_on = forms.DateField(label=_("同意日期"), widget=DATE)
    method = forms.ChoiceField(
        label=_("同意方式"), choices=ConsentMethod.choices, initial=ConsentMethod.WRITTEN
    )
    scope = forms.CharField(label=_("范围说明"), max_length=200, required=False)
    guardian_name = forms.CharField(label=_("监护人姓名"), max_length=50, required=False)
    guardian_relation = forms.CharField(label=_("监护人关系"), max_length=20, required=False)


class TagForm(forms.Form):
    tag = forms.ChoiceField(label=_("标签"), choices=Tag.choices)
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    source = forms.ChoiceField(
        label=_("来源"), choices=TagSource.choices, initial=TagSource.COMMUNITY_SURVEY
    )
    disability_category = forms.ChoiceField(
        label=_("残疾类别（仅残疾人）"),
        required=False,
        choices=_blank("—", DisabilityCategory.choices),
    )
    disability_grade = forms.ChoiceField(
        label=_("残疾等级（仅残疾人）"),
        required=False,
        choices=_blank("—", DisabilityGrade.choices),
    )
    notes = forms.CharField(label=_("说明"), max_length=200, required=False)


class TagEndForm(forms.Form):
    end_date = forms.DateField(label=_("结束日期"), widget=DATE)


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(label=_("迁出日期"), widget=DATE)
    destination = forms.CharField(label=_("迁往"), max_length=200, required=False)


class HouseholdForm(forms.Form):
    region = forms.ChoiceField(label=_("所属社区"))
    number = forms.CharField(label=_("户号"), max_length=30)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)

    def __init__(
        self, *args: Any, region_choices: list[tuple[str, str]] | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_region_choices(self, region_choices)
