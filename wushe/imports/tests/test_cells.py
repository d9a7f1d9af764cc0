"""Messy cells → clean values, or a per-cell rule and a Chinese message (no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl.utils.datetime import WINDOWS_EPOCH

from wushe.imports.adapters import Column, Kind
from wushe.imports.cells import CellError, cell_text, converter_for
from wushe.imports.reader import FORMULA_NO_VALUE, ErrorValue

from .conftest import ID_A

TODAY = date(2025, 6, 1)


def convert(kind: str, value, **column):
    column.setdefault("choices", ())
    return converter_for(Column("f", "列", kind=kind, **column), today=TODAY, epoch=WINDOWS_EPOCH)(
        value
    )


def rule(kind: str, value, **column) -> CellError:
    with pytest.raises(CellError) as caught:
        convert(kind, value, **column)
    return caught.value


def test_text_is_nfkc_normalised_and_spaces_folded():
    assert convert(Kind.TEXT, "  张　三  ") == "张 三"
    assert convert(Kind.TEXT, "ＡＢＣ１２３") == "ABC123"
    assert convert(Kind.TEXT, "南关厢\n 7 号") == "南关厢 7 号"
    assert convert(Kind.TEXT, 12.0) == "12"
    assert rule(Kind.TEXT, "很长的名字", max_length=3).rule == "too_long"


def test_id_numbers_full_width_lower_x_and_spaces():
    body = "11010519491231002"
    assert convert(Kind.ID_NUMBER, "１１０１０５１９４９１２３１００２ｘ").number == body + "X"
    assert convert(Kind.ID_NUMBER, f" {body}x ").number == body + "X"
    assert convert(Kind.ID_NUMBER, ID_A[:6] + " " + ID_A[6:]).number == ID_A


@pytest.mark.parametrize(
    "value", ["3.30481E+17", "3.30481199001011E+17", 3.30481199001011e17, 330481199001011000]
)
def test_id_numbers_excel_turned_into_numbers_are_rejected_with_the_reason(value):
    error = rule(Kind.ID_NUMBER, value)
    assert error.rule == "excel_number"
    assert "文本" in str(error.message)


def test_id_number_checksum():
    wrong = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    assert rule(Kind.ID_NUMBER, wrong).rule == "checksum"


@pytest.mark.parametrize(
    "value",
    [
        "2024/1/5",
        "2024-01-05",
        "2024.1.5",
        "2024年1月5日",
        "２０２４年１月５日",
        "20240105",
        20240105,
        "2024-01-05 00:00:00",
        datetime(2024, 1, 5, 0, 0),
        date(2024, 1, 5),
        45296,
        45296.0,
        "45296",
    ],
)
def test_dates_in_every_style_people_use(value):
    assert convert(Kind.DATE, value) == date(2024, 1, 5)


@pytest.mark.parametrize("value", ["2024/2/30", "去年", "2024", 2024, "1/5/2024", "2024-13-01"])
def test_bad_dates_are_errors(value):
    error = rule(Kind.DATE, value)
    assert error.rule == "date"
    assert str(error.message)


def test_money_in_fen_through_decimal():
    assert convert(Kind.MONEY_FEN, "1,234.5") == 123450
    assert convert(Kind.MONEY_FEN, "￥1234.56元") == 123456
    assert convert(Kind.MONEY_FEN, 19.99) == 1999  # 19.99 * 100 == 1998.9999999999998 as float
    assert convert(Kind.MONEY_FEN, 1234) == 123400
    assert rule(Kind.MONEY_FEN, "12.345").rule == "money"
    assert rule(Kind.MONEY_FEN, "-5").rule == "money"
    assert rule(Kind.MONEY_FEN, "很多").rule == "money"


def test_integers():
    assert convert(Kind.INT, "３") == 3
    assert convert(Kind.INT, "3.0") == 3
    assert convert(Kind.INT, 4.0) == 4
    assert convert(Kind.INT, "1,200") == 1200
    assert rule(Kind.INT, "3.5").rule == "int"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("√", True),
        ("×", False),
        (1, True),
        (0, False),
        ("TRUE", True),
        ("有", True),
        ("无", False),
        (True, True),
    ],
)
def test_yes_no(value, expected):
    assert convert(Kind.BOOL, value) is expected


def test_choices_accept_value_or_chinese_label():
    choices = (("male", "男"), ("female", "女"))
    assert convert(Kind.CHOICE, "男", choices=choices) == "male"
    assert convert(Kind.CHOICE, "FEMALE", choices=choices) == "female"
    error = rule(Kind.CHOICE, "未知", choices=choices)
    assert error.rule == "choice" and "男、女" in str(error.message)


def test_multi_values_split_on_chinese_and_western_separators():
    assert convert(Kind.MULTI, "低保、空巢，独居;低保 / 残疾人") == [
        "低保",
        "空巢",
        "独居",
        "残疾人",
    ]


def test_phone_numbers():
    assert convert(Kind.PHONE, "138 1234 5678") == "+8613812345678"
    assert convert(Kind.PHONE, 13812345678) == "+8613812345678"
    assert convert(Kind.PHONE, "１３８１２３４５６７８") == "+8613812345678"
    assert rule(Kind.PHONE, "0573-87654321").rule == "format"


def test_formula_cells_without_results_and_error_cells():
    error = rule(Kind.TEXT, FORMULA_NO_VALUE)
    assert error.rule == "formula"
    assert str(error.message) == "该单元格是公式且没有计算结果，请复制后“粘贴为数值”再导入"
    assert "#REF!" in str(rule(Kind.DATE, ErrorValue("#REF!")).message)


def test_cell_text_of_odd_values():
    assert cell_text(True) == "是"
    assert cell_text(datetime(2024, 1, 5, 8, 30)) == "2024-01-05 08:30:00"
    assert cell_text(0.1) == "0.1"


def test_numbers_beyond_the_column_limit_name_the_cell():
    # Without a max_value, the storage limit: PostgreSQL refused more with a DataError.
    assert convert(Kind.INT, 2**31 - 1) == 2**31 - 1
    assert rule(Kind.INT, 2**31).rule == "too_large"
    assert rule(Kind.INT, "1,000,000,000,000").rule == "too_large"
    assert convert(Kind.INT, 100_000, max_value=100_000) == 100_000
    error = rule(Kind.INT, 10**12, max_value=100_000)
    assert error.rule == "too_large"
    assert "100000" in str(error.message)
    assert rule(Kind.MONEY_FEN, "1e20").rule == "too_large"
    assert rule(Kind.MONEY_FEN, "12.50", max_value=1000).rule == "too_large"
