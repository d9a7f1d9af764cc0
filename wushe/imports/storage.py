"""Uploads at rest: AES-256-GCM with the platform's data key (wushe.core.crypto), stored through
`default_storage` only (no `.path`: the backend may be S3-compatible object storage). An
upload holds ID numbers in clear, so it is never written unencrypted, not even briefly.

Layout: `WUSHEIMP1\\n<key id>\\n<12-byte nonce><ciphertext+tag>`; the associated data binds the
blob to this purpose."""

from __future__ import annotations

import secrets
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from wushe.core.crypto import NONCE_BYTES, DecryptionError, keyring

MAGIC = b"WUSHEIMP1\n"
_AAD = b"wushe.imports.upload"


def store_upload(data: bytes) -> str:
    ring = keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.cipher(ring.current_id).encrypt(nonce, data, _AAD)
    payload = MAGIC + ring.current_id.encode("ascii") + b"\n" + nonce + sealed
    name = f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"
    return default_storage.save(name, ContentFile(payload))


def load_upload(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        payload = handle.read()
    if not payload.startswith(MAGIC):
        raise DecryptionError("not an encrypted upload", code="malformed")
    key_id, sep, rest = payload[len(MAGIC) :].partition(b"\n")
    if not sep or len(rest) < NONCE_BYTES + 16:
        raise DecryptionError("encrypted upload is truncated", code="malformed")
    ring = keyring()
    key = key_id.decode("ascii", "replace")
    if key not in ring.data_keys:
        raise DecryptionError(f"upload encrypted with unknown key {key!r}", code="unknown_key")
    from cryptography.exceptions import InvalidTag

    try:
        return ring.cipher(key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], _AAD)
    except InvalidTag:
        raise DecryptionError("encrypted upload does not authenticate", code="invalid") from None


def delete_upload(name: str) -> None:
    if name and default_storage.exists(name):
        default_storage.delete(name)
