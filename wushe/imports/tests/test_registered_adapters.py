"""Every register's adapter works with the engine: its template builds, its own template is
recognised (no missing columns; the example row is skipped) and its examples convert."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import WINDOWS_EPOCH

from wushe.imports import engine
from wushe.imports.adapters import Kind, all_adapters
from wushe.imports.cells import converter_for
from wushe.imports.services import import_context
from wushe.imports.xlsx import build_template, template_header

from .conftest import KIND

pytestmark = pytest.mark.django_db

ADAPTERS = [a for a in all_adapters() if a.kind != KIND]


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.kind)
def test_template_round_trip(adapter, role_users):
    content = build_template(adapter, max_rows=1000, max_mib=20)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]] == [template_header(c) for c in adapter.columns]
    outcome = engine.run(
        content, adapter, import_context(user=role_users["admin"]), filename="t.xlsx"
    )
    assert outcome.rows_total == 0 and outcome.rows_empty == 1
    assert outcome.unknown_columns == []


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.kind)
def test_examples_convert(adapter, regions):
    from datetime import date

    for column in adapter.columns:
        if not column.example or column.kind in (Kind.REGION, Kind.TERMS):
            continue
        convert = converter_for(column, today=date.today(), epoch=WINDOWS_EPOCH)
        convert(column.example)  # raises CellError when the example is not valid
