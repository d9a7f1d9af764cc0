from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import scope_q
from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.privacy.models import ConsentMethod
from wushe.regions.models import Region
from wushe.taxonomy.models import Vocabulary
from wushe.taxonomy.selectors import terms

from . import availability as slots
from .models import CoordSource, PoliticalStatus, TeamRole, VolunteerStatus

MAX_REGION_OPTIONS = 400
DAY_CHOICES = [("", _("不限"))] + [(str(i), d) for i, d in enumerate(slots.DAYS)]
PERIOD_CHOICES = [("", _("不限"))] + [(str(i), p) for i, p in enumerate(slots.PERIODS)]
SLOT_CHOICES = [
    (str(day * 3 + period), slots.DAYS[day] + slots.PERIODS[period])
    for day in range(len(slots.DAYS))
    for period in range(len(slots.PERIODS))
]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def region_choices(user: Any, *, levels: tuple[int, ...], writers: bool) -> list[tuple[str, str]]:
    """Regions of the given levels in the user's scope, for a <select>; [] when there are too
    many to list (province-wide users type a code instead)."""
    roles = WRITER_ROLES if writers else WORKER_ROLES
    qs = (
        Region.objects.filter(scope_q(user, "code", roles), level__in=levels)
        .order_by("code")
        .values_list("code", "name", "level")
    )
    rows = list(qs[: MAX_REGION_OPTIONS + 1])
    if len(rows) > MAX_REGION_OPTIONS:
        return []
    return [
        (code, ("　" if level == 5 and 4 in levels else "") + name) for code, name, level in rows
    ]


def skill_choices() -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in terms(Vocabulary.SKILL)]


def availability_rows(mask: int) -> list[dict[str, Any]]:
    """The 7×3 grid for templates: one row per day, one cell per period."""
    return [
        {
            "day": day_name,
            "cells": [
                {
                    "value": str(day * 3 + period),
                    "label": day_name + period_name,
                    "period": period_name,
                    "checked": slots.is_free(mask, day, period),
                }
                for period, period_name in enumerate(slots.PERIODS)
            ],
        }
        for day, day_name in enumerate(slots.DAYS)
    ]


def mask_from_slots(values: list[str]) -> int:
    return slots.mask_of(divmod(int(v), 3) for v in values)


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc, {"location": "latitude", "region_code": "region"})


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class VolunteerFilterForm(forms.Form):
    region = forms.CharField(label=_("社区 / 乡镇"), required=False, max_length=12)
    name = forms.CharField(label=_("姓名"), required=False, max_length=50)
    id_number = forms.CharField(label=_("身份证号（精确）"), required=False, max_length=40)
    skill = forms.ChoiceField(label=_("技能特长"), required=False)
    day = forms.ChoiceField(label=_("可服务日"), required=False, choices=DAY_CHOICES)
    period = forms.ChoiceField(label=_("时段"), required=False, choices=PERIOD_CHOICES)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *VolunteerStatus.choices]
    )
    team = forms.TypedChoiceField(label=_("队伍"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, user: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = region_choices(user, levels=(4, 5), writers=False)
        if choices:
            self.fields["region"] = forms.ChoiceField(
                label=_("社区 / 乡镇"), required=False, choices=[("", _("全部")), *choices]
            )
        _choice_field(self, "skill").choices = [("", _("不限")), *skill_choices()]
        _choice_field(self, "team").choices = [("", _("不限")), *teams]


class _PersonFields(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(label=_("手机号码"), required=False, max_length=30)
    region = forms.CharField(label=_("所属社区（区划代码）"), max_length=12)
    registered_on = forms.DateField(label=_("注册日期"), required=False, widget=DATE_INPUT)
    skills = forms.MultipleChoiceField(
        label=_("技能特长"), required=False, widget=forms.CheckboxSelectMultiple
    )
    availability = forms.MultipleChoiceField(
        label=_("可服务时间"), required=False, choices=SLOT_CHOICES
    )
    political_status = forms.ChoiceField(
        label=_("政治面貌"), required=False, choices=[("", _("未填写")), *PoliticalStatus.choices]
    )
    latitude = forms.DecimalField(label=_("纬度"), required=False, max_digits=10, decimal_places=7)
    longitude = forms.DecimalField(label=_("经度"), required=False, max_digits=11, decimal_places=7)
    coord_source = forms.ChoiceField(
        label=_("坐标系"), required=False, choices=CoordSource.choices, initial=CoordSource.WGS84
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = region_choices(user, levels=(5,), writers=True)
        if choices:
            self.fields["region"] = forms.ChoiceField(label=_("所属社区"), choices=choices)
        _choice_field(self, "skills").choices = skill_choices()


class VolunteerRegisterForm(_PersonFields):
    number = forms.CharField(
        label=_("志愿者编号"),
        required=False,
        max_length=32,
        help_text=_("已有编号的照填；不填则自动生成。"),
    )
    consent = forms.BooleanField(
        label=_("本人（不满十四周岁的由监护人）已签署个人信息处理知情同意书"),
        required=False,
    )
    consent_method = forms.ChoiceField(
        label=_("同意方式"), choices=ConsentMethod.choices, initial=ConsentMethod.WRITTEN
    )
    consent_given_on = forms.DateField(
        label=_("同意日期"), required=False, widget=DATE_INPUT, help_text=_("不填则同注册日期。")
    )
    guardian_name = forms.CharField(label=_("监护人姓名"), required=False, max_length=50)
    guardian_relation = forms.CharField(label=_("监护人关系"), required=False, max_length=20)


class VolunteerEditForm(_PersonFields):
    id_number = forms.CharField(
        label=_("身份证号"),
        required=False,
        max_length=40,
        help_text=_("不修改请留空。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone_clear = forms.BooleanField(label=_("清除手机号码"), required=False)


class MyVolunteerForm(forms.Form):
    """What a volunteer changes in their own record."""

    phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=30,
        help_text=_("不修改请留空。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    skills = forms.MultipleChoiceField(
        label=_("技能特长"), required=False, widget=forms.CheckboxSelectMultiple
    )
    availability = forms.MultipleChoiceField(
        label=_("可服务时间"), required=False, choices=SLOT_CHOICES
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "skills").choices = skill_choices()


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("队伍名称"), max_length=100)
    region = forms.CharField(label=_("所属区划（区划代码）"), max_length=12)
    organization = forms.TypedChoiceField(
        label=_("所属社会组织"), required=False, coerce=int, empty_value=None
    )
    description = forms.CharField(
        label=_("简介"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, organizations: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = region_choices(user, levels=(3, 4, 5), writers=True)
        if choices:
            self.fields["region"] = forms.ChoiceField(label=_("所属区划"), choices=choices)
        _choice_field(self, "organization").choices = [("", _("无")), *organizations]


class MemberForm(forms.Form):
    number = forms.CharField(
        label=_("志愿者编号"), max_length=32, help_text=_("填写要加入队伍的志愿者编号。")
    )
    role = forms.ChoiceField(label=_("角色"), choices=TeamRole.choices, initial=TeamRole.MEMBER)
