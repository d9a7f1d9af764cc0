"""The platform's own password rule, next to Django's validators (AUTH_PASSWORD_VALIDATORS):
a password mixes letters with digits or symbols. With the minimum length of 10 this is the usual
reading of GB/T 22239 (等保 2.0) "口令应有复杂度要求", without forced rotation (NIST SP 800-63B)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LettersAndDigitsValidator:
    """At least one letter and at least one digit or symbol (anything that is not a letter)."""

    def validate(self, password: str, user: Any = None) -> None:
        has_letter = any(c.isalpha() for c in password)
        has_other = any(not c.isalpha() and not c.isspace() for c in password)
        if not (has_letter and has_other):
            raise ValidationError(
                _("密码必须同时包含字母和数字（或符号）。"), code="password_no_mix"
            )

    def get_help_text(self) -> str:
        return _("密码必须同时包含字母和数字（或符号）。")
