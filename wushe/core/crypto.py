"""Encryption at rest for personal data (domain.md §10, PIPL art. 51).

Values such as ID numbers and phone numbers are stored as AES-256-GCM tokens
`v1.<keyid>.<b64 nonce>.<b64 ciphertext>`; the associated data is the value's *purpose*
(e.g. "resident.id_number"), so a token copied into another column does not decrypt. Exact-match
search uses `lookup_hash`, a keyed HMAC-SHA256 of the normalised value, stored next to the token.

Keys come from the environment (docs/key-rotation.md):

- `WUSHE_DATA_KEYS`: comma-separated `keyid:base64url(32 bytes)`; the first key encrypts, all of
  them decrypt (rotation: add the new key first, `wushe crypto rotate`, `wushe crypto check`,
  then drop the old key).
- `WUSHE_LOOKUP_KEY`: base64url(32 bytes) for the lookup hashes.

When unset (demo, development, tests) both are generated once into `settings.VAR_DIR`
(`data_keys`, `lookup_key`, mode 600), like SECRET_KEY. Parsed keys are cached per process;
`reset_keys()` drops the cache.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

DATA_KEYS_ENV = "WUSHE_DATA_KEYS"
LOOKUP_KEY_ENV = "WUSHE_LOOKUP_KEY"
DATA_KEYS_FILE = "data_keys"
LOOKUP_KEY_FILE = "lookup_key"

FORMAT_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class DecryptionError(Exception):
    """A token that does not decrypt to a value. `code` says why, for reports:
    "malformed" (not a v1 token), "unknown_key" (key id not configured), "invalid" (wrong key,
    wrong purpose or tampered). Messages never contain the plaintext or key material."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


# --- keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    data_keys: dict[str, bytes]
    lookup_key: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    def cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = AESGCM(self.data_keys[key_id])
            self._ciphers[key_id] = cipher
        return cipher


_lock = threading.Lock()
_keyring: KeyRing | None = None


def reset_keys() -> None:
    """Forget the cached keys; the next use reads the environment (or var/) again."""
    global _keyring
    with _lock:
        _keyring = None


def keyring() -> KeyRing:
    global _keyring
    ring = _keyring
    if ring is None:
        with _lock:
            if _keyring is None:
                _keyring = _load_keyring()
            ring = _keyring
    return ring


def current_key_id() -> str:
    return keyring().current_id


def new_key() -> str:
    """A fresh random 32-byte key, base64url without padding."""
    return _b64encode(secrets.token_bytes(KEY_BYTES))


def new_key_id(today: date | None = None, taken: set[str] | None = None) -> str:
    """`k<yyyymmdd><letter>`: the first letter not already used by a configured key."""
    stamp = f"k{(today or timezone.localdate()):%Y%m%d}"
    taken = configured_key_ids() if taken is None else taken
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if stamp + letter not in taken:
            return stamp + letter
    return f"{stamp}{secrets.token_hex(3)}"


def configured_key_ids() -> set[str]:
    """Key ids in WUSHE_DATA_KEYS, or in var/data_keys when that is used; never generates."""
    raw = os.environ.get(DATA_KEYS_ENV, "").strip()
    if not raw:
        path = Path(settings.VAR_DIR) / DATA_KEYS_FILE
        if not path.exists():
            return set()
        raw = path.read_text().strip()
    try:
        return {key_id for key_id, _ in _parse_data_keys(raw, DATA_KEYS_ENV)}
    except ImproperlyConfigured:
        return set()


def _load_keyring() -> KeyRing:
    raw_data = os.environ.get(DATA_KEYS_ENV, "").strip()
    data_source = DATA_KEYS_ENV
    if not raw_data:
        path = Path(settings.VAR_DIR) / DATA_KEYS_FILE
        raw_data = _generated(path, lambda: f"{new_key_id(taken=set())}:{new_key()}")
        data_source = f"{DATA_KEYS_ENV} (generated file {path})"
    entries = _parse_data_keys(raw_data, data_source)

    raw_lookup = os.environ.get(LOOKUP_KEY_ENV, "").strip()
    lookup_source = LOOKUP_KEY_ENV
    if not raw_lookup:
        path = Path(settings.VAR_DIR) / LOOKUP_KEY_FILE
        raw_lookup = _generated(path, new_key)
        lookup_source = f"{LOOKUP_KEY_ENV} (generated file {path})"
    lookup_key = _decode_key(raw_lookup)
    if lookup_key is None:
        raise ImproperlyConfigured(
            f"{lookup_source} must be {KEY_BYTES} random bytes in base64url "
            "(generate one with `wushe crypto genkey`)."
        )
    return KeyRing(current_id=entries[0][0], data_keys=dict(entries), lookup_key=lookup_key)


