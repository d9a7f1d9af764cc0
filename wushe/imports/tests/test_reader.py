"""Reading files by content, not by name: formats, encodings, limits (no database)."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import pytest
from openpyxl import Workbook

from wushe.imports.errors import ImportFileError
from wushe.imports.reader import (
    CSV,
    FORMULA_NO_VALUE,
    XLSX,
    ErrorValue,
    check_zip,
    decode_text,
    open_table,
    sniff,
)

from .conftest import csv_bytes, rewrite_sheets, with_shared_strings, xlsx_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def refused(data: bytes, name: str = "名单.xlsx") -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        open_table(data, name)
    return caught.value


def test_xlsx_and_csv_are_recognised_whatever_their_name():
    assert sniff(xlsx_bytes([["姓名"]]), "名单.csv") == XLSX
    assert sniff(csv_bytes([["姓名"]]), "名单.xlsx") == CSV


def test_old_xls_is_refused_with_save_as_advice():
    error = refused(OLE2, "名单.xls")
    assert error.code == "import.file_type"
    assert (
        str(error.message) == "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入。"
    )
    assert refused(OLE2, "名单.xlsx").code == "import.file_type"


def test_wps_et_and_password_protected_files_say_what_they_are():
    assert "WPS" in str(refused(OLE2, "名单.et").message)
    encrypted = OLE2 + "EncryptedPackage".encode("utf-16-le")
    assert "密码" in str(refused(encrypted).message)


@pytest.mark.parametrize(
    ("data", "detected", "text"),
    [
        (PNG, "png", "图片"),
        (b"\xff\xd8\xff\xe0" + bytes(range(100)), "jpeg", "图片"),
        (b"%PDF-1.7\n" + bytes(range(100, 200)), "pdf", "PDF"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "html", "网页"),
        (b'<?xml version="1.0"?><Workbook/>', "xml", "XML"),
    ],
)
def test_non_spreadsheets_get_a_clear_chinese_message(data, detected, text):
    error = refused(data)
    assert error.code == "import.file_type"
    assert error.fields["detected"] == detected
    assert text in str(error.message)


def test_random_bytes_are_refused_not_crashed():
    error = refused(bytes(range(256)) * 40 + os.urandom(4096), "data.xlsx")
    assert error.code == "import.file_type"
    assert "无法识别" in str(error.message)


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zips_that_are_not_xlsx():
    assert refused(zip_of({"a.txt": b"hello"})).fields["detected"] == "zip"
    assert refused(zip_of({"word/document.xml": b"<w/>"})).fields["detected"] == "docx"
    assert refused(zip_of({"Index/Document.iwa": b"x"})).fields["detected"] == "numbers"
    assert refused(zip_of({"xl/workbook.bin": b"x"})).fields["detected"] == "xlsb"
    assert refused(b"PK\x03\x04" + os.urandom(200)).code == "import.file_corrupt"


def test_zip_bomb_is_refused_before_openpyxl_opens_it():
    bomb = zip_of(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"\x00" * (8 * 1024 * 1024),
        }
    )
    assert len(bomb) < 100_000
    error = refused(bomb)
    assert error.code == "import.zip_bomb"
    with pytest.raises(ImportFileError) as caught:
        check_zip(xlsx_bytes([["姓名"]]), max_uncompressed=1000, max_ratio=1000, max_entries=100)
    assert caught.value.code == "import.zip_bomb"


def _lying_zip(declared: int) -> bytes:
    """A zip whose central directory claims a small size for a big compressed entry."""
    payload = zlib.compress(b"A" * (4 * 1024 * 1024))[2:-4]
    name = b"xl/workbook.xml"
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(payload), declared, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        0,
        len(payload),
        declared,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    end = struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        1,
        1,
        len(central) + len(name),
        len(local) + len(name) + len(payload),
        0,
    )
    return local + name + payload + central + name + end


def test_an_archive_lying_about_its_size_is_never_inflated():
    error = refused(_lying_zip(declared=10))
    assert error.code == "import.file_corrupt"


def test_formulas_read_as_their_results_or_as_missing_results():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "人数", "人数2", "人数3"])
    sheet.append(["张三", "=1+1", "=2+2", "#REF!"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl saves formulas without results, like many programs that are not Excel; Excel
    # saves the result next to the formula.
    data = rewrite_sheets(buffer.getvalue(), {"<f>2+2</f><v />": "<f>2+2</f><v>4</v>"})
    with open_table(data, "a.xlsx") as table:
        rows = list(table.sheets[0].rows())
    assert rows[1] == (2, ["张三", FORMULA_NO_VALUE, 4, ErrorValue("#REF!")])


def test_rows_keep_their_real_sheet_numbers_and_merged_cells_read_as_empty():
    data = xlsx_bytes(
        [["海宁市居民信息登记表"], ["姓名", "联系方式", None], [None, "手机号码", "固定电话"]],
        merges=["A1:C1", "B2:C2", "A2:A3"],
    )
    with open_table(data, "a.xlsx") as table:
        rows = list(table.sheets[0].rows())
    assert rows[0] == (1, ["海宁市居民信息登记表"])
    assert rows[1][0] == 2 and rows[1][1][:2] == ["姓名", "联系方式"]
    assert rows[2][0] == 3 and rows[2][1][:3] == [None, "手机号码", "固定电话"]


def test_csv_encodings_are_detected():
    text = "姓名,身份证号\n张三,330481199001011234\n"
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8"))[1] == "utf-8-sig"
    assert decode_text(text.encode("gbk")) == (text, "gb18030")
    assert decode_text(text.encode("utf-16"))[1] == "utf-16"
    for data in (text.encode("gbk"), b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16")):
        with open_table(data, "名单.csv") as table:
            assert list(table.sheets[0].rows())[1] == (2, ["张三", "330481199001011234"])


def test_tab_separated_unicode_text_from_excel():
    data = "姓名\t身份证号\r\n张三\t330481199001011234\r\n".encode("utf-16")
    with open_table(data, "名单.txt") as table:
        assert list(table.sheets[0].rows())[1] == (2, ["张三", "330481199001011234"])


def test_empty_files_have_no_header():
    assert refused(b"").code == "import.no_header"
    assert refused(b"\xef\xbb\xbf\r\n").code == "import.no_header"


def test_shared_strings_rich_text_and_phonetic_runs_as_excel_saves_them():
    data = with_shared_strings(
        xlsx_bytes([["姓名", "备注"], ["张三", "SHARED2"]]),
        extra=[
            '<si><r><rPr><b/></rPr><t>南关</t></r><r><t xml:space="preserve">厢 &amp; 东山</t>'
            '</r><rPh sb="0" eb="1"><t>ナン</t></rPh></si>'
        ],
    )
    data = rewrite_sheets(data, {'<c r="B2" t="s"><v>3</v></c>': '<c r="B2" t="s"><v>4</v></c>'})
    with open_table(data, "a.xlsx") as table:
        rows = list(table.sheets[0].rows())
    assert rows == [(1, ["姓名", "备注"]), (2, ["张三", "南关厢 & 东山"])]


def test_date_styles_booleans_and_the_1904_calendar():
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "是否", "数字"])
    sheet.append([datetime(2024, 1, 5), True, 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with open_table(buffer.getvalue(), "a.xlsx") as table:
        assert list(table.sheets[0].rows())[1] == (2, [datetime(2024, 1, 5), True, 12])
    # A Chinese-locale date format (numFmtId 58, no numFmt entry) and a Mac 1904 workbook.
    patched = rewrite_sheets(buffer.getvalue(), {"<v>12</v>": "<v>0</v>"})
    source = zipfile.ZipFile(io.BytesIO(patched))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = content.replace(b"<workbookPr", b'<workbookPr date1904="1"', 1)
                if b"<workbookPr" not in content:
                    content = content.replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>')
            target.writestr(item, content)
    with open_table(out.getvalue(), "a.xlsx") as table:
        assert table.epoch.year == 1904


def test_a_dtd_in_the_sheet_is_refused():
    data = rewrite_sheets(
        xlsx_bytes([["姓名"], ["张三"]]),
        {"<worksheet": '<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet'},
    )
    with pytest.raises(ImportFileError) as caught, open_table(data, "a.xlsx") as table:
        list(table.sheets[0].rows())
    assert caught.value.code == "import.file_corrupt"


def test_hidden_sheets_and_dimensions():
    workbook = Workbook()
    workbook.active.append(["姓名"])
    hidden = workbook.create_sheet("选项")
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with open_table(buffer.getvalue(), "a.xlsx") as table:
        assert [(s.name, s.visible) for s in table.sheets] == [("Sheet", True), ("选项", False)]
        assert table.sheets[0].estimated_rows == 1
