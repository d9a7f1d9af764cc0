"""Shared checks for uploaded files and for spreadsheet exports (docs/security.md, "Uploads and
exports").

Every upload is judged by its bytes, never by its name or the browser's content type:

- `sniff` names what the bytes are (magic numbers) and `family_of_content` groups that into
  image / spreadsheet / document / archive / executable / active (HTML, SVG, XML) / other.
- `refuse_declared_mismatch` refuses a file whose *declared* name or content type belongs to
  another known family than its content (a JPEG named `report.exe` or `x.svg`, a CSV named
  `photo.jpg`). Within one family a mismatch is tolerated on purpose: phones save PNGs as `.jpg`
  and offices rename `.csv` to `.xlsx`; the content picks the parser and stored names never
  carry the client's extension. Unknown or missing extensions are left to the content check.
- `display_name` turns a client file name into a label that is safe to show and to store in a
  column; storage names are always random (`wushe.core.images.image_store`,
  `wushe.imports.storage.store_upload`).
- `zip_bomb_reason` inspects a zip's central directory (entry count, declared sizes, compression
  ratio) before anything inflates an entry; Python's zipfile never inflates an entry past its
  declared size, so the check holds even against archives that lie.
- `UploadSizeMiddleware` refuses a multipart body larger than `UPLOAD_MAX_REQUEST_BYTES` from its
  Content-Length, before Django spools it to disk (Django itself has no limit on file parts:
  `DATA_UPLOAD_MAX_MEMORY_SIZE` counts only the other fields).
- `neutralise_formula` is the one formula-injection guard for every export (xlsx, and csv should
  one appear): a text that a spreadsheet program could run gets a leading `'`.

Settings (`settings.WUSHE[...]`, else the environment variable `WUSHE_<NAME>`, else the default):
`UPLOAD_MAX_REQUEST_BYTES` (100 MiB: nine 10 MiB photos plus form fields). Per-kind limits stay
with their kind: `IMAGE_MAX_BYTES` (wushe.core.images), `IMPORT_MAX_BYTES` and the
`IMPORT_MAX_*` zip limits (wushe.imports.limits).
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from wushe.core.errors import ValidationFailed

MIB = 1024 * 1024
DEFAULT_MAX_REQUEST_BYTES = 100 * MIB


def _conf(name: str, default: int) -> int:
    wushe = getattr(settings, "WUSHE", {})
    if name in wushe:
        return int(wushe[name])
    return int(os.environ.get(f"WUSHE_{name}", "") or default)


def max_request_bytes() -> int:
    return _conf("UPLOAD_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES)


def size_label(limit: int) -> str:
    """`20 MB` (or bytes for tiny test limits), for messages."""
    mib = limit / MIB
    return f"{mib:.0f} MB" if mib >= 1 else _("%(n)d 字节") % {"n": limit}


# --- file names ----------------------------------------------------------------------------

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{n}" for n in range(10)}
    | {f"LPT{n}" for n in range(10)}
)
# Characters Windows refuses in names (and that quote or redirect in shells).
_WINDOWS_BAD = re.compile(r'[<>:"|?*]')
_MAX_EXTENSION = 10


def display_name(raw: str | None, *, fallback: str = "upload", max_length: int = 200) -> str:
    """A client file name made safe to show, log and keep in a column.

    Full-width look-alikes are folded (NFKC, so `．．／` is `../`), directories are dropped
    (`../`, `C:\\`, `/etc/`), control, format and bidi characters go (NUL, ESC, U+202E right-to-
    left override, zero-width spaces), Windows-forbidden characters become `_`, leading dots and
    trailing dots or spaces go, reserved device names (`CON`, `NUL.txt`, `COM1`) get a `_` in
    front, and a long name is shortened keeping its extension. Never use it as a storage name."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _WINDOWS_BAD.sub("_", " ".join(name.split()))
    name = name.lstrip(". ").rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if stem.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
        stem = "_" + stem
    limit = max(1, min(max_length, 255))
    if len(name) > limit:
        if extension and len(extension) <= _MAX_EXTENSION and len(extension) + 2 <= limit:
            name = stem[: limit - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            name = name[:limit].rstrip(". ")
    return name or fallback


def extension_of(file_name: str | None) -> str:
    """The lower-case extension of a client file name, after `display_name`'s folding."""
    name = display_name(file_name, fallback="")
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# --- content sniffing ----------------------------------------------------------------------

IMAGE = "image"
SPREADSHEET = "spreadsheet"
DOCUMENT = "document"
ARCHIVE = "archive"
EXECUTABLE = "executable"
ACTIVE = "active"  # HTML, SVG, XML: a browser or Office may run what is inside
OTHER = "other"

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
_MACHO = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def sniff(data: bytes) -> str:
    """What the bytes are: `jpeg`, `png`, `webp`, `gif`, `bmp`, `tiff`, `heif`, `pdf`, `zip`
    (xlsx/docx/… are zips; wushe.imports.reader looks inside), `ole2` (.xls/.doc/.msi),
    `exe`, `elf`, `macho`, `script` (`#!`), `gzip`, `rar`, `7z`, `html`, `svg`, `xml`, `text`,
    `binary` or `empty`."""
    if not data:
        return "empty"
    head = data[:16]
    checks: tuple[tuple[bool, str], ...] = (
        (head.startswith(b"\xff\xd8\xff"), "jpeg"),
        (head.startswith(b"\x89PNG\r\n\x1a\n"), "png"),
        (head.startswith(b"RIFF") and data[8:12] == b"WEBP", "webp"),
        (head.startswith((b"GIF87a", b"GIF89a")), "gif"),
        # "BM" alone would also match a CSV whose first header starts with BM: require the
        # BMP header's reserved zero bytes too.
        (head.startswith(b"BM") and data[6:10] == b"\x00\x00\x00\x00", "bmp"),
        (head.startswith((b"II*\x00", b"MM\x00*")), "tiff"),
        (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS, "heif"),
        (head.startswith(b"%PDF-"), "pdf"),
        (head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")), "zip"),
        (head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "ole2"),
        (head.startswith(b"MZ"), "exe"),
        (head.startswith(b"\x7fELF"), "elf"),
        (head.startswith(_MACHO), "macho"),
        (head.startswith(b"#!"), "script"),
        (head.startswith(b"\x1f\x8b"), "gzip"),
        (head.startswith(b"Rar!"), "rar"),
        (head.startswith(b"7z\xbc\xaf\x27\x1c"), "7z"),
    )
    for matched, kind in checks:
        if matched:
            return kind
    window = data[:65536]
    if window.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 with BOM (Excel's "Unicode text")
    if b"\x00" in window:
        return "binary"
    text = window.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")) or (
        text.startswith(b"<") and (b"<table" in text or b"<script" in text)
    ):
        return "html"
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "svg"
    if text.startswith(b"<?xml"):
        return "xml"
    return "text"


_CONTENT_FAMILY = {
    "jpeg": IMAGE,
    "png": IMAGE,
    "webp": IMAGE,
    "gif": IMAGE,
    "bmp": IMAGE,
    "tiff": IMAGE,
    "heif": IMAGE,
    "pdf": DOCUMENT,
    "zip": ARCHIVE,  # an .xlsx is a zip: see family_of_content's `spreadsheet` argument
    "ole2": SPREADSHEET,  # .xls (also .doc/.msi, but the reader names those)
    "text": SPREADSHEET,  # CSV/TSV
    "exe": EXECUTABLE,
    "elf": EXECUTABLE,
    "macho": EXECUTABLE,
    "script": EXECUTABLE,
    "gzip": ARCHIVE,
    "rar": ARCHIVE,
    "7z": ARCHIVE,
    "html": ACTIVE,
    "svg": ACTIVE,
    "xml": ACTIVE,
}

_EXTENSION_FAMILY: dict[str, str] = {
    **dict.fromkeys(
        ("jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif"),
        IMAGE,
    ),
    **dict.fromkeys(
        ("xlsx", "xlsm", "xls", "et", "ods", "numbers", "csv", "tsv", "txt", "xlsb"), SPREADSHEET
    ),
    **dict.fromkeys(("pdf", "doc", "docx", "wps", "ppt", "pptx", "rtf"), DOCUMENT),
    **dict.fromkeys(("zip", "rar", "7z", "gz", "tgz", "tar", "bz2", "xz"), ARCHIVE),
    **dict.fromkeys(
        (
            "exe",
            "dll",
            "com",
            "scr",
            "msi",
            "bat",
            "cmd",
            "ps1",
            "vbs",
            "vbe",
            "js",
            "jse",
            "wsf",
            "hta",
            "jar",
            "apk",
            "sh",
            "elf",
            "app",
            "dmg",
            "lnk",
            "reg",
            "cpl",
            "pif",
        ),
        EXECUTABLE,
    ),
    **dict.fromkeys(
        ("html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "mht", "mhtml"), ACTIVE
    ),
}

_CONTENT_TYPE_FAMILY: dict[str, str] = {
    "image/svg+xml": ACTIVE,
    "text/html": ACTIVE,
    "application/xhtml+xml": ACTIVE,
    "text/xml": ACTIVE,
    "application/xml": ACTIVE,
    "text/javascript": EXECUTABLE,
    "application/javascript": EXECUTABLE,
    "application/x-msdownload": EXECUTABLE,
    "application/x-msdos-program": EXECUTABLE,
    "application/x-dosexec": EXECUTABLE,
    "application/vnd.microsoft.portable-executable": EXECUTABLE,
    "application/x-executable": EXECUTABLE,
    "application/x-sh": EXECUTABLE,
    "application/x-msi": EXECUTABLE,
    "application/pdf": DOCUMENT,
    "text/csv": SPREADSHEET,
    "text/tab-separated-values": SPREADSHEET,
    # Windows sends this for .csv when Excel is installed, so it stands for any spreadsheet.
    "application/vnd.ms-excel": SPREADSHEET,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": SPREADSHEET,
    "application/vnd.ms-excel.sheet.macroenabled.12": SPREADSHEET,
}


def family_of_content(kind: str, *, zip_is_spreadsheet: bool = False) -> str:
    """The family of a `sniff` result. A zip counts as a spreadsheet where the caller has
    already seen `xl/workbook.xml` inside it."""
    if kind == "zip" and zip_is_spreadsheet:
        return SPREADSHEET
    return _CONTENT_FAMILY.get(kind, OTHER)


def family_of_declared(*, file_name: str | None = "", content_type: str | None = "") -> set[str]:
    """Known families the client declared (from the extension and the content type); empty
    when neither says anything we know (no extension, `application/octet-stream` …)."""
    found: set[str] = set()
    extension = extension_of(file_name)
    if extension in _EXTENSION_FAMILY:
        found.add(_EXTENSION_FAMILY[extension])
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _CONTENT_TYPE_FAMILY:
        found.add(_CONTENT_TYPE_FAMILY[mime])
    elif mime.startswith("image/"):
        found.add(IMAGE)
    return found


def _family_label(family: str) -> str:
    labels = {
        IMAGE: _("图片"),
        SPREADSHEET: _("表格"),
        DOCUMENT: _("文档"),
        ARCHIVE: _("压缩包"),
        EXECUTABLE: _("可执行程序或脚本"),
        ACTIVE: _("网页或 XML 文件"),
    }
    return str(labels.get(family, _("未知类型的文件")))


def refuse_declared_mismatch(
    content_family: str, *, file_name: str | None = "", content_type: str | None = ""
) -> None:
    """Raise `upload.type_mismatch` (422) when the client declared a known family other than
    the one the content has (e.g. image bytes in `x.exe`, spreadsheet bytes in `x.jpg`)."""
    declared = family_of_declared(file_name=file_name, content_type=content_type)
    other = sorted(declared - {content_family})
    if other:
        raise ValidationFailed(
            _(
                "文件名或类型（%(declared)s）与文件内容（%(content)s）不符，已拒绝。"
                "请确认选择了正确的文件，不要修改文件的扩展名。"
            )
            % {"declared": _family_label(other[0]), "content": _family_label(content_family)},
            code="upload.type_mismatch",
            fields={"declared": other[0], "detected": content_family},
        )


def not_an_image_message(kind: str) -> str:
    """Why bytes that are not a photo were refused, in words a resident understands."""
    family = family_of_content(kind)
    if family == EXECUTABLE:
        return _("这是可执行程序或脚本，不是图片，不能上传。")
    if family in (ACTIVE, SPREADSHEET, DOCUMENT, ARCHIVE) and kind != "text":
        return _("这是%(what)s，不是图片。只能上传 JPEG、PNG 或 WebP 格式的图片。") % {
            "what": _family_label(family)
        }
    return _("只能上传 JPEG、PNG 或 WebP 格式的图片。")


# --- zip archives (.xlsx) ------------------------------------------------------------------


def zip_bomb_reason(
    infos: Iterable[zipfile.ZipInfo],
    *,
    max_uncompressed: int,
    max_member: int,
    max_ratio: int,
    max_entries: int,
) -> str | None:
    """Why an archive must not be inflated, from its central directory alone, or None:
    `too_many_entries`, `member_too_large` (one entry's declared size), `compression_ratio`
    (an entry above 1 MiB inflating more than `max_ratio` times; real sheets are 5–30×) or
    `too_large_uncompressed` (sum of declared sizes)."""
    total = 0
    for count, info in enumerate(infos, start=1):
        if count > max_entries:
            return "too_many_entries"
        if info.file_size > max_member:
            return "member_too_large"
        if info.file_size > MIB and (
            info.compress_size <= 0 or info.file_size / info.compress_size > max_ratio
        ):
            return "compression_ratio"
        total += info.file_size
        if total > max_uncompressed:
            return "too_large_uncompressed"
    return None


# --- request size --------------------------------------------------------------------------


class UploadSizeMiddleware:
    """Refuse a multipart request whose Content-Length is above `UPLOAD_MAX_REQUEST_BYTES`
    (413, `upload.request_too_large`) before anything reads the body. Place it last in
    MIDDLEWARE: nothing before a view (CSRF reads `request.POST`) touches the body earlier."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = max_request_bytes()
            if length > limit:
                return request_too_large(request, limit)
        return self.get_response(request)


def request_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("上传的文件总共超过了 %(size)s，请减少文件数量或压缩后再上传。") % {
        "size": size_label(limit)
    }
    code = "upload.request_too_large"
    if request.path.startswith("/api/"):
        body = {"code": code, "message": message, "fields": {"max_bytes": limit}}
        response: HttpResponse = JsonResponse(
            body, status=413, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(
            request, "errors/413.html", {"message": message, "code": code}, status=413
        )
    # The body was not read: the client must not reuse the connection for another request.
    response["Connection"] = "close"
    return response


# --- formula injection ---------------------------------------------------------------------

# Characters that make Excel, WPS or LibreOffice treat a cell as a formula or a DDE command
# (OWASP "CSV injection"), the full-width forms an IME types (WPS folds them) and the
# whitespace/line breaks that programs strip before looking.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣")
_LEADING_BLANKS = " \u00a0\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise_formula(value: str) -> str:
    """Text a spreadsheet program shows as text: a leading `'` when it starts (also after
    spaces) with `=`, `+`, `-`, `@`, tab, CR, LF or a full-width form of them. Characters XML
    cannot hold (which openpyxl refuses) are dropped."""
    text = _ILLEGAL_XML.sub("", value)
    if text.lstrip(_LEADING_BLANKS).startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
