"""A service's error lands on the field the user can correct, or above the form."""

from __future__ import annotations

from django import forms

from wushe.core.errors import ValidationFailed
from wushe.core.forms import show_domain_error


class PersonForm(forms.Form):
    name = forms.CharField(required=False)
    household_number = forms.CharField(required=False)
    region = forms.CharField(required=False, disabled=True)


def bound() -> PersonForm:
    form = PersonForm({"name": "张三", "household_number": "0007"})
    assert form.is_valid()
    return form


def test_error_goes_on_the_named_field_through_aliases() -> None:
    form = bound()
    exc = ValidationFailed("户号有误", fields={"household": ["户号不存在。"], "name": "太长。"})
    show_domain_error(form, exc, {"household": "household_number"})
    assert form.errors["household_number"] == ["户号不存在。"]
    assert form.errors["name"] == ["太长。"]
    assert "__all__" not in form.errors


def test_error_without_a_usable_field_goes_above_the_form() -> None:
    form = bound()
    # 'region' is disabled (not correctable here) and 'phone' is not on the form.
    show_domain_error(
        form, ValidationFailed("不在辖区内。", fields={"region": ["x"], "phone": ["y"]})
    )
    assert form.non_field_errors() == ["不在辖区内。"]
    assert "region" not in form.errors
