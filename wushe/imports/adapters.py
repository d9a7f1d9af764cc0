"""The contract between the import/export engine (this app) and each register. A register
(residents, volunteers, organizations, socialworkers …) describes its spreadsheet in an
`ImportAdapter` subclass in `<app>/imports.py` and registers an instance from its
AppConfig.ready with `register(...)`. The engine does everything generic: reading .xlsx/.csv,
finding the header row (title rows, merged cells, aliases), turning each cell into a Python
value by the column's `kind` (messy input → clean value or a per-cell error in Chinese),
duplicates within the file and against the database (via `key`/`existing`), preview, commit in
one transaction, error reports, templates and exports.

Per-row error codes are `<entity>.<field>.<rule>`, e.g. `resident.id_number.checksum`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from django.db.models import QuerySet


class Kind:
    """How the engine turns a cell into a value before `ImportAdapter.clean` sees it.
    An empty cell is always None (and an error `<entity>.<field>.required` when required)."""

    TEXT = "text"  # str: NFKC (full-width → ASCII), stripped, inner runs of spaces folded
    ID_NUMBER = "id_number"  # wushe.core.identifiers.IdNumber (15→18, x→X, Excel numbers refused)
    CREDIT_CODE = "credit_code"  # wushe.core.identifiers.CreditCode (GB 32100)
    PHONE = "phone"  # str, E.164 (+8613812345678)
    DATE = "date"  # datetime.date from 2024/1/5, 2024-01-05, 2024年1月5日, 2024.1.5, Excel serials
    INT = "int"  # int (also "3.0", "３")
    MONEY_FEN = "money_fen"  # int fen from a yuan amount ("1,234.5" → 123450); never float
    BOOL = "bool"  # bool from 是/否, Y/N, 1/0, √/×, true/false, 有/无
    CHOICE = "choice"  # the choice value; the cell may hold the value or its Chinese label
    TERMS = "terms"  # list[wushe.taxonomy.models.Term] of `vocabulary`, split on 、,，;；/ space
    MULTI = "multi"  # list[str], split like TERMS
    REGION = "region"  # 12-digit code of an existing region inside the importer's scope;
    # the cell may hold a 12/9-digit code or a region name unique within the scope


@dataclass(frozen=True)
class Column:
    field: str  # key of the value in the row dict handed to `clean`
    header: str  # the Chinese header of the template, e.g. "身份证号"
    aliases: tuple[str, ...] = ()  # other headers found in real files: ("公民身份号码", "证件号码")
    required: bool = False
    kind: str = Kind.TEXT
    choices: tuple[tuple[str, Any], ...] = ()  # CHOICE: (value, Chinese label)
    vocabulary: str = ""  # TERMS: a wushe.taxonomy Vocabulary value
    max_length: int | None = None  # TEXT: longer is an error `<entity>.<field>.too_long`
    # INT / MONEY_FEN: a larger value is an error `<entity>.<field>.too_large`. None: the
    # column's storage limit (int4 for INT, int8 fen for MONEY_FEN), never a database error.
    max_value: int | None = None
    example: str = ""  # example cell in the downloadable template
    help: Any = ""  # 填写说明 shown in the template's notes sheet


class RowInvalid(Exception):
    """Raised by `ImportAdapter.clean` for a bad row: names the field and the rule, with a
    message in Chinese that says what to do. Several problems: pass `errors` as
    [(field, rule, message), …]."""

    def __init__(
        self,
        field: str = "",
        rule: str = "",
        message: Any = "",
        *,
        errors: Sequence[tuple[str, str, Any]] = (),
    ) -> None:
        self.errors = list(errors) or [(field, rule, message)]
        super().__init__("; ".join(str(m) for _f, _r, m in self.errors))


@dataclass
class ImportContext:
    user: Any
    today: date
    # Significant code prefixes the importer may write to ("" = nationwide), from
    # accounts.scoping.scope_prefixes(user, WRITER_ROLES).
    scope_prefixes: list[str] = field(default_factory=list)
    # Free for the adapter: caches filled in `prepare` (e.g. households by number).
    cache: dict[str, Any] = field(default_factory=dict)
    # Export only: the list page's GET filters passed through the export URL (single values;
    # unknown keys should be ignored).
    filters: dict[str, str] = field(default_factory=dict)


@dataclass
class CleanRow:
    row_number: int  # 1-based row number in the sheet, as the user sees it in Excel
    data: dict[str, Any]  # what `clean` returned
    existing_pk: Any = None  # pk of the record this row updates (from `existing`), else None


class ImportAdapter:
    """One register's spreadsheet. Subclasses set the class attributes and implement the
    methods marked "must"."""

    kind: ClassVar[
        str
    ]  # URL/API name: "residents", "volunteers", "organizations", "social_workers"
    entity: ClassVar[str]  # error-code prefix: "resident", "volunteer", …
    label: ClassVar[Any]  # Chinese name for pages: _("居民")
    columns: ClassVar[tuple[Column, ...]]
    import_permission: ClassVar[str]  # django-rules permission (no object) to import
    export_permission: ClassVar[str]  # … to export
    # Whether a row matching an existing record updates it (True) or is an error (False).
    updates_existing: ClassVar[bool] = True

    def prepare(self, ctx: ImportContext) -> None:
        """Optional: load lookups into ctx.cache once per run."""

    def key(self, data: dict[str, Any], ctx: ImportContext) -> str | None:
        """Natural key of a cleaned row (e.g. the ID-number hash) for duplicates within the file
        and against the database; None when the row has none."""
        return None

    def existing(self, keys: Sequence[str], ctx: ImportContext) -> dict[str, Any]:
        """Must when `key` returns keys: {key: pk} of records already in the database.
        Records outside the importer's scope may be returned with pk `None`: the engine then
        reports the row as a duplicate registered elsewhere (`<entity>.duplicate_elsewhere`)."""
        return {}

    def clean(self, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
        """Must: check one row of engine-converted values (see Kind) and return what `write`
        needs (e.g. sealed personal fields, resolved foreign keys). Raise RowInvalid."""
        raise NotImplementedError

    def write(self, rows: Sequence[CleanRow], ctx: ImportContext) -> tuple[int, int]:
        """Must: create/update all rows (bulk, inside the engine's transaction) and write the
        audit event(s); return (created, updated). The engine calls it once per batch of
        valid rows (IMPORT_BATCH_ROWS, 2,000 by default, in file order), every call inside the
        same transaction, so a big file never sits in memory whole; an exception in any call
        rolls back every batch."""
        raise NotImplementedError

    def export_queryset(self, ctx: ImportContext) -> QuerySet[Any]:
        """Must for export: the records the user may export (scoped), ordered."""
        raise NotImplementedError

    def export_row(self, obj: Any) -> list[Any]:
        """Must for export: one record as cells in `columns` order, personal data masked."""
        raise NotImplementedError


_adapters: dict[str, ImportAdapter] = {}


def register(adapter: ImportAdapter) -> None:
    _adapters[adapter.kind] = adapter


def adapter_for(kind: str) -> ImportAdapter | None:
    return _adapters.get(kind)


def all_adapters() -> list[ImportAdapter]:
    return sorted(_adapters.values(), key=lambda a: a.kind)
