from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.core.bounds import STAFF_MAX
from wushe.core.errors import DomainError
from wushe.regions import codes
from wushe.taxonomy.models import Vocabulary
from wushe.taxonomy.selectors import terms

from .models import Grade, GradeState, LegalStatus, OrgKind
from .selectors import OrganizationFilter

_ALL = ("", _("全部"))


def _term_choices(vocabulary: str) -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in terms(vocabulary)]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class DateInput(forms.DateInput):
    input_type = "date"


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或信用代码"), required=False, max_length=100)
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    legal_status = forms.ChoiceField(
        label=_("登记状态"), required=False, choices=[_ALL, *LegalStatus.choices]
    )
    org_kind = forms.ChoiceField(
        label=_("组织类型"), required=False, choices=[_ALL, *OrgKind.choices]
    )
    category = forms.ChoiceField(label=_("组织类别"), required=False)
    grade = forms.ChoiceField(label=_("评估等级"), required=False, choices=[_ALL, *Grade.choices])
    grade_state = forms.ChoiceField(
        label=_("等级有效期"), required=False, choices=[_ALL, *GradeState.choices]
    )
    is_hub = forms.ChoiceField(
        label=_("枢纽型"), required=False, choices=[_ALL, ("yes", _("是")), ("no", _("否"))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "category", [_ALL, *_term_choices(Vocabulary.ORG_CATEGORY)])

    def to_filter(self) -> OrganizationFilter | None:
        """The selector filter for valid input (no input: no filter); None when invalid."""
        if not self.is_bound:
            return OrganizationFilter()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        region = ""
        if data["region"]:
            try:
                region = codes.significant_prefix(codes.normalize(data["region"]))
            except DomainError as exc:
                self.add_error("region", str(exc.message))
                return None
        return OrganizationFilter(
            region=region,
            legal_status=data["legal_status"],
            org_kind=data["org_kind"],
            category=data["category"],
            grade=data["grade"],
            grade_state=data["grade_state"],
            is_hub={"yes": True, "no": False}.get(data["is_hub"]),
            q=data["q"],
        )


class OrganizationForm(forms.Form):
    """Facts of an organisation. Region and coverage are typed as codes or names and resolved
    by the view; official facts are disabled for users who may not change them."""

    name = forms.CharField(label=_("组织名称"), max_length=200)
    legal_status = forms.ChoiceField(
        label=_("登记状态"), choices=LegalStatus.choices, initial=LegalStatus.FILED
    )
    org_kind = forms.ChoiceField(label=_("组织类型"), choices=OrgKind.choices)
    region = forms.CharField(
        label=_("登记（备案）机关区划"),
        max_length=60,
        help_text=_("填写区划名称或 12 位代码，例如“硖石街道”或 330481001000。"),
    )
    coverage = forms.CharField(
        label=_("服务社区"),
        required=False,
        max_length=2000,
        help_text=_("多个用顿号或空格分隔，可写名称或区划代码。"),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        required=False,
        max_length=30,
        help_text=_("已登记的组织必填；备案的组织不填。"),
    )
    filing_number = forms.CharField(label=_("备案编号"), required=False, max_length=50)
    category = forms.ChoiceField(label=_("组织类别"), required=False)
    service_categories = forms.MultipleChoiceField(
        label=_("服务领域"), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_hub = forms.BooleanField(label=_("枢纽型社会组织"), required=False)
    is_charity = forms.BooleanField(label=_("认定慈善组织"), required=False)
    is_social_work_agency = forms.BooleanField(label=_("社会工作服务机构"), required=False)
    has_party_org = forms.BooleanField(label=_("已建立党组织"), required=False)
    legal_representative = forms.CharField(
        label=_("法定代表人（负责人）"), required=False, max_length=50
    )
    contact_name = forms.CharField(label=_("联系人"), required=False, max_length=50)
    contact_title = forms.CharField(label=_("联系人职务"), required=False, max_length=50)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=30,
        help_text=_("手机号码加密保存；修改时不填表示保持原号码。"),
    )
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    founded_on = forms.DateField(label=_("成立日期"), required=False, widget=DateInput)
    registered_on = forms.DateField(label=_("登记日期"), required=False, widget=DateInput)
    filed_on = forms.DateField(label=_("备案日期"), required=False, widget=DateInput)
    staff_full_time = forms.IntegerField(
        label=_("专职人员"), min_value=0, max_value=STAFF_MAX, initial=0
    )
    staff_part_time = forms.IntegerField(
        label=_("兼职人员"), min_value=0, max_value=STAFF_MAX, initial=0
    )
    staff_social_workers = forms.IntegerField(
        label=_("持证社工"), min_value=0, max_value=STAFF_MAX, initial=0
    )
    description = forms.CharField(
        label=_("简介"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        editing: bool = False,
        official: bool = True,
        official_fields: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "category", [("", "—"), *_term_choices(Vocabulary.ORG_CATEGORY)])
        _set_choices(self, "service_categories", _term_choices(Vocabulary.SERVICE_CATEGORY))
        if editing:
            # The status changes only through the lifecycle buttons on the detail page.
            del self.fields["legal_status"]
        if not official:
            for name in official_fields:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].required = False


class RegisterForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    registered_on = forms.DateField(label=_("登记日期"), required=False, widget=DateInput)


class FileForm(forms.Form):
    filing_number = forms.CharField(label=_("备案编号"), required=False, max_length=50)
    filed_on = forms.DateField(label=_("备案日期"), required=False, widget=DateInput)


class DeregisterForm(forms.Form):
    deregistered_on = forms.DateField(label=_("注销日期"), required=False, widget=DateInput)
    reason = forms.CharField(label=_("注销原因"), required=False, max_length=200)


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("评估等级"), choices=Grade.choices)
    awarded_on = forms.DateField(label=_("评定日期"), widget=DateInput)
    expires_on = forms.DateField(
        label=_("有效期至"),
        required=False,
        widget=DateInput,
        help_text=_("不填则按评定日期起五年计算。"),
    )
