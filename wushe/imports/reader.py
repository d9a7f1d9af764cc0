"""Reading uploaded spreadsheets: pure, no ORM.

The format is decided by the file's *content*, never by its name: people rename files, and
systems export HTML or old .xls files named .xlsx. Accepted: .xlsx (also .xlsm) and delimited
text (CSV/TSV) in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or
GB18030/GBK (Excel in China saves CSV as GBK). Everything else is refused with
`import.file_type` and a message that says what the file is and what to do.

.xlsx files are zip archives: the declared sizes of the entries are checked before openpyxl
opens anything (`import.zip_bomb`); Python's zipfile never inflates an entry past its declared
size, so the check holds even against archives that lie.

Rows come out as `(row_number, values)` with the sheet's real 1-based row number; values are
what the cell holds (str, int, float, bool, datetime …), `None` when empty, `FORMULA_NO_VALUE`
for a formula without a cached result and an `ErrorValue` for Excel errors such as `#REF!`.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import WINDOWS_EPOCH
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from .errors import ImportFileError

XLSX = "xlsx"
CSV = "csv"

MAX_COLUMNS = 500  # cells further right are ignored (a hostile file could name column XFD)
_MIB = 1024 * 1024

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


class _FormulaNoValue:
    """A formula cell saved without its result (made by a program, not by Excel)."""

    _instance: _FormulaNoValue | None = None

    def __new__(cls) -> _FormulaNoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "FORMULA_NO_VALUE"

    def __str__(self) -> str:
        return "=…"


FORMULA_NO_VALUE = _FormulaNoValue()


@dataclass(frozen=True)
class ErrorValue:
    """An Excel error shown in the cell (#REF!, #N/A, #DIV/0! …)."""

    text: str

    def __str__(self) -> str:
        return self.text


def _refuse(message: Any, detected: str, code: str = "import.file_type") -> ImportFileError:
    return ImportFileError(message, code=code, fields={"detected": detected})


# --- sniffing ------------------------------------------------------------------------------


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(data: bytes, filename: str = "") -> str:
    """`XLSX` or `CSV` from the bytes; raises ImportFileError for anything else."""
    bare = data
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        bare = bare.removeprefix(bom)
    if not bare.strip(b" \t\r\n\x00"):
        raise _refuse(_("文件是空的，没有任何内容。"), "empty", code="import.no_header")
    ext = _extension(filename)
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in data[: 64 * 1024] or _ENCRYPTED_PACKAGE in data[-64 * 1024 :]:
            raise _refuse(
                _("文件设置了打开密码，无法读取。请在 Excel 中取消密码后另存为 .xlsx 再导入。"),
                "encrypted",
            )
        if ext == "et":
            raise _refuse(
                _("这是 WPS 表格（.et）文件，请在 WPS 中“另存为” Excel 文件（.xlsx）后再导入。"),
                "et",
            )
        raise _refuse(
            _("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入。"), "xls"
        )
    if data.startswith(ZIP_MAGICS):
        return _sniff_zip(data)
    for magic, detected, message in _BINARY_SIGNATURES:
        if data.startswith(magic) and (detected != "webp" or data[8:12] == b"WEBP"):
            raise _refuse(message, detected)
    head = data[:65536]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return CSV
    if b"\x00" in head:
        raise _refuse(
            _("无法识别的文件格式（不是表格文件）。请上传 Excel 文件（.xlsx）或 CSV 文件。"),
            "binary",
        )
    text = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) or (
        text.startswith(b"<") and b"<table" in text
    ):
        raise _refuse(
            _(
                "这是网页（HTML）格式的文件，只是名字像表格（常见于从其他系统导出的 .xls）。"
                "请用 Excel 打开后“另存为” .xlsx 再导入。"
            ),
            "html",
        )
    if text.startswith(b"<?xml"):
        raise _refuse(
            _(
                "这是 XML 格式的文件（例如“XML 电子表格 2003”）。"
                "请用 Excel 打开后“另存为” .xlsx 再导入。"
            ),
            "xml",
        )
    if text.startswith(b"{\\rtf"):
        raise _refuse(_("这是 RTF 文档，不是表格。请上传 .xlsx 或 CSV 文件。"), "rtf")
    return CSV


