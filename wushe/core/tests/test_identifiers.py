"""Identifier checks (domain.md §3). Expected check characters are computed here with small
reference implementations written straight from the standards, independent of the module."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from wushe.core.errors import ValidationFailed
from wushe.core.identifiers import (
    CREDIT_CODE_WARNINGS,
    CreditCode,
    IdNumber,
    age_on,
    normalize_text,
    parse_credit_code,
    parse_id_number,
    parse_phone,
)

TODAY = date(2025, 6, 1)

# --- reference implementations (GB 11643, GB 32100, GB 11714) ----------------------------------

ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def ref_id_check(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_W, strict=True)) % 11]


def ref_uscc_check(body: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, USCC_W, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def ref_org_check(body: str) -> str:
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, [3, 7, 9, 10, 5, 8, 4, 2], strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def test_reference_weights_are_powers_of_three_mod_31():
    assert [pow(3, i, 31) for i in range(17)] == USCC_W


def error_of(func, raw, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        func(raw, **kwargs)
    exc = info.value
    assert exc.status == 422
    message = str(exc.message)
    assert message
    return exc


def id_error(raw, today: date = TODAY) -> ValidationFailed:
    exc = error_of(parse_id_number, raw, today=today)
    assert list(exc.fields) == ["id_number"]
    return exc


# --- normalize_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  11010519491231002x ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("110105 1949 1231 002X", "11010519491231002X"),
        ("110105-19491231-002X", "11010519491231002X"),
        ("110105\u300019491231－002Ｘ", "11010519491231002X"),
        ("'11010519491231002X", "11010519491231002X"),
        ("\ufeff91110000600037341l\u200b", "91110000600037341L"),
        (None, ""),
        (123, "123"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


# --- ID numbers --------------------------------------------------------------------------------


def test_published_examples_parse():
    first = parse_id_number("11010519491231002X", today=TODAY)
    assert first == IdNumber(
        number="11010519491231002X",
        birth_date=date(1949, 12, 31),
        sex="female",  # sequence 002: even
        kind="resident",
        upgraded_from_15=False,
        address_code="110105",
    )
    second = parse_id_number("440524188001010014", today=TODAY)
    assert second.birth_date == date(1880, 1, 1)
    assert second.sex == "male"  # sequence 001: odd
    assert second.address_code == "440524"


def test_id_number_is_immutable():
    parsed = parse_id_number("440524188001010014", today=TODAY)
    with pytest.raises(AttributeError):
        parsed.number = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
    ],
)
def test_lower_case_x_full_width_and_separators_are_accepted_and_stored_upper(raw):
    assert parse_id_number(raw, today=TODAY).number == "11010519491231002X"


def test_fifteen_digit_number_is_upgraded_by_inserting_19_and_computing_the_check():
    # 330481 900101 123 -> 330481 19900101 123 + check.
    # Σ = 3·7+3·9+0·10+4·5+8·8+1·4+1·2+9·1+9·6+0·3+0·7+1·9+0·10+1·5+1·8+2·4+3·2 = 237;
    # 237 mod 11 = 6; "10X98765432"[6] = "6".
    parsed = parse_id_number("330481900101123", today=TODAY)
    assert parsed.number == "330481199001011236"
    assert parsed.upgraded_from_15 is True
    assert parsed.birth_date == date(1990, 1, 1)
    assert parsed.sex == "male"
    assert ref_id_check("33048119900101123") == "6"
    # The 18-character form parses to the same person, not flagged as upgraded.
    assert parse_id_number("330481199001011236", today=TODAY).upgraded_from_15 is False


def test_fifteen_digit_number_from_a_spreadsheet_number_cell_is_exact():
    assert parse_id_number(330481900101123, today=TODAY).number == "330481199001011236"
    assert parse_id_number(330481900101123.0, today=TODAY).number == "330481199001011236"


@pytest.mark.parametrize("sequence", ["996", "997", "998", "999"])
def test_fifteen_digit_sequence_996_to_999_means_born_in_the_1800s(sequence):
    body = "110105" + "18" + "990101" + sequence
    parsed = parse_id_number("110105990101" + sequence, today=TODAY)
    assert parsed.number == body + ref_id_check(body)
    assert parsed.birth_date == date(1899, 1, 1)
    assert parsed.upgraded_from_15


def test_fifteen_digit_sequence_997_by_hand():
    # 110105 18990101 997: Σ = 268, 268 mod 11 = 4, "10X98765432"[4] = "8".
    assert parse_id_number("110105990101997", today=TODAY).number == "110105189901019978"


def test_sequence_995_stays_in_the_1900s():
    assert parse_id_number("110105990101995", today=TODAY).birth_date == date(1999, 1, 1)


def test_permanent_residence_card_starting_with_9_uses_the_same_check():
    # 9 + 11 (province) + 840 (nationality) + 19900101 + 001: Σ = 235, mod 11 = 4 -> "8".
    parsed = parse_id_number("911840199001010018", today=TODAY)
    assert parsed.kind == "permanent_residence"
    assert parsed.birth_date == date(1990, 1, 1)
    assert parsed.sex == "male"
    assert id_error("911840199001010017").code == "id_number.checksum"


def test_unknown_address_codes_are_not_rejected():
    body = "12345619900101123"
    assert parse_id_number(body + ref_id_check(body), today=TODAY).address_code == "123456"


def test_birth_date_in_the_future_is_rejected():
    body = "33048120300101123"
    assert id_error(body + ref_id_check(body)).code == "id_number.birth_date"


def test_birth_date_today_is_accepted_and_tomorrow_is_not():
    body = "33048120250601123"
    number = body + ref_id_check(body)
    assert parse_id_number(number, today=date(2025, 6, 1)).birth_date == date(2025, 6, 1)
    assert id_error(number, today=date(2025, 5, 31)).code == "id_number.birth_date"


def test_default_today_rejects_a_far_future_birth_date():
    body = "33048129990101123"
    with pytest.raises(ValidationFailed) as info:
        parse_id_number(body + ref_id_check(body))
    assert info.value.code == "id_number.birth_date"


@pytest.mark.parametrize(
    "birth", ["19900230", "19900229", "19901301", "19900001", "19900132", "00000101", "17991231"]
)
def test_impossible_birth_dates_are_rejected(birth):
    body = "330481" + birth + "123"
    assert id_error(body + ref_id_check(body)).code == "id_number.birth_date"


def test_leap_day_is_a_real_birth_date():
    body = "33048120000229123"
    assert parse_id_number(body + ref_id_check(body), today=TODAY).birth_date == date(2000, 2, 29)


def test_impossible_date_in_the_fifteen_digit_form_is_rejected():
    assert id_error("330481900230123").code == "id_number.birth_date"


@pytest.mark.parametrize("raw", ["110105194912310021", "110105194912310029", "440524188001010015"])
def test_wrong_check_character_is_rejected(raw):
    exc = id_error(raw)
    assert exc.code == "id_number.checksum"
    with translation.override("zh-hans"):
        assert "校验" in str(exc.message)


def test_wrong_check_ending_in_000_hints_at_the_spreadsheet():
    exc = id_error("330481199001011000")
    assert exc.code == "id_number.checksum"
    with translation.override("zh-hans"):
        assert "文本" in str(exc.message)


@pytest.mark.parametrize(
    "raw",
    [
        "3.30481E+17",
        "3.30481e+17",
        "3.30481199001011E+17",
        "３.３０４８１Ｅ＋１７",
        "330481199001011000.0",
        "330481199001011236.0",
        "3.30481199001011E17",
        330481199001011000.0,
        3.30481199001011e17,
        float("inf"),
        float(330481199001011236),  # a float cannot hold 18 digits
        330481199001011000,  # int that lost its last digits in Excel
        330481000000000000,  # int of 3.30481E+17: even the birth date is gone
        int(float(330481199001011236)),  # int that went through a float
        Decimal("3.30481E+17"),
        Decimal("330481199001011000"),
    ],
)
def test_spreadsheet_numbers_that_lost_digits_get_a_clear_error(raw):
    exc = id_error(raw)
    assert exc.code == "id_number.excel_number"
    with translation.override("zh-hans"):
        message = str(exc.message)
    assert "数字" in message
    assert "丢失" in message
    assert "文本" in message
    assert exc.fields["id_number"] == [message]


def test_an_int_with_all_its_digits_is_fine():
    assert parse_id_number(330481199001011236, today=TODAY).number == "330481199001011236"
    assert parse_id_number(440524188001010014, today=TODAY).number == "440524188001010014"
    assert parse_id_number(Decimal("440524188001010014"), today=TODAY).sex == "male"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        float("nan"),
        "1101051949123100",  # 16 digits
        "1101051949123100X",  # 17 characters
        "11010519491231002X1",
        "11010519491231002Y",
        "1101051949123X002X",
        "X1010519491231002X",
        "ABCDEFGHIJKLMNOPQR",
        "11010519491231OO2X",
        "１１０１０５",
        -330481199001011236,
        True,
        [1, 2, 3],
        object(),
    ],
)
def test_malformed_id_numbers_are_format_errors(raw):
    assert id_error(raw).code == "id_number.format"


def test_wrong_length_message_says_how_many_digits_were_given():
    exc = id_error("1101051949123100")
    with translation.override("zh-hans"):
        assert "16" in str(exc.message)
        assert "18" in str(exc.message)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1990, 6, 15), date(2025, 6, 14), 34),
        (date(1990, 6, 15), date(2025, 6, 15), 35),
        (date(1990, 6, 15), date(2025, 12, 31), 35),
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2025, 6, 1), date(2025, 6, 1), 0),
    ],
)
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


# --- ID number properties ----------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1800, 1, 1), max_value=TODAY)
address_codes = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
sequences = st.from_regex(r"[0-9]{3}", fullmatch=True)


@st.composite
def valid_id_numbers(draw) -> tuple[str, date]:
    born = draw(birth_dates)
    body = draw(address_codes) + born.strftime("%Y%m%d") + draw(sequences)
    return body + ref_id_check(body), born


@given(valid_id_numbers())
def test_valid_bodies_with_their_check_always_parse_and_round_trip(case):
    number, born = case
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.sex == ("male" if int(number[16]) % 2 else "female")
    assert parsed.kind == ("permanent_residence" if number[0] == "9" else "resident")
    assert parsed.address_code == number[:6]
    assert not parsed.upgraded_from_15
    assert parse_id_number(parsed.number, today=TODAY) == parsed
    assert parse_id_number(number.lower(), today=TODAY) == parsed
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert parse_id_number(full_width, today=TODAY) == parsed


@given(valid_id_numbers(), st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_single_character_always_fails(case, position, data):
    number, _born = case
    choices = "0123456789X" if position == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in choices if c != number[position]]))
    changed = number[:position] + new + number[position + 1 :]
    with pytest.raises(ValidationFailed) as info:
        parse_id_number(changed, today=TODAY)
    assert info.value.code in {"id_number.checksum", "id_number.birth_date"}


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    address_codes,
    st.integers(min_value=0, max_value=995).map(lambda n: f"{n:03d}"),
)
def test_fifteen_digit_numbers_upgrade_to_a_valid_eighteen_character_number(born, address, seq):
    legacy = address + born.strftime("%y%m%d") + seq
    body = address + born.strftime("%Y%m%d") + seq
    parsed = parse_id_number(legacy, today=TODAY)
    assert parsed.number == body + ref_id_check(body)
    assert parsed.upgraded_from_15
    assert parse_id_number(parsed.number, today=TODAY).birth_date == born


@given(
    st.one_of(
        st.none(),
        st.text(max_size=30),
        st.from_regex(r"[0-9xX.Ee+ -]{0,22}", fullmatch=True),
        st.integers(),
        st.floats(),
        st.decimals(),
        st.booleans(),
    )
)
def test_any_input_gives_a_result_or_an_id_number_error_never_a_crash(raw):
    try:
        parsed = parse_id_number(raw, today=TODAY)
    except ValidationFailed as exc:
        assert exc.code.startswith("id_number.")
        assert str(exc.message)
    else:
        assert len(parsed.number) == 18


# --- credit codes ------------------------------------------------------------------------------


def credit_error(raw) -> ValidationFailed:
    exc = error_of(parse_credit_code, raw)
    assert list(exc.fields) == ["credit_code"]
    return exc


def test_published_credit_code_parses_into_its_parts():
    assert parse_credit_code("91110000600037341L") == CreditCode(
        code="91110000600037341L",
        department="9",
        org_type="1",
        region_code="110000",
        org_code="600037341",
        warnings=(),
    )
    assert ref_uscc_check("91110000600037341") == "L"
    assert ref_org_check("60003734") == "1"


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "911100006-00037341-L",
        "９１１１００００６０００３７３４１Ｌ",
        "９１１１００００６０００３７３４１ｌ",
    ],
)
def test_credit_code_spellings_are_normalised(raw):
    assert parse_credit_code(raw).code == "91110000600037341L"


@pytest.mark.parametrize(
    ("code", "department", "org_type"),
    [
        ("N2330481MA2K3C4E8Y", "N", "2"),  # 农业 department: stdnum's cn.uscc rejects these
        ("Y1330481MA2K3C4E8R", "Y", "1"),
        ("51330481MA2K3C4E8K", "5", "1"),  # 民政, 社会团体
        ("52330481MA2K3C4E8G", "5", "2"),  # 民政, 民办非企业单位
    ],
)
def test_codes_starting_with_a_letter_or_from_civil_affairs_are_valid(code, department, org_type):
    assert ref_uscc_check(code[:17]) == code[17]
    assert ref_org_check(code[8:16]) == code[16]
    parsed = parse_credit_code(code)
    assert (parsed.department, parsed.org_type, parsed.region_code) == (
        department,
        org_type,
        "330481",
    )
    assert parsed.org_code == "MA2K3C4E8"
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    "code",
    [
        "9133048100000006X3",  # organisation check 10 -> X
        "913304810000000003",  # organisation check 11 -> 0
    ],
)
def test_organisation_check_10_is_x_and_11_is_zero(code):
    assert ref_uscc_check(code[:17]) == code[17]
    assert parse_credit_code(code).warnings == ()


def test_organisation_code_mismatch_is_only_a_warning():
    # Organisation code 12345678 should end in 8; this one ends in 0. The outer check is right.
    code = "52330481123456780" + ref_uscc_check("52330481123456780")
    parsed = parse_credit_code(code)
    assert parsed.code == code
    assert parsed.org_code == "123456780"
    assert parsed.warnings == ("credit_code.org_code_checksum",)
    with translation.override("zh-hans"):
        assert "组织机构代码" in str(CREDIT_CODE_WARNINGS["credit_code.org_code_checksum"])


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341I",
        "9111OOOO600037341L",
        "Z1110000600037341L",
        "S1110000600037341L",
        "V1110000600037341L",
        "91110000600037341o",
    ],
)
def test_letters_that_never_occur_are_format_errors(raw):
    exc = credit_error(raw)
    assert exc.code == "credit_code.format"
    with translation.override("zh-hans"):
        assert "I、O、Z、S、V" in str(exc.message)


@pytest.mark.parametrize(
    "raw",
    [None, "", "9111000060003734", "91110000600037341L0", "91110000#600037341", "统一社会信用代码"],
)
def test_malformed_credit_codes_are_format_errors(raw):
    assert credit_error(raw).code == "credit_code.format"


@pytest.mark.parametrize("raw", ["91110000600037341M", "91110000600037342L", "N2330481MA2K3C4E8R"])
def test_wrong_credit_check_character_is_rejected(raw):
    assert credit_error(raw).code == "credit_code.checksum"


credit_bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(credit_bodies)
def test_any_body_with_its_computed_check_parses(body):
    code = body + ref_uscc_check(body)
    parsed = parse_credit_code(code)
    assert parsed.code == code
    assert (parsed.department, parsed.org_type) == (body[0], body[1])
    assert (parsed.region_code, parsed.org_code) == (body[2:8], body[8:17])
    assert parse_credit_code(code.lower()) == parsed
    expected = () if ref_org_check(body[8:16]) == body[16] else ("credit_code.org_code_checksum",)
    assert parsed.warnings == expected


@given(credit_bodies, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_single_credit_character_always_fails(body, position, data):
    code = body + ref_uscc_check(body)
    new = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    with pytest.raises(ValidationFailed) as info:
        parse_credit_code(code[:position] + new + code[position + 1 :])
    assert info.value.code == "credit_code.checksum"


@given(credit_bodies, st.integers(min_value=0, max_value=17), st.sampled_from("IOZSV"))
def test_a_forbidden_letter_anywhere_is_a_format_error(body, position, letter):
    code = body + ref_uscc_check(body)
    with pytest.raises(ValidationFailed) as info:
        parse_credit_code(code[:position] + letter + code[position + 1 :])
    assert info.value.code == "credit_code.format"


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats()))
def test_any_input_gives_a_credit_code_or_a_credit_code_error(raw):
    try:
        parse_credit_code(raw)
    except ValidationFailed as exc:
        assert exc.code.startswith("credit_code.")


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "(+86) 138 1234 5678",
        "008613812345678",
        "0086 138 1234 5678",
        "8613812345678",
        "86 13812345678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
        13812345678,
        13812345678.0,
        "13812345678.0",
        "\u200b13812345678",
    ],
)
def test_mobile_spellings_become_e164(raw):
    assert parse_phone(raw) == "+8613812345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_prefix_is_accepted(prefix):
    assert parse_phone(prefix + "912345678") == "+86" + prefix + "912345678"


@pytest.mark.parametrize(
    "raw",
    [
        "0571-87654321",
        "057187654321",
        "010-12345678",
        "(0571) 8765 4321",
        "+86 571 8765 4321",
        "+86 10 1234 5678",
        "87654321",
        "8765432",
    ],
)
def test_landlines_are_rejected_with_a_mobile_only_message(raw):
    exc = error_of(parse_phone, raw)
    assert exc.code == "phone.format"
    assert list(exc.fields) == ["phone"]
    with translation.override("zh-hans"):
        assert "固定电话" in str(exc.message)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "12812345678",  # no 12x mobile prefix
        "10812345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+85213812345678",
        "+1 138 1234 5678",
        "138123456780000",
        "138l2345678",
        "400-800-8888",
        "13812345678转123",
        13812345678.5,
        "电话",
        True,
    ],
)
def test_other_numbers_are_rejected(raw):
    exc = error_of(parse_phone, raw)
    assert exc.code == "phone.format"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mobile_number_round_trips(national):
    e164 = parse_phone(national)
    assert e164 == "+86" + national
    assert parse_phone(e164) == e164
    assert parse_phone(f"{national[:3]} {national[3:7]}-{national[7:]}") == e164


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats()))
def test_any_input_gives_a_phone_or_a_phone_error(raw):
    try:
        parse_phone(raw)
    except ValidationFailed as exc:
        assert exc.code == "phone.format"
