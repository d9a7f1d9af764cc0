"""The platform's own password rule, next to Django's validators (AUTH_PASSWORD_VALIDATORS):
a password mixes letters with digits or symbols. With the minimum length of 10 this is the usual
reading of GB/T 22239 (等保 2.0) "口令应有复杂度要求", without forced rotation (NIST SP 800-63B)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
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


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length with our own message: Django 5.2 changed the message's msgid and
    its Chinese catalog has no translation for the new one, so users saw English."""

    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
