"""Reading uploaded spreadsheets: pure, no ORM.

The format is decided by the file's *content*, never by its name: people rename files, and
systems export HTML or old .xls files named .xlsx. Accepted: .xlsx (also .xlsm) and delimited
text (CSV/TSV) in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or
GB18030/GBK (Excel in China saves CSV as GBK). Everything else is refused with
`import.file_type` and a message that says what the file is and what to do.

.xlsx files are zip archives: the declared sizes of the entries are checked before any part is
read (`import.zip_bomb`); Python's zipfile never inflates an entry past its declared size, so
the check holds even against archives that lie. Sheets are streamed (see `XlsxTable`).

Rows come out as `(row_number, values)` with the sheet's real 1-based row number; values are
what the cell holds (str, int, float, bool, datetime …), `None` when empty, `FORMULA_NO_VALUE`
for a formula without a cached result and an `ErrorValue` for Excel errors such as `#REF!`.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from defusedxml.ElementTree import fromstring as defused_fromstring
from django.utils.translation import gettext_lazy as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from wushe.core.uploads import zip_bomb_reason

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
            if detected == "bmp" and data[6:10] != b"\x00\x00\x00\x00":
                continue  # a CSV whose first header starts with "BM", not a bitmap
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


def check_zip(
    data: bytes,
    *,
    max_uncompressed: int,
    max_ratio: int,
    max_entries: int,
    max_member: int | None = None,
) -> None:
    """Refuse archives that would inflate to far more than they weigh (zip bombs), from the
    central directory alone (`wushe.core.uploads.zip_bomb_reason`). The error keeps the code
    `import.zip_bomb`; `fields.reason` says which limit tripped."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refuse(
            _("文件已损坏或不完整（可能没有上传完），请重新保存后再试。"),
            "zip",
            code="import.file_corrupt",
        ) from None
    reason = zip_bomb_reason(
        infos,
        max_uncompressed=max_uncompressed,
        max_member=max_uncompressed if max_member is None else max_member,
        max_ratio=max_ratio,
        max_entries=max_entries,
    )
    if reason:
        raise ImportFileError(
            _("文件解压后异常巨大（可能是恶意构造的压缩文件），已拒绝处理。"),
            code="import.zip_bomb",
            fields={"detected": "zip_bomb", "reason": reason},
        )


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
    max_member: int | None = None,
) -> Table:
    kind = sniff(data, filename)
    if kind == XLSX:
        check_zip(
            data,
            max_uncompressed=max_uncompressed,
            max_ratio=max_ratio,
            max_entries=max_entries,
            max_member=max_member,
        )
        return XlsxTable(data)
    return CsvTable(data)


# --- .xlsx ---------------------------------------------------------------------------------
#
# Rows are read by a streaming expat (C) parser over the sheet XML rather than by openpyxl's
# read-only worksheet: openpyxl builds an element and several descriptor objects per cell and
# tops out near 4,000 rows/s on an 8-column sheet, below the 5,000 rows/s target with full
# validation. openpyxl still provides the date helpers. As in defusedxml, any DTD is refused
# (an .xlsx never has one), so entity tricks (billion laughs, external entities) cannot run.

_SHEET_TYPE = "/worksheet"
_STRINGS_TYPE = "/sharedStrings"
_STYLES_TYPE = "/styles"
# Locale-defined date formats (zh-CN: 27–36, 50–58 are 年月日 styles), absent from the
# workbook's own list and from openpyxl's BUILTIN_FORMATS.
_LOCALE_DATE_FORMATS = frozenset({*range(27, 37), *range(50, 59)})
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?[A-Z]+(\d+)\"")


def _corrupt() -> ImportFileError:
    return _refuse(
        _("文件已损坏，或不是有效的 Excel（.xlsx）文件。请在 Excel 中打开并重新保存后再试。"),
        "xlsx",
        code="import.file_corrupt",
    )


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _no_dtd(*_args: Any) -> Any:
    raise _corrupt()


