"""The engine on real .xlsx/.csv files made here: every messy case of issue 3."""

from __future__ import annotations

from datetime import date

import pytest

from wushe.imports import engine
from wushe.imports.errors import ImportFileError
from wushe.imports.services import import_context
from wushe.testing import DONGSHAN, NANGUANXIANG

from .conftest import (
    HEADER,
    ID_A,
    ID_B,
    ID_C,
    ID_D,
    ID_E,
    ID_F,
    csv_bytes,
    rewrite_sheets,
    with_shared_strings,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def run(people, user, data, name="名单.xlsx", **kw):
    return engine.run(data, people, import_context(user=user), filename=name, **kw)


def codes(outcome):
    return [(i.row_number, i.code) for i in outcome.issues]


@pytest.fixture
def worker(role_users):
    return role_users["community_a"]  # 南关厢社区


def test_title_row_two_row_header_with_merged_cells_and_notes(people, worker):
    data = xlsx_bytes(
        [
            ["海宁市居民信息登记表"],
            ["*姓名", "身份证号\n(18位)", "联系方式", None, "出生日期(yyyy-mm-dd)", "所属社区"],
            [None, None, "手机号码", "固定电话", None, None],
            ["张三", ID_A, "13812345678", "0573-1234567", "1990-01-01", NANGUANXIANG],
        ],
        merges=["A1:F1", "C2:D2", "A2:A3", "B2:B3", "E2:E3", "F2:F3"],
    )
    outcome = run(people, worker, data)
    assert outcome.header_row == 3
    assert outcome.issues == []
    assert (outcome.rows_total, outcome.rows_valid) == (1, 1)
    assert outcome.unknown_columns == ["固定电话"]
    row = people.cleaned[0]
    assert row["name"] == "张三" and row["phone"] == "+8613812345678"
    assert row["birth"] == date(1990, 1, 1) and row["region"] == NANGUANXIANG


def test_empty_rows_are_skipped_and_counted_row_numbers_as_in_excel(people, worker):
    data = xlsx_bytes(
        [
            HEADER,
            ["张三", ID_A, None, None, NANGUANXIANG],
            [None, None, None, None, None],
            [None, " ", None, None, None],
            ["李四", "123", None, None, NANGUANXIANG],
        ]
    )
    outcome = run(people, worker, data)
    assert outcome.rows_empty == 2
    assert outcome.rows_total == 2
    assert codes(outcome) == [(5, "person.id_number.format")]


def test_id_numbers_that_excel_turned_into_numbers(people, worker):
    data = xlsx_bytes(
        [
            HEADER,
            ["浮点", 3.30481199001011e17, None, None, NANGUANXIANG],
            ["科学计数", "3.30481E+17", None, None, NANGUANXIANG],
            ["整数", "PLACEHOLDER", None, None, NANGUANXIANG],
        ]
    )
    # Excel itself stores the lost-digit number as an integer-looking value.
    data = rewrite_sheets(
        data,
        {
            '<c r="B4" t="inlineStr"><is><t>PLACEHOLDER</t></is></c>': (
                '<c r="B4" t="n"><v>330481199001011000</v></c>'
            )
        },
    )
    outcome = run(people, worker, data)
    assert codes(outcome) == [
        (2, "person.id_number.excel_number"),
        (3, "person.id_number.excel_number"),
        (4, "person.id_number.excel_number"),
    ]
    issue = outcome.issues[0]
    assert issue.header == "身份证号"
    assert "后几位数字已经丢失" in issue.message
    # The value is masked in the issue: never the full number.
    assert outcome.issues[2].value == "3304**********1000"


def test_full_width_lower_case_x_and_stray_spaces_are_cleaned(people, worker):
    with_x = "11010519491231002X"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ID_B)
    data = xlsx_bytes(
        [
            HEADER,
            ["  王 五 ", with_x.lower(), " 138 1234 5678 ", None, NANGUANXIANG],
            ["赵六", full_width, "１３９１２３４５６７８", None, f" {NANGUANXIANG} "],
        ]
    )
    outcome = run(people, worker, data)
    assert outcome.issues == []
    first, second = people.cleaned
    assert first["name"] == "王 五" and first["id_number"].number == with_x
    assert first["phone"] == "+8613812345678"
    assert second["id_number"].number == ID_B and second["phone"] == "+8613912345678"


def test_dates_in_four_styles_and_excel_serials(people, worker):
    ids = [ID_A, ID_B, ID_C, ID_D, ID_E, ID_F]
    header = ["姓名", "身份证号", "所属社区", "登记日期"]
    data = xlsx_bytes(
        [
            header,
            ["甲", ids[0], NANGUANXIANG, "2024/1/5"],
            ["乙", ids[1], NANGUANXIANG, "2024-01-05"],
            ["丙", ids[2], NANGUANXIANG, "2024年1月5日"],
            ["丁", ids[3], NANGUANXIANG, "2024.1.5"],
            ["戊", ids[4], NANGUANXIANG, 45296],
            ["己", ids[5], NANGUANXIANG, "45296"],
        ],
        text_columns=[2],
    )
    outcome = run(people, worker, data)
    assert [i.message for i in outcome.issues] == []
    assert {row["joined"] for row in people.cleaned} == {date(2024, 1, 5)}