_IMAGE = _(
    "这是图片文件，不是表格。请上传 Excel 文件（.xlsx）或 CSV 文件；纸质表格请先录入到模板中。"
)
_BINARY_SIGNATURES: tuple[tuple[bytes, str, Any], ...] = (
    (b"%PDF", "pdf", _("这是 PDF 文件，不是表格。请上传 Excel 文件（.xlsx）或 CSV 文件。")),
    (b"\x89PNG", "png", _IMAGE),
    (b"\xff\xd8\xff", "jpeg", _IMAGE),
    (b"GIF8", "gif", _IMAGE),
    (b"BM", "bmp", _IMAGE),
    (b"RIFF", "webp", _IMAGE),
    (b"II*\x00", "tiff", _IMAGE),
    (b"MM\x00*", "tiff", _IMAGE),
    (b"\x1f\x8b", "gzip", _("这是压缩包（.gz），请解压后上传其中的 .xlsx 或 CSV 文件。")),
    (b"Rar!", "rar", _("这是压缩包（.rar），请解压后上传其中的 .xlsx 或 CSV 文件。")),
    (b"7z\xbc\xaf\x27\x1c", "7z", _("这是压缩包（.7z），请解压后上传其中的 .xlsx 或 CSV 文件。")),
)


def _sniff_zip(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refuse(
            _("文件已损坏或不完整（可能没有上传完），请重新保存后再试。"),
            "zip",
            code="import.file_corrupt",
        ) from None
    if "xl/workbook.xml" in names:
        return XLSX
    if "xl/workbook.bin" in names:
        raise _refuse(
            _("这是 Excel 二进制工作簿（.xlsb），请在 Excel 中“另存为” .xlsx 后再导入。"), "xlsb"
        )
    if any(name.startswith("Index/") for name in names) or "Index.zip" in names:
        raise _refuse(
            _("这是 Numbers 表格文件，请在 Numbers 中“导出为” Excel（.xlsx）后再导入。"), "numbers"
        )
    if "mimetype" in names and "content.xml" in names:
        raise _refuse(
            _("这是 OpenDocument 表格（.ods），请“另存为” Excel 文件（.xlsx）后再导入。"), "ods"
        )
    if "word/document.xml" in names:
        raise _refuse(_("这是 Word 文档，不是表格。请上传 .xlsx 或 CSV 文件。"), "docx")
    if "ppt/presentation.xml" in names:
        raise _refuse(_("这是 PowerPoint 演示文稿，不是表格。请上传 .xlsx 或 CSV 文件。"), "pptx")
    raise _refuse(
        _("这是一个压缩包（.zip），不是表格。请解压后上传其中的 .xlsx 或 CSV 文件。"), "zip"
    )


def check_zip(data: bytes, *, max_uncompressed: int, max_ratio: int, max_entries: int) -> None:
    """Refuse archives that would inflate to far more than they weigh (zip bombs)."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refuse(
            _("文件已损坏或不完整（可能没有上传完），请重新保存后再试。"),
            "zip",
            code="import.file_corrupt",
        ) from None
    bomb = _("文件解压后异常巨大（可能是恶意构造的压缩文件），已拒绝处理。")
    if len(infos) > max_entries:
        raise _refuse(bomb, "zip_bomb", code="import.zip_bomb")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _MIB and (
            info.compress_size <= 0 or info.file_size / info.compress_size > max_ratio
        ):
            raise _refuse(bomb, "zip_bomb", code="import.zip_bomb")
    if total > max_uncompressed:
        raise _refuse(bomb, "zip_bomb", code="import.zip_bomb")


# --- tables --------------------------------------------------------------------------------


Rows = Iterator[tuple[int, list[Any]]]


@dataclass
class Sheet:
    name: str
    index: int
    visible: bool
    estimated_rows: int | None  # from the sheet's dimension / line count; may be wrong
    _table: Table = field(repr=False)

    def rows(self) -> Rows:
        """A fresh iterator over (row_number, values); values may be shorter than the header."""
        return self._table._rows(self)


class Table:
    """An opened spreadsheet. Use as a context manager (closes the .xlsx archive)."""

    format: str
    sheets: list[Sheet]
    epoch: datetime  # base of Excel serial dates (1899-12-30, or 1904-01-01 for Mac files)

    def _rows(self, sheet: Sheet) -> Rows:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(
    data: bytes,
    filename: str = "",
    *,
    max_uncompressed: int = 512 * _MIB,
    max_ratio: int = 250,
    max_entries: int = 5_000,
) -> Table:
    kind = sniff(data, filename)
    if kind == XLSX:
        check_zip(
            data,
            max_uncompressed=max_uncompressed,
            max_ratio=max_ratio,
            max_entries=max_entries,
        )
        return XlsxTable(data)
    return CsvTable(data)


# --- .xlsx ---------------------------------------------------------------------------------


def _corrupt() -> ImportFileError:
    return _refuse(
        _("文件已损坏，或不是有效的 Excel（.xlsx）文件。请在 Excel 中打开并重新保存后再试。"),
        "xlsx",
        code="import.file_corrupt",
    )


class XlsxTable(Table):
    format = XLSX

    def __init__(self, data: bytes) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._wb = load_workbook(
                    io.BytesIO(data), read_only=True, data_only=True, keep_links=False
                )
        except Exception as exc:  # openpyxl raises many types for broken files
            raise _corrupt() from exc
        self.epoch = self._wb.epoch
        self.sheets = []
        for index, ws in enumerate(self._wb.worksheets):
            estimated = None
            try:
                if ws.max_row is not None:
                    estimated = int(ws.max_row)
            except Exception:  # noqa: S110 - a broken dimension only loses the estimate
                pass
            self.sheets.append(
                Sheet(
                    name=str(ws.title),
                    index=index,
                    visible=getattr(ws, "sheet_state", "visible") == "visible",
                    estimated_rows=estimated,
                    _table=self,
                )
            )

    def _rows(self, sheet: Sheet) -> Rows:
        # openpyxl's public read-only iterator pads rows to the (possibly wrong) dimension and
        # hides formulas without cached values as empty cells; its parser, subclassed below,
        # gives both the real row numbers and those formulas. Pinned to openpyxl 3.1.
        ws = self._wb.worksheets[sheet.index]
        wb = self._wb
        try:
            with wb._archive.open(ws._worksheet_path) as source:
                parser = _CellParser(
                    source,
                    ws._shared_strings,
                    data_only=True,
                    epoch=wb.epoch,
                    date_formats=wb._date_formats,
                    timedelta_formats=wb._timedelta_formats,
                )
                for row_number, cells in parser.parse():
                    if not cells:
                        yield row_number, []
                        continue
                    width = min(max(cell["column"] for cell in cells), MAX_COLUMNS)
                    values: list[Any] = [None] * width
                    for cell in cells:
                        column = cell["column"]
                        if column <= MAX_COLUMNS:
                            values[column - 1] = cell["value"]
                    yield row_number, values
        except ImportFileError:
            raise
        except GeneratorExit:
            raise
        except Exception as exc:
            raise _corrupt() from exc

    def close(self) -> None:
        self._wb.close()


class _CellParser(WorkSheetParser):
    """openpyxl's sheet parser, telling formulas without a cached result and Excel errors
    apart from empty cells."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if cell["data_type"] == "e" and cell["value"] is not None:
            cell["value"] = ErrorValue(str(cell["value"]))
        elif cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = FORMULA_NO_VALUE
        return cell


# --- CSV -----------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with/without BOM, UTF-16 with BOM, else GB18030 (covers GBK
    and GB2312). Raises ImportFileError(code="import.encoding") when none fits."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _refuse(
        _(
            "无法识别文件的文字编码。请在 Excel 中“另存为” .xlsx，"
            "或“CSV UTF-8（逗号分隔）”后再导入。"
        ),
        "text",
        code="import.encoding",
    )


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon, whichever the first lines use most (comma when none)."""
    sample = text[:16384]
    lines = sample.splitlines()[:20]
    best, best_count = ",", 0
    for delimiter in (",", "\t", ";"):
        count = sum(line.count(delimiter) for line in lines)
        if count > best_count:
            best, best_count = delimiter, count
    return best


class CsvTable(Table):
    format = CSV

    def __init__(self, data: bytes) -> None:
        self.text, self.encoding = decode_text(data)
        if "\x00" in self.text[:65536]:
            raise _refuse(
                _("无法识别的文件格式（不是表格文件）。请上传 Excel 文件（.xlsx）或 CSV 文件。"),
                "binary",
            )
        self.delimiter = sniff_delimiter(self.text)
        self.epoch = WINDOWS_EPOCH
        lines = max(self.text.count("\n"), self.text.count("\r")) + 1
        self.sheets = [Sheet(name="CSV", index=0, visible=True, estimated_rows=lines, _table=self)]

    def _rows(self, sheet: Sheet) -> Rows:
        csv.field_size_limit(1024 * 1024)
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        try:
            for row_number, record in enumerate(reader, start=1):
                if len(record) > MAX_COLUMNS:
                    record = record[:MAX_COLUMNS]
                yield row_number, [value if value != "" else None for value in record]
        except csv.Error as exc:
            raise _refuse(
                _("CSV 文件格式有误（例如引号不成对），请用 Excel 打开后重新保存。"),
                "csv",
                code="import.file_corrupt",
            ) from exc
