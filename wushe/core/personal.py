"""Personal data of people in the registers (residents, volunteers, social workers, party
members, donors): ID numbers and mobile numbers encrypted at rest, found by keyed hash, shown
masked (domain.md §10). Revealing a full value is `wushe.privacy.services.personal_reveal`
(permission checked, reason required, audited).

Each sealed value has three columns: `<name>_token` (AES-GCM, wushe.core.crypto),
`<name>_hash` (HMAC for exact-match search and duplicate checks; one purpose per kind of value,
shared by every register, so "is this volunteer also a resident?" is one lookup) and
`<name>_masked` (what pages, API, exports and logs show, so lists never decrypt)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from wushe.core import crypto
from wushe.core.identifiers import IdNumber, parse_id_number, parse_phone
from wushe.core.masking import mask_id_number, mask_phone

ID_HASH_PURPOSE = "person.id_number"
PHONE_HASH_PURPOSE = "person.phone"
SEALED_FIELDS = ("id_number", "phone")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class PersonFields(models.Model):
    """Name, sex, birth date, ID number and mobile number of a person.

    Invariants: the `*_token`, `*_hash` and `*_masked` columns of a value are written together
    by `seal_id_number` / `seal_phone` (all empty when the value is unknown); `birth_date` and
    `sex` come from the ID number when there is one. Subclasses set `PERSONAL_PURPOSE`
    (e.g. "residents.resident") and call `register_person_model` in AppConfig.ready so key
    rotation (`wushe crypto rotate`) covers their columns."""

    PERSONAL_PURPOSE: ClassVar[str] = ""

    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=6, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_token = models.TextField(blank=True, default="", editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    id_number_masked = models.CharField(
        _("身份证号"), max_length=24, blank=True, default="", editable=False
    )
    phone_token = models.TextField(blank=True, default="", editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    phone_masked = models.CharField(
        _("手机号码"), max_length=24, blank=True, default="", editable=False
    )

    class Meta:
        abstract = True

    @classmethod
    def purpose(cls, field: str) -> str:
        assert cls.PERSONAL_PURPOSE, f"{cls.__name__}.PERSONAL_PURPOSE is not set"
        return f"{cls.PERSONAL_PURPOSE}.{field}"


def register_person_model(model: type[PersonFields]) -> None:
    """Declare the model's sealed columns to the key-rotation registry (AppConfig.ready)."""
    for field in SEALED_FIELDS:
        crypto.register_encrypted_field(model._meta.label, f"{field}_token", model.purpose(field))


def id_number_hash(number: str) -> str:
    """Lookup hash of a normalised 18-character ID number."""
    return crypto.lookup_hash(number, purpose=ID_HASH_PURPOSE)


def phone_hash(e164: str) -> str:
    return crypto.lookup_hash(e164, purpose=PHONE_HASH_PURPOSE)


def seal_id_number(person: PersonFields, raw: object) -> IdNumber | None:
    """Validate `raw` (GB 11643; raises ValidationFailed with `id_number.*` codes), then set the
    token, hash, mask, birth date and sex. Empty input clears the value and returns None.
    An already parsed IdNumber is accepted as is."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        person.id_number_token = person.id_number_hash = person.id_number_masked = ""
        return None
    parsed = raw if isinstance(raw, IdNumber) else parse_id_number(raw)
    person.id_number_token = crypto.encrypt(parsed.number, purpose=person.purpose("id_number"))
    person.id_number_hash = id_number_hash(parsed.number)
    person.id_number_masked = mask_id_number(parsed.number)
    person.birth_date = parsed.birth_date
    person.sex = parsed.sex
    return parsed


def seal_phone(person: PersonFields, raw: object) -> str:
    """Validate a mainland mobile number (raises ValidationFailed `phone.format`) and seal it.
    Empty input clears it. Returns the E.164 value ('' when cleared)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        person.phone_token = person.phone_hash = person.phone_masked = ""
        return ""
    e164 = parse_phone(raw)
    person.phone_token = crypto.encrypt(e164, purpose=person.purpose("phone"))
    person.phone_hash = phone_hash(e164)
    person.phone_masked = mask_phone(e164)
    return e164


def unseal(person: PersonFields, field: str) -> str:
    """The full value of a sealed field. Only for `personal_reveal` (which audits) and for code
    that must use the value without showing it (e.g. sending an SMS)."""
    if field not in SEALED_FIELDS:
        raise ValueError(f"{field!r} is not a sealed field")
    token = getattr(person, f"{field}_token")
    return crypto.decrypt(token, purpose=person.purpose(field)) if token else ""


def masked(person: Any, field: str) -> str:
    return str(getattr(person, f"{field}_masked", ""))