def _parser() -> Any:
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.ExternalEntityRefHandler = _no_dtd
    parser.buffer_text = True
    parser.buffer_size = 65536
    return parser


def _tree(data: bytes) -> ElementTree.Element:
    """Small XML parts (workbook, relationships, styles), DTDs refused."""
    try:
        return defused_fromstring(data, forbid_dtd=True)
    except Exception as exc:
        raise _corrupt() from exc


def _column_index(letters: str, cache: dict[str, int]) -> int:
    index = cache.get(letters)
    if index is None:
        index = 0
        for char in letters:
            index = index * 26 + (ord(char.upper()) - 64)
        cache[letters] = index
    return index


class XlsxTable(Table):
    format = XLSX

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            self._load()
        except ImportFileError:
            raise
        except Exception as exc:  # a broken archive fails in many ways; all mean "corrupt"
            raise _corrupt() from exc

    def _part(self, name: str) -> bytes:
        return self._zip.read(name)

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, _sep, base = part.rpartition("/")
        rels_name = f"{folder}/_rels/{base}.rels"
        if rels_name not in self._names:
            return {}
        found: dict[str, tuple[str, str]] = {}
        for element in _tree(self._part(rels_name)):
            target = element.get("Target", "")
            if target.startswith("/"):
                path = target.lstrip("/")
            else:
                path = posixpath.normpath(posixpath.join(folder, target))
            found[element.get("Id", "")] = (element.get("Type", ""), path)
        return found

    def _load(self) -> None:
        self._names = set(self._zip.namelist())
        workbook_part = "xl/workbook.xml"
        rels = self._relationships(workbook_part)
        workbook = _tree(self._part(workbook_part))
        date1904 = False
        sheets: list[tuple[str, str, bool]] = []
        for element in workbook.iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                date1904 = element.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet":
                rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
                kind, path = rels.get(rel_id, ("", ""))
                if kind.endswith(_SHEET_TYPE) and path in self._names:
                    visible = element.get("state", "visible") == "visible"
                    sheets.append((element.get("name", ""), path, visible))
        if not sheets:
            raise _corrupt()
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        by_type = {kind.rpartition("/")[2]: path for kind, path in rels.values()}
        self._strings_path = by_type.get(_STRINGS_TYPE[1:], "")
        self._date_styles = self._read_date_styles(by_type.get(_STYLES_TYPE[1:], ""))
        self._strings: list[str] | None = None
        self._paths = [path for _name, path, _visible in sheets]
        self.sheets = [
            Sheet(
                name=name,
                index=index,
                visible=visible,
                estimated_rows=self._dimension(path),
                _table=self,
            )
            for index, (name, path, visible) in enumerate(sheets)
        ]

    def _dimension(self, path: str) -> int | None:
        with self._zip.open(path) as source:
            head = source.read(16384)
        match = _DIMENSION.search(head)
        return int(match.group(1)) if match else None

    def _read_date_styles(self, path: str) -> frozenset[int]:
        if not path or path not in self._names:
            return frozenset()
        styles = _tree(self._part(path))
        formats: dict[int, str] = {}
        date_styles: set[int] = set()
        for element in styles.iter():
            if _local(element.tag) == "numFmt":
                try:
                    formats[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
                except ValueError:
                    continue
        for element in styles.iter():
            if _local(element.tag) != "cellXfs":
                continue
            for index, xf in enumerate(element):
                try:
                    fmt_id = int(xf.get("numFmtId", "0"))
                except ValueError:
                    continue
                code = formats.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
                if fmt_id in _LOCALE_DATE_FORMATS or (code and is_date_format(code)):
                    date_styles.add(index)
            break
        return frozenset(date_styles)

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if self._strings_path and self._strings_path in self._names:
                self._strings = _read_shared_strings(self._zip, self._strings_path)
        return self._strings

    def _rows(self, sheet: Sheet) -> Rows:
        try:
            reader = _SheetReader(self._shared_strings(), self._date_styles, self.epoch)
            with self._zip.open(self._paths[sheet.index]) as source:
                parser = _parser()
                reader.attach(parser)
                while True:
                    chunk = source.read(65536)
                    parser.Parse(chunk, not chunk)
                    if reader.done:
                        yield from reader.done
                        reader.done.clear()
                    if not chunk:
                        break
        except (ImportFileError, GeneratorExit):
            raise
        except Exception as exc:
            raise _corrupt() from exc

    def close(self) -> None:
        self._zip.close()


def _read_shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    strings: list[str] = []
    parts: list[str] = []
    state = {"text": False, "phonetic": 0}

    def start(name: str, _attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "t":
            state["text"] = not state["phonetic"]
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "si":
            parts.clear()

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "t":
            state["text"] = False
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si":
            strings.append("".join(parts))

    def text(data: str) -> None:
        if state["text"]:
            parts.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with archive.open(path) as source:
        parser.ParseFile(source)
    return strings


class _SheetReader:
    """expat handlers collecting finished rows into `done` as (row_number, values)."""

    def __init__(self, strings: list[str], date_styles: frozenset[int], epoch: datetime) -> None:
        self.strings = strings
        self.date_styles = date_styles
        self.epoch = epoch
        self.done: list[tuple[int, list[Any]]] = []
        self.columns: dict[str, int] = {}
        self.row_number = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.formula = False
        self.value: str | None = None
        self.inline: list[str] = []
        self.buffer: list[str] | None = None
        self.in_inline = False
        self.phonetic = 0
        self.names: dict[str, str] = {}

    def attach(self, parser: Any) -> None:
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text

    def _tag(self, name: str) -> str:
        tag = self.names.get(name)
        if tag is None:
            tag = self.names[name] = _local(name)
        return tag

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self._tag(name)
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                self.column = _column_index(ref.rstrip("0123456789"), self.columns)
            else:
                self.column += 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.formula = False
            self.value = None
            self.inline = []
        elif tag == "v":
            self.buffer = []
        elif tag == "f":
            self.formula = True
        elif tag == "t":
            if self.in_inline and not self.phonetic:
                self.buffer = []
        elif tag == "is":
            self.in_inline = True
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            self.cells = {}
            self.column = 0

    def text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)

    def end(self, name: str) -> None:
        tag = self._tag(name)
        if tag == "v":
            self.value = "".join(self.buffer or ())
            self.buffer = None
        elif tag == "t":
            if self.buffer is not None:
                self.inline.append("".join(self.buffer))
                self.buffer = None
        elif tag == "c":
            value = self._cell()
            if value is not None and self.column <= MAX_COLUMNS:
                self.cells[self.column] = value
        elif tag == "row":
            cells = self.cells
            values: list[Any] = [None] * max(cells) if cells else []
            for column, value in cells.items():
                values[column - 1] = value
            self.done.append((self.row_number, values))
        elif tag == "is":
            self.in_inline = False
        elif tag == "rPh":
            self.phonetic -= 1

    def _cell(self) -> Any:
        kind = self.kind
        raw = self.value
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline else raw
        if raw is None or (raw == "" and kind == "n"):
            return FORMULA_NO_VALUE if self.formula else None
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "n":
            number: int | float = (
                int(raw) if raw.isdigit() or (raw[:1] == "-" and raw[1:].isdigit()) else float(raw)
            )
            if self.style in self.date_styles:
                try:
                    return from_excel(number, self.epoch)
                except (ValueError, OverflowError, TypeError):
                    return number
            return number
        if kind == "str":
            return raw
        if kind == "b":
            return raw.strip().lower() in ("1", "true")
        if kind == "e":
            return ErrorValue(raw)
        if kind == "d":
            try:
                return from_ISO8601(raw)
            except ValueError:
                return raw
        return raw


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
