from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from wushe.accounts.models import User
from wushe.core import crypto

PURPOSE = "resident.id_number"
ID_NUMBER = "330481199001011234"


def make_key(fill: int) -> str:
    return base64.urlsafe_b64encode(bytes([fill]) * 32).decode().rstrip("=")


KEY_A = f"ka:{make_key(1)}"
KEY_B = f"kb:{make_key(2)}"
KEY_C = f"kc:{make_key(3)}"


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Fixed keys from the environment and a private VAR_DIR: never the developer's var/."""
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    monkeypatch.setenv(crypto.DATA_KEYS_ENV, KEY_A)
    monkeypatch.setenv(crypto.LOOKUP_KEY_ENV, make_key(9))
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def use_keys(monkeypatch: pytest.MonkeyPatch, *entries: str) -> None:
    monkeypatch.setenv(crypto.DATA_KEYS_ENV, ",".join(entries))
    crypto.reset_keys()


def test_round_trip() -> None:
    token = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    assert token.startswith("v1.ka.")
    assert token.isascii()
    assert ID_NUMBER not in token
    assert crypto.decrypt(token, purpose=PURPOSE) == ID_NUMBER
    assert crypto.decrypt(crypto.encrypt("", purpose=PURPOSE), purpose=PURPOSE) == ""
    assert crypto.decrypt(crypto.encrypt("张三", purpose=PURPOSE), purpose=PURPOSE) == "张三"


def test_same_plaintext_gives_different_tokens() -> None:
    first = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    second = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    assert first != second
    assert first.split(".")[2] != second.split(".")[2]


def test_wrong_purpose_fails() -> None:
    token = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    with pytest.raises(crypto.DecryptionError) as exc:
        crypto.decrypt(token, purpose="resident.phone")
    assert exc.value.code == "invalid"
    assert ID_NUMBER not in str(exc.value)


@pytest.mark.parametrize("part", [2, 3])
def test_tampered_token_fails(part: int) -> None:
    pieces = crypto.encrypt(ID_NUMBER, purpose=PURPOSE).split(".")
    raw = bytearray(base64.urlsafe_b64decode(pieces[part] + "=" * (-len(pieces[part]) % 4)))
    raw[0] ^= 0x01
    pieces[part] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(crypto.DecryptionError) as exc:
        crypto.decrypt(".".join(pieces), purpose=PURPOSE)
    assert exc.value.code == "invalid"


@pytest.mark.parametrize(
    "token",
    [ID_NUMBER, "", "v2.ka.AAAA.BBBB", "v1.ka.!!!.BBBB", "v1.ka.AAAA.BBBB", "v1.ka.x.y.z"],
)
def test_malformed_token_fails(token: str) -> None:
    with pytest.raises(crypto.DecryptionError) as exc:
        crypto.decrypt(token, purpose=PURPOSE)
    assert exc.value.code == "malformed"


def test_unknown_key_id_fails() -> None:
    pieces = crypto.encrypt(ID_NUMBER, purpose=PURPOSE).split(".")
    pieces[1] = "kz"
    with pytest.raises(crypto.DecryptionError, match="'kz'") as exc:
        crypto.decrypt(".".join(pieces), purpose=PURPOSE)
    assert exc.value.code == "unknown_key"


def test_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    old = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    assert not crypto.needs_rotation(old)

    use_keys(monkeypatch, KEY_B, KEY_A)
    assert crypto.decrypt(old, purpose=PURPOSE) == ID_NUMBER
    assert crypto.needs_rotation(old)
    new = crypto.reencrypt(old, purpose=PURPOSE)
    assert crypto.token_key_id(new) == "kb"
    assert not crypto.needs_rotation(new)
    assert crypto.encrypt("x", purpose=PURPOSE).startswith("v1.kb.")

    use_keys(monkeypatch, KEY_B)
    with pytest.raises(crypto.DecryptionError) as exc:
        crypto.decrypt(old, purpose=PURPOSE)
    assert exc.value.code == "unknown_key"
    assert crypto.decrypt(new, purpose=PURPOSE) == ID_NUMBER


def test_lookup_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = crypto.lookup_hash(ID_NUMBER, purpose=PURPOSE)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert crypto.lookup_hash(ID_NUMBER, purpose=PURPOSE) == digest
    assert crypto.lookup_hash(ID_NUMBER, purpose="resident.phone") != digest
    assert crypto.lookup_hash(ID_NUMBER + "0", purpose=PURPOSE) != digest

    use_keys(monkeypatch, KEY_B)  # data keys do not affect lookup hashes
    assert crypto.lookup_hash(ID_NUMBER, purpose=PURPOSE) == digest

    monkeypatch.setenv(crypto.LOOKUP_KEY_ENV, make_key(10))
    crypto.reset_keys()
    assert crypto.lookup_hash(ID_NUMBER, purpose=PURPOSE) != digest


