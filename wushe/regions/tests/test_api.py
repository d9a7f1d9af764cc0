import pytest
from django.test import Client

from wushe.testing import NANGUANXIANG, bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(role_users):
    return bearer_client(role_users["community_a"])


def test_provinces_without_parent(client):
    body = client.get("/api/v1/regions").json()
    assert body["parent"] is None
    assert "330000000000" in {item["code"] for item in body["items"]}


def test_children_of_haining_are_its_twelve_townships(client):
    body = client.get("/api/v1/regions", {"parent": "330481"}).json()
    assert body["parent"]["code"] == "330481000000"
    assert body["count"] == 12
    kinds = [item["kind"] for item in body["items"]]
    assert kinds.count("street") == 4 and kinds.count("town") == 8
    xiashi = body["items"][0]
    assert (xiashi["short_name"], xiashi["child_count"]) == ("硖石街道", 25)


@pytest.mark.parametrize("spelling", ["330481001007", " 330481001007 "])
def test_region_detail_has_level_kind_and_parent_chain(client, spelling):
    body = client.get(f"/api/v1/regions/{spelling.strip()}").json()
    assert body["code"] == NANGUANXIANG
    assert (body["level"], body["kind"], body["kind_label"]) == (5, "urban", "居委会（城镇社区）")
    assert [r["short_name"] for r in body["chain"]] == ["浙江省", "嘉兴市", "海宁市", "硖石街道"]
    assert body["in_scope"] is True
    assert [r["in_scope"] for r in body["chain"]] == [False, False, False, False]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/regions/33048", 422, "region.code_invalid"),
        ("/api/v1/regions/abc", 422, "region.code_invalid"),
        ("/api/v1/regions/330481001999", 404, "region.not_found"),
        ("/api/v1/regions/990000", 404, "region.not_found"),
        ("/api/v1/regions?parent=x1", 422, "region.code_invalid"),
        ("/api/v1/regions?parent=330481999", 404, "region.not_found"),
        ("/api/v1/regions/%00", 422, "region.code_invalid"),
    ],
)
def test_bad_region_codes_get_the_error_shape(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert "区划" in body["message"]


def test_anonymous_caller_gets_401(regions):
    response = Client().get("/api/v1/regions")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"
