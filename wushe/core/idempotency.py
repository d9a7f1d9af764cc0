"""Idempotency keys (docs/architecture.md §5): a client that retries a write after a timeout,
a crash or a lost answer sends the same `Idempotency-Key` header and gets the original result
back; nothing is created twice.

The pattern, shared by every externally triggered write that creates a row (requests now,
orders and transfers later):

- the model inherits `IdempotencyFields` and puts `idempotency_constraint(actor_field)` in its
  Meta.constraints: unique (county_code, actor, key) where a key was given, so the database
  is the referee when two copies of one submission race (§6.2: the constraint includes the
  distribution key);
- the entry point reads the header with `key_from_header()` (422 `idempotency.key_invalid`
  when malformed) and the service calls `idempotent_create()` inside its own transaction with a
  `fingerprint()` of what it was asked to do;
- the same key with a different body is a client bug: 409 `idempotency.key_reused`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 64
# Visible ASCII only (0x21–0x7E): no spaces, no control characters, nothing that a proxy may
# rewrite. UUIDs, ULIDs and base64url tokens all fit.
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")

M = TypeVar("M", bound=models.Model)


class IdempotencyFields(models.Model):
    """The two columns a row created under an idempotency key keeps: the key ('' when the
    client sent none) and the fingerprint of the body that created it."""

    idempotency_key = models.CharField(
        _("幂等键"), max_length=MAX_KEY_LENGTH, blank=True, default="", editable=False
    )
    idempotency_fingerprint = models.CharField(
        _("请求指纹"), max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        abstract = True


def idempotency_constraint(actor_field: str = "created_by") -> models.UniqueConstraint:
    """unique (county_code, <actor>, idempotency_key) for rows that carry a key."""
    return models.UniqueConstraint(
        fields=["county_code", actor_field, "idempotency_key"],
        condition=~Q(idempotency_key=""),
        name="%(app_label)s_%(class)s_idempotency",
    )


def key_from_header(raw: str | None) -> str:
    """The validated key, or '' when the header is absent. Surrounding whitespace is the
    HTTP layer's and is dropped; anything else outside visible ASCII is refused."""
    if raw is None:
        return ""
    key = raw.strip()
    if not _KEY.fullmatch(key):
        message = _("Idempotency-Key 请求头应为 1–64 个可见 ASCII 字符。")
        raise ValidationFailed(
            message, code="idempotency.key_invalid", fields={HEADER: [str(message)]}
        )
    return key


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return str(value)


def fingerprint(body: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of a body: keys sorted, no insignificant space,
    UTF-8. Two bodies that differ only in key order or spacing have the same fingerprint."""
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _existing(
    model: type[M], *, county_code: str, actor_field: str, actor: Any, key: str, print_: str
) -> M | None:
    rows = list(
        model._default_manager.filter(
            county_code=county_code, **{actor_field: actor}, idempotency_key=key
        ).order_by()[:1]
    )
    row = rows[0] if rows else None
    if row is not None and getattr(row, "idempotency_fingerprint", "") != print_:
        raise Conflict(_("该幂等键已用于另一项不同内容的提交。"), code="idempotency.key_reused")
    return row


def idempotent_create(
    *,
    model: type[M],
    county_code: str,
    actor: Any,
    key: str,
    fingerprint: str,
    create: Callable[[], M],
    actor_field: str = "created_by",
    nested: bool = False,
    lookup_first: bool = True,
    single_statement: bool = False,
) -> tuple[M, bool]:
    """Run `create` once per (county, actor, key): returns (row, created).

    This is the service's one transaction (`atomic(durable=True)`): the key is looked up in
    it; a row already stored under the key is returned as it is (`created` False); otherwise
    `create` runs. When a concurrent twin committed the same key first, the insert fails on the
    unique constraint (IntegrityError), the transaction rolls back, and the twin's row is read
    (a new statement under READ COMMITTED sees it) and returned. `create` must set
    `idempotency_key`/`idempotency_fingerprint` on the row it inserts, insert that row first,
    and do every other write of the submission, so that a lost race undoes them all. A
    different body under a known key raises Conflict `idempotency.key_reused`. Without a key,
    `create` simply runs in the transaction.

    `nested=True` for a caller that already holds a transaction: the block is then a
    savepoint (two more round trips), rolled back alone when the race is lost.

    `lookup_first=False` skips the look-up before `create` (one statement less for a new
    key, the common case on a hot path): a retry then fails on the unique constraint at
    `create`'s first INSERT and takes the IntegrityError path above, with the same result.
    Only for a `create` whose first write is that insert.

    `single_statement=True` (with `lookup_first=False`): `create` writes everything in ONE
    statement, which is atomic by itself, so no transaction is opened (two round trips less:
    BEGIN and COMMIT). A lost race fails that statement on the unique key and nothing of it
    is written. Inside a caller's transaction the usual (savepoint) path is taken, because a
    failed statement would abort that transaction."""

    def lookup() -> M | None:
        return _existing(
            model,
            county_code=county_code,
            actor_field=actor_field,
            actor=actor,
            key=key,
            print_=fingerprint,
        )

    if single_statement and not connection.in_atomic_block:
        assert not lookup_first and not nested
        try:
            return create(), True
        except IntegrityError:
            found = lookup() if key else None
            if found is None:
                raise
            return found, False
    try:
        with transaction.atomic(durable=not nested):
            if key and lookup_first:
                found = lookup()
                if found is not None:
                    return found, False
            return create(), True
    except IntegrityError:
        found = lookup() if key else None
        if found is None:
            raise
        return found, False
