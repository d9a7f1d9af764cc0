"""The import engine: one pass over a file, the same for preview and commit.

    open (reader) → find the sheet and header (headers) → per row: convert cells (cells, one
    converter per column made up front) → adapter.clean → adapter.key → duplicates in the file
    → every `batch` rows: adapter.existing(keys) once → (commit only) adapter.write(batch)

No query runs per row here: lookups are prepared once per run (terms, regions in scope) or per
batch (`existing`). Transactions belong to the caller (services): a commit wraps the whole
run in one `transaction.atomic`, so a failure anywhere writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.utils.translation import gettext as _

from wushe.core.errors import DomainError
from wushe.core.identifiers import normalize_text
from wushe.core.masking import ID_KEYS, PHONE_KEYS, mask_id_number, mask_phone

from .adapters import CleanRow, Column, ImportAdapter, ImportContext, Kind, RowInvalid
from .cells import (
    CellError,
    Converter,
    cell_text,
    converter_for,
    display_value,
    required_message,
)
from .errors import ImportFileError
from .headers import HeaderMatcher, HeaderPlan, find_header
from .limits import limit
from .reader import Sheet, Table, open_table

Progress = Callable[[int, int], None]  # (rows done, rows expected)


@dataclass
class Issue:
    row_number: int
    field: str
    header: str
    code: str
    message: str
    value: str  # masked when the column holds ID numbers or phone numbers


@dataclass
class Located:
    """Where the data is: sheet, header and the columns found."""

    table: Table
    sheet: Sheet
    plan: HeaderPlan

    @property
    def estimated_rows(self) -> int | None:
        estimated = self.sheet.estimated_rows
        return None if estimated is None else max(estimated - self.plan.header_row, 0)


@dataclass
class Outcome:
    file_format: str = ""
    sheet_name: str = ""
    header_row: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    rows_total: int = 0  # non-empty data rows
    rows_valid: int = 0
    rows_invalid: int = 0
    rows_empty: int = 0
    to_create: int = 0
    to_update: int = 0
    created: int = 0
    updated: int = 0
    issues_total: int = 0
    issues: list[Issue] = field(default_factory=list)  # at most IMPORT_MAX_ISSUES


def open_upload(data: bytes, filename: str = "") -> Table:
    return open_table(
        data,
        filename,
        max_uncompressed=limit("IMPORT_MAX_UNCOMPRESSED_BYTES"),
        max_ratio=limit("IMPORT_MAX_COMPRESSION_RATIO"),
        max_entries=limit("IMPORT_MAX_ZIP_ENTRIES"),
        max_member=limit("IMPORT_MAX_MEMBER_BYTES"),
    )


def _first_rows(sheet: Sheet, count: int) -> list[tuple[int, list[Any]]]:
    rows = sheet.rows()
    try:
        return list(
            islice(
                ((n, v) for n, v in rows if any(not _empty(x) for x in v)),
                count,
            )
        )
    finally:
        rows.close()  # type: ignore[attr-defined]


def _empty(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def locate(table: Table, adapter: ImportAdapter) -> Located:
    """The sheet and header to import; raises `import.no_header` / `import.missing_columns`."""
    matcher = HeaderMatcher(adapter.columns)
    scan = limit("IMPORT_HEADER_SCAN_ROWS")
    best: tuple[tuple[int, int], Sheet, HeaderPlan] | None = None
    any_content = False
    for sheet in sorted(table.sheets, key=lambda s: (not s.visible, s.index)):
        first = _first_rows(sheet, scan)
        any_content = any_content or bool(first)
        plan = find_header(first, matcher)
        if plan is None:
            continue
        missing = len(plan.missing_required(adapter.columns))
        score = (-missing, len(plan.mapping))
        if best is None or score > best[0]:
            best = (score, sheet, plan)
    if best is None:
        if not any_content:
            message = _("文件中没有任何数据。")
        else:
            message = _(
                "在表格前 %(rows)d 行中没有找到表头。请使用下载的导入模板，"
                "第一行填写列名（例如“%(example)s”），从下一行开始每行填写一条记录。"
            ) % {"rows": scan, "example": adapter.columns[0].header if adapter.columns else ""}
        raise ImportFileError(message, code="import.no_header")
    _score, sheet, plan = best
    missing_columns = plan.missing_required(adapter.columns)
    if missing_columns:
        names = [c.header for c in missing_columns]
        raise ImportFileError(
            _("缺少必填列：%(columns)s。请对照导入模板补上这些列（列名须一致）。")
            % {"columns": "、".join(names)},
            code="import.missing_columns",
            fields={"columns": names},
        )
    return Located(table=table, sheet=sheet, plan=plan)


class _Masker:
    """The raw cell as shown in an issue: ID numbers and phone numbers masked."""

    def __init__(self, column: Column | None, field_name: str) -> None:
        kind = column.kind if column is not None else ""
        lowered = field_name.lower()
        self.id_number = kind == Kind.ID_NUMBER or lowered in ID_KEYS
        self.phone = kind == Kind.PHONE or lowered in PHONE_KEYS

    def __call__(self, raw: Any) -> str:
        text = display_value(raw)
        if not text:
            return ""
        if self.id_number:
            return mask_id_number(normalize_text(text))
        if self.phone:
            return mask_phone(normalize_text(text))
        return text


@dataclass
class _Col:
    index: int
    column: Column
    header: str
    convert: Converter
    code_prefix: str
    mask: _Masker


class _Run:
    def __init__(
        self,
        located: Located,
        adapter: ImportAdapter,
        ctx: ImportContext,
        *,
        write: bool,
        progress: Progress | None,
    ) -> None:
        self.located = located
        self.adapter = adapter
        self.ctx = ctx
        self.write = write
        self.progress = progress
        self.entity = adapter.entity
        self.max_issues = limit("IMPORT_MAX_ISSUES")
        self.max_rows = limit("IMPORT_MAX_ROWS")
        self.batch_size = max(limit("IMPORT_BATCH_ROWS"), 1)
        self.progress_every = max(limit("IMPORT_PROGRESS_EVERY"), 1)
        plan = located.plan
        self.outcome = Outcome(
            file_format=located.table.format,
            sheet_name=located.sheet.name,
            header_row=plan.header_row,
            unknown_columns=[*plan.unknown, *plan.duplicates],
        )
        self.columns_by_field = {c.field: c for c in adapter.columns}
        self.cols = self._converters()
        self.index_of = {c.column.field: c.index for c in self.cols}
        self.seen: dict[str, int] = {}
        # The template's example row (kept by many users) is skipped like an empty row.
        examples = [cell_text(c.column.example) if c.column.example else None for c in self.cols]
        self.examples = examples if any(examples) else None
        self.pending: list[tuple[CleanRow, str | None]] = []

    def _converters(self) -> list[_Col]:
        plan = self.located.plan
        today = self.ctx.today
        epoch = self.located.table.epoch
        regions = None
        if any(c.kind == Kind.REGION for _i, c in plan.mapping):
            from .lookups import ScopedRegions

            regions = ScopedRegions(self.ctx.scope_prefixes)
        cols: list[_Col] = []
        for index, column in plan.mapping:
            terms = None
            if column.kind == Kind.TERMS:
                from wushe.taxonomy.selectors import term_lookup

                terms = term_lookup(column.vocabulary)
            convert = converter_for(column, today=today, epoch=epoch, terms=terms, regions=regions)
            cols.append(
                _Col(
                    index=index,
                    column=column,
                    header=plan.headers.get(column.field, column.header),
                    convert=convert,
                    code_prefix=f"{self.entity}.{column.field}.",
                    mask=_Masker(column, column.field),
                )
            )
        return cols

    # --- issues ----------------------------------------------------------------------------

    def _issue(self, issue: Issue) -> None:
        self.outcome.issues_total += 1
        if len(self.outcome.issues) < self.max_issues:
            self.outcome.issues.append(issue)

    def _field_issue(
        self, row_number: int, values: Sequence[Any], field_name: str, code: str, message: Any
    ) -> None:
        column = self.columns_by_field.get(field_name)
        index = self.index_of.get(field_name)
        raw = values[index] if index is not None and index < len(values) else None
        header = self.located.plan.headers.get(field_name, column.header if column else "")
        self._issue(
            Issue(
                row_number=row_number,
                field=field_name,
                header=header,
                code=code,
                message=str(message),
                value=_Masker(column, field_name)(raw) if raw is not None else "",
            )
        )

    def _code(self, field_name: str, rule: str) -> str:
        entity = self.entity
        if rule.startswith(entity + "."):
            return rule
        if field_name and rule.startswith(field_name + "."):
            return f"{entity}.{rule}"
        if field_name:
            return f"{entity}.{field_name}.{rule}"
        return f"{entity}.{rule}"

    # --- rows ------------------------------------------------------------------------------

    def run(self) -> Outcome:
        outcome = self.outcome
        adapter = self.adapter
        ctx = self.ctx
        header_row = self.located.plan.header_row
        expected = self.located.estimated_rows or 0
        cols = self.cols
        base = dict.fromkeys(self.columns_by_field)
        last_number = header_row
        next_report = self.progress_every
        adapter.prepare(ctx)
        rows = self.located.sheet.rows()
        try:
            for row_number, values in rows:
                if row_number <= header_row:
                    continue
                if row_number > last_number + 1:
                    outcome.rows_empty += row_number - last_number - 1
                last_number = row_number
                if self.progress is not None and row_number - header_row >= next_report:
                    next_report += self.progress_every
                    self.progress(row_number - header_row, max(expected, row_number - header_row))
                width = len(values)
                cells = [values[c.index] if c.index < width else None for c in cols]
                if all(v is None or (v.__class__ is str and not v.strip()) for v in cells):
                    outcome.rows_empty += 1
                    continue
                if self.examples is not None and self._is_example(cells):
                    outcome.rows_empty += 1
                    continue
                outcome.rows_total += 1
                if outcome.rows_total > self.max_rows:
                    raise ImportFileError(
                        _("表格超过了 %(max)d 行的上限，请拆分成几个文件后分别导入。")
                        % {"max": self.max_rows},
                        code="import.too_many_rows",
                        fields={"max_rows": self.max_rows},
                    )
                self._row(row_number, values, cells, dict(base))
                if len(self.pending) >= self.batch_size:
                    self._flush()
        finally:
            rows.close()  # type: ignore[attr-defined]
        self._flush()
        outcome.issues.sort(key=lambda issue: issue.row_number)
        if self.progress is not None:
            done = max(last_number - header_row, 0)
            self.progress(done, done)
        return outcome

    def _is_example(self, cells: list[Any]) -> bool:
        assert self.examples is not None
        for value, example in zip(cells, self.examples, strict=True):
            if example is not None and (value is None or cell_text(value) != example):
                return False
        return True

    def _row(
        self, row_number: int, values: Sequence[Any], cells: list[Any], row: dict[str, Any]
    ) -> None:
        bad = False
        for col, raw in zip(self.cols, cells, strict=True):
            if raw is None or (raw.__class__ is str and not raw.strip()):
                if col.column.required:
                    bad = True
                    self._issue(
                        Issue(
                            row_number,
                            col.column.field,
                            col.header,
                            col.code_prefix + "required",
                            required_message(col.column),
                            "",
                        )
                    )
                continue
            try:
                row[col.column.field] = col.convert(raw)
            except CellError as exc:
                bad = True
                self._issue(
                    Issue(
                        row_number,
                        col.column.field,
                        col.header,
                        col.code_prefix + exc.rule,
                        str(exc.message),
                        col.mask(raw),
                    )
                )
        if bad:
            self.outcome.rows_invalid += 1
            return
        try:
            data = self.adapter.clean(row, self.ctx)
        except RowInvalid as exc:
            for field_name, rule, message in exc.errors:
                code = self._code(field_name, rule)
                self._field_issue(row_number, values, field_name, code, message)
            self.outcome.rows_invalid += 1
            return
        except DomainError as exc:
            field_name = next(iter(exc.fields), "") if exc.fields else ""
            if field_name not in self.columns_by_field:
                field_name = ""
            self._field_issue(
                row_number, values, field_name, self._code(field_name, exc.code), exc.message
            )
            self.outcome.rows_invalid += 1
            return
        key = self.adapter.key(data, self.ctx)
        if key is not None:
            first = self.seen.get(key)
            if first is not None:
                self._issue(
                    Issue(
                        row_number,
                        "",
                        "",
                        f"{self.entity}.duplicate_in_file",
                        _("与第 %(row)d 行是同一条记录（重复），请删除其中一行。") % {"row": first},
                        "",
                    )
                )
                self.outcome.rows_invalid += 1
                return
            self.seen[key] = row_number
        self.pending.append((CleanRow(row_number=row_number, data=data), key))

    def _flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        keys = [key for _row, key in pending if key is not None]
        found = self.adapter.existing(keys, self.ctx) if keys else {}
        outcome = self.outcome
        valid: list[CleanRow] = []
        for clean_row, key in pending:
            if key is not None and key in found:
                pk = found[key]
                if pk is None:
                    self._issue(
                        Issue(
                            clean_row.row_number,
                            "",
                            "",
                            f"{self.entity}.duplicate_elsewhere",
                            _(
                                "该记录已在您管辖范围以外的地区登记，不能在这里重复登记；"
                                "如需迁入，请联系原登记地区处理。"
                            ),
                            "",
                        )
                    )
                    outcome.rows_invalid += 1
                    continue
                if not self.adapter.updates_existing:
                    self._issue(
                        Issue(
                            clean_row.row_number,
                            "",
                            "",
                            f"{self.entity}.duplicate",
                            _("该记录已经登记过，不能重复导入。"),
                            "",
                        )
                    )
                    outcome.rows_invalid += 1
                    continue
                clean_row.existing_pk = pk
                outcome.to_update += 1
            else:
                outcome.to_create += 1
            outcome.rows_valid += 1
            valid.append(clean_row)
        if self.write and valid:
            created, updated = self.adapter.write(valid, self.ctx)
            outcome.created += created
            outcome.updated += updated


def run(
    data: bytes,
    adapter: ImportAdapter,
    ctx: ImportContext,
    *,
    filename: str = "",
    write: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    """Validate (and with `write=True` write) every row of the file. File-level problems raise
    ImportFileError; row problems end up in `Outcome.issues`."""
    with open_upload(data, filename) as table:
        located = locate(table, adapter)
        return _Run(located, adapter, ctx, write=write, progress=progress).run()
