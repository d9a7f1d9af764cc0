"""Finding the header row of a real spreadsheet: pure, no ORM.

Real files have a title row or two above the header ("海宁市居民信息登记表", merged across the
sheet), headers over two rows with merged group cells ("联系方式" over "手机号码"/"固定电话"),
required-markers ("*姓名"), line breaks, full-width characters and notes in parentheses
("出生日期(yyyy-mm-dd)"). The header is the row (or pair of rows) among the first few that
matches the most known headers and aliases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .adapters import Column

_SPACES = re.compile(r"\s+")
_MARKERS = re.compile(r"[*※★☆]")
# Notes in brackets: (yyyy-mm-dd) （必填） [选填] 【例：…】
_NOTES = re.compile(r"[(\[【〔<《][^)\]】〕>》]*[)\]】〕>》]")
_TRAILING = re.compile(r"[:：.。、,，;；]+$")


def normalize_header(value: Any) -> str:
    """Header text for matching: NFKC, no whitespace or line breaks, no required markers,
    no trailing colon, lower-case latin letters."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub("", text)
    text = _MARKERS.sub("", text)
    text = _TRAILING.sub("", text)
    return text.lower()


def display_header(value: Any) -> str:
    """Header as shown back to the user (one line, trimmed)."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())[:100]


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


class HeaderMatcher:
    """Known headers and aliases of an adapter's columns → the column."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._exact: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.header, *column.aliases):
                key = normalize_header(name)
                if key:
                    self._exact.setdefault(key, column)
                    stripped = _NOTES.sub("", key)
                    if stripped:
                        self._exact.setdefault(stripped, column)
        self._by_length = sorted(self._exact, key=len, reverse=True)

    def match(self, value: Any) -> Column | None:
        text = normalize_header(value)
        if not text:
            return None
        found = self._exact.get(text)
        if found is not None:
            return found
        stripped = _NOTES.sub("", text)
        found = self._exact.get(stripped)
        if found is not None:
            return found
        # A known header followed by a note without brackets ("出生日期yyyy-mm-dd",
        # "身份证号码18位"); "姓名拼音" is another column, not 姓名.
        for known in self._by_length:
            if len(known) >= 2 and stripped.startswith(known):
                rest = stripped[len(known) :]
                if not _is_cjk(rest[0]) or rest.startswith(("必填", "选填", "可选")):
                    return self._exact[known]
        return None


@dataclass
class HeaderPlan:
    """Where the header is and which column index feeds which field."""

    header_row: int  # sheet row number of the (last) header row
    mapping: list[tuple[int, Column]]  # (0-based index in the row, column)
    headers: dict[str, str]  # field → header text as found in the file
    unknown: list[str] = field(default_factory=list)  # headers that match no column
    duplicates: list[str] = field(default_factory=list)  # second columns for a field

    @property
    def fields(self) -> set[str]:
        return {column.field for _index, column in self.mapping}

    def missing_required(self, columns: Sequence[Column]) -> list[Column]:
        found = self.fields
        return [c for c in columns if c.required and c.field not in found]


def _plan(cells: Sequence[Any], header_row: int, matcher: HeaderMatcher) -> HeaderPlan:
    mapping: list[tuple[int, Column]] = []
    headers: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, value in enumerate(cells):
        if value is None or not str(value).strip():
            continue
        column = matcher.match(value)
        if column is None:
            unknown.append(display_header(value))
        elif column.field in headers:
            duplicates.append(display_header(value))
        else:
            mapping.append((index, column))
            headers[column.field] = display_header(value)
    return HeaderPlan(header_row, mapping, headers, unknown, duplicates)


def _combined(top: Sequence[Any], bottom: Sequence[Any]) -> list[Any]:
    """Two header rows as one: the lower cell where it has text (the sub-header under a
    merged group cell), else the upper one (a cell merged down over both rows)."""
    width = max(len(top), len(bottom))
    cells: list[Any] = []
    for index in range(width):
        low = bottom[index] if index < len(bottom) else None
        high = top[index] if index < len(top) else None
        has_low = low is not None and str(low).strip() != ""
        cells.append(low if has_low else high)
    return cells


def find_header(
    rows: Sequence[tuple[int, Sequence[Any]]], matcher: HeaderMatcher
) -> HeaderPlan | None:
    """The best header among `rows` (the first rows of a sheet, with their row numbers), or
    None when no row matches any known header. Among equals the one with fewer unknown
    headers wins, then the earlier, single-row candidate."""
    best: HeaderPlan | None = None
    best_score = (0, 0)
    for position, (row_number, cells) in enumerate(rows):
        candidates = [_plan(cells, row_number, matcher)]
        if position + 1 < len(rows):
            next_number, next_cells = rows[position + 1]
            if next_number == row_number + 1:
                candidates.append(_plan(_combined(cells, next_cells), next_number, matcher))
        for plan in candidates:
            score = (len(plan.mapping), -len(plan.unknown) - len(plan.duplicates))
            if plan.mapping and score > best_score:
                best, best_score = plan, score
    return best
