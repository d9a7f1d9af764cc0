from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Account


class MoveForm(forms.Form):
    """Gift to a relative or donate to the community pool, from the page. The hidden key makes
    a double submit (or a retry after a lost answer) one transfer."""

    kind = forms.ChoiceField(
        label=_("操作"), choices=[("donate", _("捐入社区公益池")), ("gift", _("转赠亲属"))]
    )
    target = forms.ModelChoiceField(
        label=_("转赠给"), queryset=Account.objects.none(), required=False
    )
    amount = forms.DecimalField(label=_("数量"), min_value=0, decimal_places=2, max_digits=12)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, targets: list[Account], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"key": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Account.objects.filter(pk__in=[a.pk for a in targets])
