"""End to end with the real residents register: a messy .xlsx through the API, preview, commit,
export (masked)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from wushe.imports.adapters import adapter_for
from wushe.testing import DONGSHAN, NANGUANXIANG, bearer_client

from .conftest import ID_A, ID_B, ID_C, ID_D, xlsx_bytes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(adapter_for("residents") is None, reason="residents adapter missing"),
]


def test_residents_import_through_the_api(role_users):
    from wushe.residents.models import Resident

    client = bearer_client(role_users["community_a"])
    data = xlsx_bytes(
        [
            ["南关厢社区居民花名册"],
            [
                "序号",
                "*姓名",
                "公民身份号码",
                "联系电话",
                "所属社区",
                "户号",
                "与户主关系",
                "困难群体标签",
            ],
            [
                1,
                " 张 秀英 ",
                ID_A.lower(),
                "１３８１２３４５６７８",
                "南关厢社区",
                "NGX-1",
                "户主",
                "独居老人",
            ],
            [2, "李四", ID_B, None, NANGUANXIANG, "NGX-1", "配偶", None],
            [None, None, None, None, None, None, None, None],
            [4, "王五", 3.30481199001011e17, None, NANGUANXIANG, None, None, None],
            [5, "赵六", ID_C, None, DONGSHAN, None, None, None],
            [6, "李四", ID_B, None, NANGUANXIANG, None, None, None],
            [7, "钱七", ID_D, None, NANGUANXIANG, None, None, "飞行员"],
        ],
        merges=["A1:H1"],
    )
    response = client.post(
        "/api/v1/imports", {"kind": "residents", "file": SimpleUploadedFile("花名册.xlsx", data)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["header_row"] == 2 and body["unknown_columns"] == ["序号"]
    assert body["counts"]["rows_total"] == 6 and body["counts"]["rows_empty"] == 1
    assert body["counts"]["to_create"] == 2
    codes = [(i["row_number"], i["code"]) for i in body["issues"]]
    assert codes == [
        (6, "resident.id_number.excel_number"),
        (7, "resident.region.out_of_scope"),
        (8, "resident.duplicate_in_file"),
        (9, "resident.tags.unknown"),
    ]
    assert not Resident.objects.exists()

    body = client.post(f"/api/v1/imports/{body['id']}/commit").json()
    assert body["status"] == "committed", body
    assert body["counts"]["created"] == 2
    zhang = Resident.objects.get(name="张 秀英")
    assert zhang.region_id == NANGUANXIANG and zhang.id_number_masked.endswith(ID_A[-4:])
    assert zhang.household is not None

    export = client.get("/api/v1/exports/residents")
    assert export.status_code == 200, export.content
    content = b"".join(export.streaming_content)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert len(rows) == 3
    assert ID_A not in repr(rows) and ID_B not in repr(rows)
    assert "13812345678" not in repr(rows)