def test_keys_generated_into_var_dir_when_env_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(crypto.DATA_KEYS_ENV)
    monkeypatch.delenv(crypto.LOOKUP_KEY_ENV)
    crypto.reset_keys()

    token = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    digest = crypto.lookup_hash(ID_NUMBER, purpose=PURPOSE)
    data_file, lookup_file = tmp_path / "data_keys", tmp_path / "lookup_key"
    for path in (data_file, lookup_file):
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_id = data_file.read_text().strip().split(":")[0]
    assert crypto.token_key_id(token) == key_id
    assert list(tmp_path.glob(".data_keys.*")) == []

    crypto.reset_keys()  # a new process reuses the same files
    assert crypto.decrypt(token, purpose=PURPOSE) == ID_NUMBER
    assert crypto.lookup_hash(ID_NUMBER, purpose=PURPOSE) == digest


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (crypto.DATA_KEYS_ENV, "ka"),
        (crypto.DATA_KEYS_ENV, "ka:short"),
        (crypto.DATA_KEYS_ENV, "bad.id:" + make_key(1)),
        (crypto.DATA_KEYS_ENV, f"{KEY_A},{KEY_A}"),
        (crypto.DATA_KEYS_ENV, "ka:" + make_key(1) + "+/"),
        (crypto.DATA_KEYS_ENV, " , "),
        (crypto.LOOKUP_KEY_ENV, "not a key"),
        (crypto.LOOKUP_KEY_ENV, base64.urlsafe_b64encode(b"x" * 16).decode()),
    ],
)
def test_invalid_keys_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    crypto.reset_keys()
    with pytest.raises(ImproperlyConfigured, match=variable):
        crypto.encrypt(ID_NUMBER, purpose=PURPOSE)


def test_padded_and_spaced_keys_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    padded = base64.urlsafe_b64encode(bytes([2]) * 32).decode()
    assert padded.endswith("=")
    use_keys(monkeypatch, f" kb:{padded} ", f"{KEY_A} ")
    assert crypto.current_key_id() == "kb"


def test_registry() -> None:
    crypto.register_encrypted_field("accounts.User", "display_name", "user.display_name")
    try:
        crypto.register_encrypted_field("accounts.User", "display_name", "user.display_name")
        with pytest.raises(ImproperlyConfigured):
            crypto.register_encrypted_field("accounts.User", "display_name", "other")
        assert (
            crypto.EncryptedField("accounts.User", "display_name", "user.display_name")
            in crypto.encrypted_fields()
        )
    finally:
        crypto.unregister_encrypted_field("accounts.User", "display_name")
    assert all(entry.model_label != "accounts.User" for entry in crypto.encrypted_fields())


def test_new_key_id_skips_taken_ids() -> None:
    from datetime import date

    day = date(2026, 11, 23)
    assert crypto.new_key_id(day, taken=set()) == "k20261123a"
    assert crypto.new_key_id(day, taken={"k20261123a"}) == "k20261123b"


# --- over the database: display_name stands in for a real encrypted column --------------------

NAME_PURPOSE = "test.user.display_name"