def test_invalid_dates_and_other_cells_are_errors_per_cell(people, worker):
    data = xlsx_bytes(
        [
            ["姓名", "身份证号", "所属社区", "登记日期", "捐款金额", "是否在册", "技能", "性别"],
            ["甲", ID_A, NANGUANXIANG, "2024/2/30", "12.345", "也许", "急救、飞行", "未知"],
            ["乙", ID_B, NANGUANXIANG, "2024/2/28", "1,234.5", "是", "急救、烹饪", "女"],
        ]
    )
    outcome = run(people, worker, data)
    assert codes(outcome) == [
        (2, "person.joined.date"),
        (2, "person.amount.money"),
        (2, "person.active.bool"),
        (2, "person.skills.term"),
        (2, "person.sex.choice"),
    ]
    assert "飞行" in outcome.issues[3].message
    row = people.cleaned[0]
    assert row["amount"] == 123450 and row["active"] is True and row["sex"] == "female"
    assert [t.code for t in row["skills"]] == ["first-aid", "cooking"]
    assert outcome.rows_invalid == 1 and outcome.rows_valid == 1


def test_formula_cells_without_results(people, worker):
    data = xlsx_bytes([HEADER, ["=A1", ID_A, None, None, NANGUANXIANG]])
    outcome = run(people, worker, data)
    assert codes(outcome) == [(2, "person.name.formula")]
    assert outcome.issues[0].message == "该单元格是公式且没有计算结果，请复制后“粘贴为数值”再导入"


def test_duplicates_within_the_file_name_the_first_row(people, worker):
    data = xlsx_bytes(
        [
            HEADER,
            ["张三", ID_A, None, None, NANGUANXIANG],
            ["李四", ID_B, None, None, NANGUANXIANG],
            ["张三", ID_A.lower(), None, None, NANGUANXIANG],
        ]
    )
    outcome = run(people, worker, data)
    assert codes(outcome) == [(4, "person.duplicate_in_file")]
    assert "第 2 行" in outcome.issues[0].message
    assert (outcome.rows_valid, outcome.rows_invalid) == (2, 1)


def test_duplicates_against_the_database(people, worker):
    people.database = {ID_A: 7, ID_B: None}
    data = xlsx_bytes(
        [
            HEADER,
            ["张三", ID_A, None, None, NANGUANXIANG],
            ["李四", ID_B, None, None, NANGUANXIANG],
            ["王五", ID_C, None, None, NANGUANXIANG],
        ]
    )
    outcome = run(people, worker, data)
    assert codes(outcome) == [(3, "person.duplicate_elsewhere")]
    assert (outcome.to_update, outcome.to_create) == (1, 1)
    people.updates_existing = False
    outcome = run(people, worker, data)
    assert codes(outcome) == [(2, "person.duplicate"), (3, "person.duplicate_elsewhere")]


def test_region_codes_outside_the_importers_scope(people, worker):
    data = xlsx_bytes(
        [
            HEADER,
            ["张三", ID_A, None, None, DONGSHAN],
            ["李四", ID_B, None, None, "南关厢社区"],
            ["王五", ID_C, None, None, "330481999999"],
            ["赵六", ID_D, None, None, "东山社区"],
        ]
    )
    outcome = run(people, worker, data)
    assert codes(outcome) == [
        (2, "person.region.out_of_scope"),
        (4, "person.region.not_found"),
        (5, "person.region.out_of_scope"),
    ]
    assert "东山社区" in outcome.issues[0].message and DONGSHAN in outcome.issues[0].message
    assert "管辖范围" in outcome.issues[0].message
    assert people.cleaned[0]["region"] == NANGUANXIANG


def test_a_township_officer_may_import_into_every_community_of_the_township(people, role_users):
    data = xlsx_bytes([HEADER, ["张三", ID_A, None, None, DONGSHAN]])
    assert run(people, role_users["township"], data).issues == []


def test_clean_errors_name_field_and_rule(people, worker):
    data = xlsx_bytes([HEADER, ["张三", ID_A, None, "1991-01-01", NANGUANXIANG]])
    outcome = run(people, worker, data)
    assert codes(outcome) == [(2, "person.birth.mismatch")]
    assert outcome.issues[0].header == "出生日期" and outcome.issues[0].value == "1991-01-01"


