"""The shared idempotency helper: header validation and body fingerprints. The behaviour
under concurrency is tested on a real model in wushe/requests/tests/test_idempotency.py."""

from datetime import date
from decimal import Decimal

import pytest

from wushe.core.errors import ValidationFailed
from wushe.core.idempotency import HEADER, fingerprint, key_from_header


@pytest.mark.parametrize(
    "raw",
    ["a", "x" * 64, "550e8400-e29b-41d4-a716-446655440000", "AbC_-.~!#$%&'*+^`|", "  k-1  "],
)
def test_valid_keys(raw):
    assert key_from_header(raw) == raw.strip()


def test_absent_header_means_no_key():
    assert key_from_header(None) == ""


@pytest.mark.parametrize("raw", ["", "   ", "x" * 65, "含中文", "a b", "tab\tkey", "nul\x00"])
def test_invalid_keys_are_422(raw):
    with pytest.raises(ValidationFailed) as caught:
        key_from_header(raw)
    assert caught.value.code == "idempotency.key_invalid"
    assert caught.value.status == 422
    assert HEADER in caught.value.fields


def test_fingerprint_ignores_key_order_and_spacing():
    one = fingerprint({"a": 1, "b": "居民", "c": [1, 2]})
    two = fingerprint({"c": [1, 2], "b": "居民", "a": 1})
    assert one == two
    assert len(one) == 64 and int(one, 16) >= 0


def test_fingerprint_sees_every_value():
    base = {"a": 1, "b": "x", "d": date(2025, 1, 2), "m": Decimal("1.50")}
    assert fingerprint(base) != fingerprint({**base, "b": "y"})
    assert fingerprint(base) != fingerprint({**base, "d": date(2025, 1, 3)})
    assert fingerprint(base) != fingerprint({**base, "m": Decimal("1.5")})
    assert fingerprint(base) == fingerprint(dict(base))
