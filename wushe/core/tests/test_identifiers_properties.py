"""Property tests for the identifier checks (domain.md §3), beside the example tests in
test_identifiers.py: resident ID numbers (GB 11643, ISO 7064 MOD 11-2), unified social credit
codes (GB 32100, MOD 31), statistical division codes and mobile numbers.

What the check characters guarantee, checked over generated values: every single-character
substitution and every swap of two adjacent different characters of a valid number is rejected;
dropping or adding a character is rejected. What the parsers promise: every valid value passes in
every spelling people use (separators, full width, lower case), parsing is idempotent, and any
input at all ends in a result or `ValidationFailed` with the identifier's own error code and a
message, never another exception. Expected values come from small reference implementations
written from the standards, not from the module under test."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from wushe.core.errors import ValidationFailed
from wushe.core.identifiers import parse_credit_code, parse_id_number, parse_phone
from wushe.regions import codes

TODAY = date(2025, 6, 1)
# Nothing here is timed; a loaded CI machine must not turn slowness into a failure.
NO_DEADLINE = settings(deadline=None)

# --- reference implementations -----------------------------------------------------------------

ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2: 7, 9, 10, 5, 8, …
ID_CHECKS = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
CREDIT_WEIGHTS = [3**i % 31 for i in range(17)]


def ref_id_check(body: str) -> str:
    return ID_CHECKS[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def ref_credit_check(body: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[-total % 31]


def test_reference_weights_match_the_published_tables():
    assert ID_WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert CREDIT_WEIGHTS[:6] == [1, 3, 9, 27, 19, 26]
    assert ref_id_check("11010519491231002") == "X"
    assert ref_credit_check("91110000600037341") == "L"


# --- strategies --------------------------------------------------------------------------------


@st.composite
def id_numbers(draw) -> str:
    address = draw(st.from_regex(r"[1-9][0-9]{5}", fullmatch=True))
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(min_value=0, max_value=999))
    body = f"{address}{born:%Y%m%d}{sequence:03d}"
    return body + ref_id_check(body)


@st.composite
def credit_codes(draw) -> str:
    body = "".join(draw(st.lists(st.sampled_from(CREDIT_ALPHABET), min_size=17, max_size=17)))
    return body + ref_credit_check(body)


@st.composite
def mobiles(draw) -> str:
    return draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))


@st.composite
def region_codes(draw) -> str:
    """A well-formed 12-digit statistical code at any level: every segment above the region's
    own level non-zero, everything below it zero."""
    level = draw(st.integers(min_value=1, max_value=5))
    widths = [2, 2, 2, 3, 3]
    segments = [draw(st.integers(min_value=1, max_value=10**width - 1)) for width in widths[:level]]
    text = "".join(f"{value:0{width}d}" for value, width in zip(segments, widths, strict=False))
    return text.ljust(12, "0")


def spelled(text: str, data: st.DataObject) -> str:
    """The same identifier as people type or paste it: separators inside, spaces around,
    full-width characters, lower case."""
    separators = st.sampled_from(["", "", " ", "-", "\u3000", "\u2014", "\u200b"])
    out = [data.draw(st.sampled_from(["", " ", "\t", "\u3000"]))]
    for char in text:
        if "!" <= char <= "~" and data.draw(st.booleans()):
            char = chr(ord(char) + 0xFEE0)  # full width: ０–９, Ａ–Ｚ, ＋
        if data.draw(st.booleans()):
            char = char.lower()
        out.append(char + data.draw(separators))
    return "".join(out) + data.draw(st.sampled_from(["", " ", "\n"]))


def substitutions(text: str, alphabet: str) -> st.SearchStrategy[str]:
    return (
        st.tuples(st.integers(0, len(text) - 1), st.sampled_from(alphabet))
        .filter(lambda change: text[change[0]] != change[1])
        .map(lambda change: text[: change[0]] + change[1] + text[change[0] + 1 :])
    )


def assert_identifier_error(exc: ValidationFailed, prefix: str, field: str) -> None:
    assert exc.code.startswith(prefix), exc.code
    assert exc.status == 422
    assert str(exc.message).strip()
    assert list(exc.fields) == [field]


# Anything at all: text of every script and control characters, numbers of every size (a
# spreadsheet cell), bytes, containers, and text made of the identifiers' own characters.
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=40),
    st.text(alphabet="0123456789xX-  .E+'", max_size=25),
    st.text(alphabet=CREDIT_ALPHABET + "IOSVZ -", max_size=25),
    st.integers(),
    st.integers(min_value=-(10**19), max_value=10**19),
    st.floats(),
    st.decimals(),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


# --- resident ID numbers -----------------------------------------------------------------------


@NO_DEADLINE
@given(id_numbers(), st.data())
def test_every_valid_id_number_passes_in_every_spelling(number, data):
    parsed = parse_id_number(spelled(number, data), today=TODAY)
    assert parsed.number == number
    assert parse_id_number(parsed.number, today=TODAY) == parsed  # idempotent


@NO_DEADLINE
@given(id_numbers(), st.data())
def test_every_single_character_change_of_an_id_number_is_rejected(number, data):
    changed = data.draw(substitutions(number, "0123456789X"))
    with pytest.raises(ValidationFailed) as info:
        parse_id_number(changed, today=TODAY)
    assert_identifier_error(info.value, "id_number.", "id_number")


@NO_DEADLINE
@given(id_numbers(), st.integers(min_value=0, max_value=16))
def test_swapping_two_adjacent_different_characters_of_an_id_number_is_rejected(number, i):
    assume(number[i] != number[i + 1])
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    with pytest.raises(ValidationFailed) as info:
        parse_id_number(swapped, today=TODAY)
    assert_identifier_error(info.value, "id_number.", "id_number")


@NO_DEADLINE
@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789"))
def test_a_dropped_or_added_digit_makes_an_id_number_a_length_error(number, i, digit):
    # 17 or 19 characters: never a valid length (15 is the legacy form, tested elsewhere).
    for wrong in (number[:i] + number[i + 1 :], number[:i] + digit + number[i:]):
        with pytest.raises(ValidationFailed) as info:
            parse_id_number(wrong, today=TODAY)
        assert info.value.code == "id_number.format"


@NO_DEADLINE
@given(anything)
@example(10**5000)  # beyond Python's int-to-text limit
@example(float("inf"))
@example("\ud800")  # a lone surrogate
def test_any_input_gives_an_id_number_or_an_id_number_error(raw):
    try:
        parsed = parse_id_number(raw, today=TODAY)
    except ValidationFailed as exc:
        assert_identifier_error(exc, "id_number.", "id_number")
    else:
        assert len(parsed.number) == 18
        assert parsed.number[17] == ref_id_check(parsed.number[:17])
        assert parsed.birth_date <= TODAY


# --- unified social credit codes ---------------------------------------------------------------


@NO_DEADLINE
@given(credit_codes(), st.data())
def test_every_valid_credit_code_passes_in_every_spelling(code, data):
    parsed = parse_credit_code(spelled(code, data))
    assert parsed.code == code
    assert parse_credit_code(parsed.code) == parsed


@NO_DEADLINE
@given(credit_codes(), st.data())
def test_every_single_character_change_of_a_credit_code_is_rejected(code, data):
    changed = data.draw(substitutions(code, CREDIT_ALPHABET + "IOSVZ"))
    with pytest.raises(ValidationFailed) as info:
        parse_credit_code(changed)
    assert_identifier_error(info.value, "credit_code.", "credit_code")


@NO_DEADLINE
@given(credit_codes(), st.integers(min_value=0, max_value=16))
def test_swapping_two_adjacent_different_characters_of_a_credit_code_is_rejected(code, i):
    assume(code[i] != code[i + 1])
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    with pytest.raises(ValidationFailed) as info:
        parse_credit_code(swapped)
    assert info.value.code == "credit_code.checksum"


@NO_DEADLINE
@given(credit_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(CREDIT_ALPHABET))
def test_a_dropped_or_added_character_makes_a_credit_code_a_length_error(code, i, char):
    for wrong in (code[:i] + code[i + 1 :], code[:i] + char + code[i:]):
        with pytest.raises(ValidationFailed) as info:
            parse_credit_code(wrong)
        assert info.value.code == "credit_code.format"


@NO_DEADLINE
@given(anything)
@example(10**5000)
@example("\ud800")
def test_any_input_gives_a_credit_code_or_a_credit_code_error(raw):
    try:
        parsed = parse_credit_code(raw)
    except ValidationFailed as exc:
        assert_identifier_error(exc, "credit_code.", "credit_code")
    else:
        assert parsed.code[17] == ref_credit_check(parsed.code[:17])


# --- mobile phone numbers ----------------------------------------------------------------------


@NO_DEADLINE
@given(mobiles(), st.sampled_from(["", "+86", "0086", "86", "+86 "]), st.data())
def test_every_mobile_number_passes_in_every_spelling(national, prefix, data):
    assert parse_phone(spelled(prefix + national, data)) == "+86" + national


@NO_DEADLINE
@given(mobiles(), st.integers(min_value=0, max_value=10), st.sampled_from("0123456789"))
def test_a_dropped_or_added_digit_makes_a_mobile_number_invalid(national, i, digit):
    for wrong in (national[:i] + national[i + 1 :], national[:i] + digit + national[i:]):
        with pytest.raises(ValidationFailed) as info:
            parse_phone(wrong)
        assert_identifier_error(info.value, "phone.format", "phone")


@NO_DEADLINE
@given(anything)
@example(10**5000)
@example("\ud800")
def test_any_input_gives_an_e164_mobile_or_a_phone_error(raw):
    try:
        e164 = parse_phone(raw)
    except ValidationFailed as exc:
        assert_identifier_error(exc, "phone.format", "phone")
    else:
        assert len(e164) == 14 and e164.startswith("+861") and e164[4] in "3456789"
        assert parse_phone(e164) == e164


# --- statistical division codes ----------------------------------------------------------------


@NO_DEADLINE
@given(region_codes(), st.sampled_from(["", " ", "\u3000"]), st.booleans())
def test_every_code_passes_in_its_short_and_full_width_forms(code, pad, full_width):
    short = codes.significant_prefix(code)
    assert code.startswith(short) and set(code[len(short) :]) <= {"0"}
    typed = "".join(chr(ord(c) + 0xFEE0) for c in short) if full_width else short
    assert codes.normalize(pad + typed + pad) == code
    assert codes.normalize(code) == code  # idempotent


@NO_DEADLINE
@given(region_codes())
def test_a_code_lies_in_its_ancestors_scopes_and_theirs_only(code):
    ancestors = codes.ancestor_codes(code)
    assert len(ancestors) == codes.level_of(code) - 1
    for ancestor in ancestors:
        low, high = codes.scope_range(codes.significant_prefix(ancestor))
        assert low <= code <= high
    low, high = codes.scope_range(codes.significant_prefix(code))
    assert low == code and high.startswith(codes.significant_prefix(code))


@NO_DEADLINE
@given(anything)
@example(10**5000)
@example("\ud800")
@example("330000001000")  # a township under a province with no city: not a code
def test_any_input_gives_a_region_code_or_a_region_error(raw):
    try:
        code = codes.normalize(raw)
    except ValidationFailed as exc:
        assert exc.code == "region.code_invalid"
        assert str(exc.message).strip()
    else:
        assert len(code) == 12 and code.isdigit() and code.isascii()
        assert codes.normalize(code) == code