@pytest.fixture
def only_test_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registers' own sealed columns (residents, volunteers …) are registered by their
    apps; these tests look at a registry holding only what they register themselves."""
    monkeypatch.setattr(crypto, "_registry", {})


@pytest.fixture
def registered_name(only_test_fields: None) -> Iterator[crypto.EncryptedField]:
    crypto.register_encrypted_field("accounts.User", "display_name", NAME_PURPOSE)
    yield crypto.EncryptedField("accounts.User", "display_name", NAME_PURPOSE)
    crypto.unregister_encrypted_field("accounts.User", "display_name")


def make_users(names: list[str]) -> list[User]:
    users = []
    for index, name in enumerate(names):
        value = crypto.encrypt(name, purpose=NAME_PURPOSE) if name else ""
        users.append(User.objects.create(username=f"crypto{index}", display_name=value))
    return users


@pytest.mark.django_db
def test_rotate_all(monkeypatch: pytest.MonkeyPatch, registered_name: object) -> None:
    names = ["张三", "李四", "王五", "赵六", "Alice", ""]
    users = make_users(names)
    use_keys(monkeypatch, KEY_B, KEY_A)
    already_current = User.objects.create(
        username="crypto-current", display_name=crypto.encrypt("钱七", purpose=NAME_PURPOSE)
    )
    before = User.objects.get(pk=already_current.pk).display_name

    assert crypto.rotate_all(batch_size=2) == {"accounts.User.display_name": 5}
    assert crypto.rotate_all(batch_size=2) == {"accounts.User.display_name": 0}
    assert User.objects.get(pk=already_current.pk).display_name == before

    use_keys(monkeypatch, KEY_B)  # the old key is gone: everything still decrypts
    for user, name in zip(users, names, strict=True):
        stored = User.objects.get(pk=user.pk).display_name
        if name:
            assert crypto.token_key_id(stored) == "kb"
            assert crypto.decrypt(stored, purpose=NAME_PURPOSE) == name
        else:
            assert stored == ""


@pytest.mark.django_db
def test_rotate_all_stops_on_a_value_that_does_not_decrypt(
    monkeypatch: pytest.MonkeyPatch, registered_name: object
) -> None:
    (user,) = make_users(["张三"])
    User.objects.filter(pk=user.pk).update(display_name="张三")  # plaintext left behind
    use_keys(monkeypatch, KEY_B, KEY_A)
    with pytest.raises(crypto.DecryptionError, match=f"pk={user.pk}") as exc:
        crypto.rotate_all()
    assert "张三" not in str(exc.value)


@pytest.mark.django_db
def test_rotate_command(monkeypatch: pytest.MonkeyPatch, registered_name: object) -> None:
    users = make_users(["张三", "李四", "王五"])
    use_keys(monkeypatch, KEY_B, KEY_A)
    out = StringIO()
    call_command("crypto", "rotate", "--batch-size", "2", stdout=out)
    assert "current key: kb" in out.getvalue()
    assert "accounts.User.display_name: 3 re-encrypted" in out.getvalue()
    for user in users:
        assert not crypto.needs_rotation(User.objects.get(pk=user.pk).display_name)


@pytest.mark.django_db
def test_check_command(monkeypatch: pytest.MonkeyPatch, registered_name: object) -> None:
    good, unknown, tampered = make_users(["张三", "李四", "王五"])
    out, err = StringIO(), StringIO()
    call_command("crypto", "check", stdout=out, stderr=err)
    assert "3 checked, 0 failed" in out.getvalue()
    assert "all encrypted values decrypt" in out.getvalue()

    # an older key still configured: passes, unless --require-current
    use_keys(monkeypatch, KEY_B, KEY_A)
    call_command("crypto", "check", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError) as exc:
        call_command("crypto", "check", "--require-current", stdout=StringIO())
    assert exc.value.returncode == 1

    use_keys(monkeypatch, KEY_C)
    User.objects.filter(pk=unknown.pk).update(
        display_name=crypto.encrypt("李四", purpose=NAME_PURPOSE)
    )
    use_keys(monkeypatch, KEY_A)
    token = User.objects.get(pk=tampered.pk).display_name
    # Change a character well inside the ciphertext: the last base64 character may carry only
    # padding bits, so changing it can leave the decoded bytes unchanged.
    i = len(token) - 5
    flipped = "B" if token[i] == "A" else "A"
    User.objects.filter(pk=tampered.pk).update(display_name=token[:i] + flipped + token[i + 1 :])

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("crypto", "check", stdout=out, stderr=err)
    assert exc.value.returncode == 1
    assert "3 checked, 2 failed" in out.getvalue()
    assert err.getvalue().splitlines() == [
        f"accounts.User.display_name [invalid] ids: {tampered.pk}",
        f"accounts.User.display_name [unknown_key] ids: {unknown.pk}",
    ]
    assert good.pk not in (unknown.pk, tampered.pk)
    for name in ("张三", "李四", "王五"):
        assert name not in out.getvalue() + err.getvalue()


def test_check_command_without_fields(only_test_fields: None) -> None:
    out = StringIO()
    call_command("crypto", "check", stdout=out)
    assert "all encrypted values decrypt" in out.getvalue()


def test_genkey_command(monkeypatch: pytest.MonkeyPatch) -> None:
    out = StringIO()
    call_command("crypto", "genkey", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if not line.startswith("#")]
    assert len(lines) == 2
    data_entry, lookup_key = lines
    assert data_entry.startswith("k") and data_entry[1:9].isdigit()
    monkeypatch.setenv(crypto.DATA_KEYS_ENV, f"{data_entry},{KEY_A}")
    monkeypatch.setenv(crypto.LOOKUP_KEY_ENV, lookup_key)
    crypto.reset_keys()
    token = crypto.encrypt(ID_NUMBER, purpose=PURPOSE)
    assert crypto.token_key_id(token) == data_entry.split(":")[0]
    assert crypto.decrypt(token, purpose=PURPOSE) == ID_NUMBER