def test_required_cells(people, worker):
    data = xlsx_bytes([HEADER, [None, ID_A, None, None, NANGUANXIANG]])
    outcome = run(people, worker, data)
    assert codes(outcome) == [(2, "person.name.required")]
    assert "姓名" in outcome.issues[0].message


def test_missing_required_columns_are_listed_by_chinese_name(people, worker):
    data = xlsx_bytes([["姓名", "手机号码"], ["张三", "13812345678"]])
    with pytest.raises(ImportFileError) as caught:
        run(people, worker, data)
    assert caught.value.code == "import.missing_columns"
    assert caught.value.fields["columns"] == ["身份证号", "所属社区"]
    assert "身份证号、所属社区" in str(caught.value.message)


def test_no_header_found(people, worker):
    data = xlsx_bytes([["这是一份说明"], ["没有表头"], ["1", "2"]])
    with pytest.raises(ImportFileError) as caught:
        run(people, worker, data)
    assert caught.value.code == "import.no_header"
    assert "表头" in str(caught.value.message)
    with pytest.raises(ImportFileError) as caught:
        run(people, worker, xlsx_bytes([]))
    assert caught.value.code == "import.no_header"


def test_too_many_rows(people, worker, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_MAX_ROWS": 2}
    rows = [HEADER] + [["张三", ID_A, None, None, NANGUANXIANG]] * 3
    with pytest.raises(ImportFileError) as caught:
        run(people, worker, csv_bytes(rows), "a.csv")
    assert caught.value.code == "import.too_many_rows"


def test_gbk_and_bom_csv(people, worker):
    rows = [HEADER, ["张三", ID_A, "13812345678", "1990-01-01", "南关厢社区"]]
    for data in (
        csv_bytes(rows, encoding="gbk"),
        b"\xef\xbb\xbf" + csv_bytes(rows),
        csv_bytes(rows, encoding="utf-16", delimiter="\t"),
    ):
        people.cleaned.clear()
        outcome = run(people, worker, data, "名单.csv")
        assert outcome.issues == [] and outcome.file_format == "csv"
        assert people.cleaned[0]["name"] == "张三"


def test_aliases_unknown_columns_and_the_template_example_row(people, worker):
    data = xlsx_bytes(
        [
            ["序号", "名字", "公民身份号码", "所属社区", "备注", "联系电话"],
            [None, "张三", "330481199001011234", "330481001007", None, "13812345678"],
            [1, "李四", ID_B, NANGUANXIANG, "x", None],
        ]
    )
    outcome = run(people, worker, data)
    assert outcome.unknown_columns == ["序号", "备注"]
    # Row 2 is the template's example (name, ID, region, phone as in the template): skipped.
    assert (outcome.rows_total, outcome.rows_empty, outcome.issues) == (1, 1, [])


def test_the_sheet_with_the_header_is_chosen(people, worker):
    data = xlsx_bytes(
        [HEADER, ["张三", ID_A, None, None, NANGUANXIANG]],
        sheets=[("说明", [["请在“名单”工作表填写"]])],
    )
    outcome = run(people, worker, data)
    assert outcome.sheet_name == "名单" and outcome.rows_valid == 1


def test_lookups_and_writes_happen_in_batches(people, worker, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_BATCH_ROWS": 2}
    calls = []
    original = people.existing
    people.existing = lambda keys, ctx: calls.append(list(keys)) or original(keys, ctx)
    ids = [ID_A, ID_B, ID_C, ID_D, ID_E]
    data = csv_bytes([HEADER] + [["某", i, None, None, NANGUANXIANG] for i in ids])
    outcome = run(people, worker, data, "a.csv", write=True)
    assert [len(c) for c in calls] == [2, 2, 1]
    assert people.write_calls == 3
    assert (outcome.created, outcome.updated) == (5, 0)


def test_progress_is_reported_every_few_rows(people, worker, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_PROGRESS_EVERY": 2}
    seen = []
    ids = [ID_A, ID_B, ID_C, ID_D, ID_E]
    data = csv_bytes([HEADER] + [["某", i, None, None, NANGUANXIANG] for i in ids])
    run(people, worker, data, "a.csv", progress=lambda done, total: seen.append(done))
    assert seen == [2, 4, 5]


def test_a_file_as_excel_saves_it_with_shared_strings(people, worker):
    data = with_shared_strings(
        xlsx_bytes(
            [
                ["海宁市居民信息登记表"],
                ["*姓名", "身份证号", "所属社区", "登记日期"],
                ["张三", ID_A, "南关厢社区", "2024年1月5日"],
                ["李四", "3.30481E+17", NANGUANXIANG, "2024/1/5"],
            ],
            merges=["A1:D1"],
        )
    )
    outcome = run(people, worker, data)
    assert outcome.header_row == 2
    assert codes(outcome) == [(4, "person.id_number.excel_number")]
    assert people.cleaned[0]["joined"] == date(2024, 1, 5)
