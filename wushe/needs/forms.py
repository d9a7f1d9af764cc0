from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from wushe.core.bounds import PEOPLE_MAX
from wushe.residents.models import Tag
from wushe.taxonomy.models import Vocabulary
from wushe.taxonomy.selectors import terms

from .models import Source, Status

LEVEL_CHOICES = [("township", _("按乡镇（街道）")), ("community", _("按社区（村）"))]
STATUS_CHOICES = [("pending", _("待处理（待转化与已纳入申报）")), *Status.choices, ("", _("全部"))]


def category_choices(blank: Any = None) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [(t.code, t.label) for t in terms(Vocabulary.SERVICE_CATEGORY)]
    return [("", blank), *rows] if blank is not None else rows


class GroupFilterForm(forms.Form):
    level = forms.ChoiceField(label=_("分组"), choices=LEVEL_CHOICES, required=False)
    category = forms.ChoiceField(label=_("需求类别"), required=False)
    status = forms.ChoiceField(label=_("状态"), choices=STATUS_CHOICES, required=False)
    source = forms.ChoiceField(
        label=_("来源"), choices=[("", _("全部")), *Source.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(_("全部类别"))


class NeedForm(forms.Form):
    """A need found in a survey (需求摸排)."""

    region = forms.ChoiceField(label=_("社区（村）或乡镇（街道）"))
    category = forms.ChoiceField(label=_("需求类别"))
    title = forms.CharField(label=_("需求标题"), max_length=100)
    description = forms.CharField(
        label=_("需求描述"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    source_ref = forms.CharField(label=_("摸排表编号"), max_length=64, required=False)
    people_count = forms.IntegerField(
        label=_("涉及人数"), min_value=1, max_value=PEOPLE_MAX, initial=1
    )

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = regions
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices()
        for tag, label in Tag.choices:
            self.fields[f"group_{tag}"] = forms.IntegerField(
                label=label, min_value=0, max_value=PEOPLE_MAX, required=False
            )

    def group_fields(self) -> list[Any]:
        return [self[f"group_{tag}"] for tag in Tag.values]

    def groups(self) -> dict[str, int]:
        return {
            tag: self.cleaned_data.get(f"group_{tag}") or 0
            for tag in Tag.values
            if self.cleaned_data.get(f"group_{tag}")
        }


class FromRequestForm(forms.Form):
    number = forms.CharField(label=_("诉求编号"), max_length=24)
    category = forms.ChoiceField(label=_("需求类别"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices()


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
