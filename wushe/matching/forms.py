from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MatchingSettings


class ProposalForm(forms.Form):
    region = forms.ChoiceField(label=_("范围（街道/乡镇或区县）"))

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = regions


class SettingsForm(forms.ModelForm):
    class Meta:
        model = MatchingSettings
        fields = [
            "weight_distance",
            "weight_skill",
            "weight_rating",
            "weight_reliability",
            "weight_workload",
            "weight_familiarity",
            "radius_m",
            "max_per_supplier",
        ]