def _parse_data_keys(raw: str, source: str) -> list[tuple[str, bytes]]:
    entries: list[tuple[str, bytes]] = []
    for position, item in enumerate((part.strip() for part in raw.split(",")), start=1):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                f"{source}: entry {position} must be 'keyid:base64url-key' with a key id of "
                "letters, digits, '-' or '_' (at most 40)."
            )
        key = _decode_key(encoded.strip())
        if key is None:
            raise ImproperlyConfigured(
                f"{source}: key {key_id!r} must be {KEY_BYTES} random bytes in base64url "
                "(generate one with `wushe crypto genkey`)."
            )
        if any(existing == key_id for existing, _ in entries):
            raise ImproperlyConfigured(f"{source}: key id {key_id!r} appears twice.")
        entries.append((key_id, key))
    if not entries:
        raise ImproperlyConfigured(f"{source} holds no key.")
    return entries


def _decode_key(encoded: str) -> bytes | None:
    if not _B64URL_RE.match(encoded):
        return None
    try:
        key = _b64decode(encoded)
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def _generated(path: Path, make: Any) -> str:
    """The content of `path`, creating it (mode 600) first when missing. Written to a private
    temporary file and linked into place, so concurrent workers never read a half-written key
    and all end up with the same one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as tmp:
                tmp.write(str(make()) + "\n")
            try:
                os.link(tmp_name, path)
                logger.warning(
                    "generated %s; for production set %s and %s instead (docs/key-rotation.md)",
                    path,
                    DATA_KEYS_ENV,
                    LOOKUP_KEY_ENV,
                )
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp_name)
        path.chmod(0o600)
    return path.read_text().strip()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    text = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


# --- tokens ---------------------------------------------------------------------------------


def _aad(purpose: str) -> bytes:
    if not purpose or "\x00" in purpose:
        raise ValueError("purpose must be a non-empty string without NUL characters")
    return purpose.encode("utf-8")


def encrypt(plaintext: str, *, purpose: str) -> str:
    """AES-256-GCM with the current key and a random nonce; the purpose is authenticated."""
    ring = keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.cipher(ring.current_id).encrypt(nonce, plaintext.encode("utf-8"), _aad(purpose))
    return ".".join((FORMAT_VERSION, ring.current_id, _b64encode(nonce), _b64encode(sealed)))


class _Parsed(NamedTuple):
    key_id: str
    nonce: bytes
    sealed: bytes


def _parse_token(token: str) -> _Parsed:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 4 or parts[0] != FORMAT_VERSION or not KEY_ID_RE.match(parts[1]):
        raise DecryptionError("not an encrypted value (expected a v1 token)", code="malformed")
    try:
        nonce, sealed = _b64decode(parts[2]), _b64decode(parts[3])
    except ValueError:
        raise DecryptionError("encrypted value is not valid base64url", code="malformed") from None
    if len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
        raise DecryptionError("encrypted value is truncated", code="malformed")
    return _Parsed(parts[1], nonce, sealed)


def token_key_id(token: str) -> str:
    """The key id a token was encrypted with (DecryptionError when it is not a token)."""
    return _parse_token(token).key_id


def decrypt(token: str, *, purpose: str) -> str:
    parsed = _parse_token(token)
    ring = keyring()
    if parsed.key_id not in ring.data_keys:
        raise DecryptionError(
            f"encrypted with key {parsed.key_id!r}, which is not in {DATA_KEYS_ENV}",
            code="unknown_key",
        )
    try:
        plain = ring.cipher(parsed.key_id).decrypt(parsed.nonce, parsed.sealed, _aad(purpose))
    except InvalidTag:
        raise DecryptionError(
            f"encrypted value does not authenticate for purpose {purpose!r} "
            "(wrong purpose, wrong key or tampered)",
            code="invalid",
        ) from None
    return plain.decode("utf-8")


def needs_rotation(token: str) -> bool:
    """True when the token was not encrypted with the current key."""
    return token_key_id(token) != current_key_id()


def reencrypt(token: str, *, purpose: str) -> str:
    """Decrypt with whichever configured key made the token; encrypt again with the current one."""
    return encrypt(decrypt(token, purpose=purpose), purpose=purpose)


def lookup_hash(value: str, *, purpose: str) -> str:
    """Hex HMAC-SHA256 of `purpose NUL value` under the lookup key, for exact-match search.
    The caller normalises `value` first (e.g. upper-case X in ID numbers, +86 stripped)."""
    message = _aad(purpose) + b"\x00" + value.encode("utf-8")
    return hmac.new(keyring().lookup_key, message, hashlib.sha256).hexdigest()


# --- registry of encrypted columns -----------------------------------------------------------


class EncryptedField(NamedTuple):
    model_label: str
    field: str
    purpose: str

    @property
    def label(self) -> str:
        return f"{self.model_label}.{self.field}"

    def model(self) -> type[models.Model]:
        model = apps.get_model(self.model_label)
        try:
            model._meta.get_field(self.field)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(
                f"encrypted field {self.label} is registered but does not exist"
            ) from None
        return model


_registry: dict[tuple[str, str], EncryptedField] = {}


def register_encrypted_field(model_label: str, field: str, purpose: str) -> None:
    """Declare that `model_label.field` holds tokens for `purpose` (call from AppConfig.ready)."""
    _aad(purpose)
    entry = EncryptedField(model_label, field, purpose)
    existing = _registry.get((model_label, field))
    if existing is not None and existing != entry:
        raise ImproperlyConfigured(
            f"{entry.label} is already registered with purpose {existing.purpose!r}"
        )
    _registry[(model_label, field)] = entry


def unregister_encrypted_field(model_label: str, field: str) -> None:
    _registry.pop((model_label, field), None)


def encrypted_fields() -> list[EncryptedField]:
    return sorted(_registry.values())


def _stored(entry: EncryptedField) -> models.QuerySet[Any]:
    """Rows of the column that hold a value (all rows: the base manager filters nothing)."""
    model = entry.model()
    return (
        model._base_manager.exclude(**{f"{entry.field}__isnull": True})
        .exclude(**{entry.field: ""})
        .order_by("pk")
    )


def _batches(queryset: models.QuerySet[Any], batch_size: int) -> Iterator[list[Any]]:
    """Primary keys in ascending batches (keyset pagination: stable while rows change)."""
    last: Any = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        pks = list(page.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield pks
        last = pks[-1]


def rotate_all(batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt with the current key every registered value made with another key. Each batch
    is one transaction with its rows locked; a value that does not decrypt stops the run with a
    DecryptionError naming the row (batches already done stay done; running again is safe).
    Returns the number of re-encrypted values per `app.Model.field`."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    current_prefix = f"{FORMAT_VERSION}.{current_key_id()}."
    counts: dict[str, int] = {}
    for entry in encrypted_fields():
        stale = _stored(entry).exclude(**{f"{entry.field}__startswith": current_prefix})
        counts[entry.label] = 0
        for pks in _batches(stale, batch_size):
            with transaction.atomic():
                rows = list(stale.filter(pk__in=pks).select_for_update().only("pk", entry.field))
                for row in rows:
                    try:
                        value = reencrypt(getattr(row, entry.field), purpose=entry.purpose)
                    except DecryptionError as exc:
                        raise DecryptionError(
                            f"{entry.label} pk={row.pk}: {exc}", code=exc.code
                        ) from None
                    setattr(row, entry.field, value)
                if rows:
                    type(rows[0])._base_manager.bulk_update(rows, [entry.field])
                counts[entry.label] += len(rows)
    return counts


@dataclass
class FieldReport:
    label: str
    checked: int = 0
    stale: int = 0
    failures: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(len(pks) for pks in self.failures.values())


def check_all(batch_size: int = 500) -> list[FieldReport]:
    """Decrypt every registered value with the configured keys. Reports, per field, how many
    values were checked, how many are not on the current key, and the pks of those that do not
    decrypt grouped by DecryptionError.code. Plaintext is discarded at once."""
    current = current_key_id()
    reports: list[FieldReport] = []
    for entry in encrypted_fields():
        report = FieldReport(entry.label)
        stored = _stored(entry)
        for pks in _batches(stored, batch_size):
            for pk, token in stored.filter(pk__in=pks).values_list("pk", entry.field):
                report.checked += 1
                try:
                    decrypt(token, purpose=entry.purpose)
                except DecryptionError as exc:
                    report.failures.setdefault(exc.code, []).append(pk)
                    continue
                if token_key_id(token) != current:
                    report.stale += 1
        reports.append(report)
    return reports
