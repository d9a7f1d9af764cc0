"""A fund's managing organisation and a store's operator lie in the writer's scope (issue 9):
a 硖石 township officer may not make a 昆山 (Jiangsu) organisation a fund's manager, through
the API or the pages, and the forms do not offer it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.charity import services
from wushe.charity.models import CharityFund, CharityStore
from wushe.core.errors import ValidationFailed
from wushe.organizations.models import Organization
from wushe.regions.models import Region
from wushe.testing import HAINING, NANGUANXIANG, XIASHI, bearer_client

pytestmark = pytest.mark.django_db

KUNSHAN = "320583000000"
OUT_OF_SCOPE = "charity.organization_out_of_scope"
OUT_OF_SCOPE_MESSAGE = "该社会组织不在您的管辖范围内。"


@pytest.fixture
def orgs(regions: None) -> dict[str, Organization]:
    """One organisation filed in 硖石, one registered by the county that serves 南关厢社区, one
    of 昆山市 (another province)."""
    jiangsu, _ = Region.objects.get_or_create(
        code="320000000000", defaults={"name": "江苏省", "short_name": "江苏", "level": 1}
    )
    suzhou, _ = Region.objects.get_or_create(
        code="320500000000",
        defaults={"name": "苏州市", "short_name": "苏州", "level": 2, "parent": jiangsu},
    )
    Region.objects.get_or_create(
        code=KUNSHAN,
        defaults={"name": "昆山市", "short_name": "昆山", "level": 3, "parent": suzhou},
    )
    county_org = Organization.objects.create(name="海宁市阳光社工服务中心", region_id=HAINING)
    county_org.coverage.add(Region.objects.get(code=NANGUANXIANG))
    return {
        "xiashi": Organization.objects.create(name="硖石街道邻里互助会", region_id=XIASHI),
        "county": county_org,
        "kunshan": Organization.objects.create(name="昆山市同心公益服务社", region_id=KUNSHAN),
    }


def page_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_json(user: Any, path: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(bearer_client(user), method)(path, body, content_type="application/json")


def _events_besides_tokens() -> int:
    """Audit events other than the API tokens the test clients are issued."""
    return AuditEvent.objects.exclude(action__startswith="accounts.token").count()


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == OUT_OF_SCOPE
    assert body["message"] == OUT_OF_SCOPE_MESSAGE
    assert field in body["fields"]


# --- API -------------------------------------------------------------------------------------


def test_township_officer_cannot_make_a_kunshan_organisation_a_fund_manager(
    charity, role_users, orgs
):
    officer = role_users["township"]
    funds, events = CharityFund.objects.count(), _events_besides_tokens()
    body = {"region": XIASHI, "kind": "micro", "name": "硖石越界基金"}
    response = _post_json(
        officer, "/api/v1/charity/funds", {**body, "managing_org_id": orgs["kunshan"].pk}
    )
    _refused(response, "managing_org")
    assert CharityFund.objects.count() == funds
    assert _events_besides_tokens() == events
    assert not CharityFund.objects.filter(name="硖石越界基金").exists()

    # The township's own organisation and a county agency serving it are accepted.
    for org in (orgs["xiashi"], orgs["county"]):
        response = _post_json(
            officer,
            "/api/v1/charity/funds",
            {**body, "name": f"{org.name}微基金", "managing_org_id": org.pk},
        )
        assert response.status_code == 201, response.content
        assert response.json()["managing_org_id"] == org.pk


def test_fund_patch_refuses_an_outside_manager_and_changes_nothing(charity, role_users, orgs):
    officer, micro = role_users["township"], charity["micro"]
    path = f"/api/v1/charity/funds/{micro.pk}"
    response = _post_json(
        officer, path, {"name": "改名", "managing_org_id": orgs["kunshan"].pk}, method="patch"
    )
    _refused(response, "managing_org")
    micro.refresh_from_db()
    assert micro.managing_org_id is None and micro.name == "硖石街道社区微基金"

    response = _post_json(officer, path, {"managing_org_id": orgs["xiashi"].pk}, method="patch")
    assert response.status_code == 200, response.content
    assert response.json()["managing_org_name"] == "硖石街道邻里互助会"


def test_a_manager_set_by_a_wider_scope_may_stay(charity, role_users, orgs):
    """An administrator named the 昆山 organisation; the township officer still edits the fund's
    other fields (the page sends the manager back unchanged), but cannot name it anew."""
    micro = charity["micro"]
    services.fund_update(
        fund=micro, changes={"managing_org": orgs["kunshan"]}, actor=charity["actor"]
    )
    officer = role_users["township"]
    client = page_client(officer)
    page = client.get(f"/charity/funds/{micro.pk}/edit/").content.decode()
    assert "昆山市同心公益服务社" in page  # the current choice is kept on the form
    response = client.post(
        f"/charity/funds/{micro.pk}/edit/",
        {
            "kind": "micro",
            "name": "硖石街道邻里微基金",
            "managing_org": orgs["kunshan"].pk,
            "public": "on",
        },
    )
    assert response.status_code == 302
    micro.refresh_from_db()
    assert micro.name == "硖石街道邻里微基金" and micro.managing_org_id == orgs["kunshan"].pk


def test_store_operator_outside_scope_is_refused_via_api(charity, role_users, orgs):
    worker = role_users["community_a"]
    stores = CharityStore.objects.count()
    body = {"region": NANGUANXIANG, "name": "南关厢第二爱心超市"}
    response = _post_json(
        worker, "/api/v1/charity/stores", {**body, "operator_id": orgs["kunshan"].pk}
    )
    _refused(response, "operator")
    assert CharityStore.objects.count() == stores

    store = charity["store_a"]
    response = _post_json(
        worker,
        f"/api/v1/charity/stores/{store.pk}",
        {"operator_id": orgs["kunshan"].pk},
        method="patch",
    )
    _refused(response, "operator")
    store.refresh_from_db()
    assert store.operator_id is None

    response = _post_json(
        worker, "/api/v1/charity/stores", {**body, "operator_id": orgs["county"].pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["operator_name"] == "海宁市阳光社工服务中心"


def test_admin_may_name_any_organisation(charity, orgs):
    fund = services.fund_create(
        region_code=XIASHI,
        kind="special",
        name="跨省协作专项基金",
        managing_org=orgs["kunshan"],
        actor=charity["actor"],
    )
    assert fund.managing_org_id == orgs["kunshan"].pk


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/charity/funds/new/", "/charity/stores/new/", "/charity/funds/{micro}/edit/"]
)
def test_forms_offer_only_organisations_in_scope(charity, role_users, orgs, path):
    page = page_client(role_users["township"]).get(path.format(micro=charity["micro"].pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "硖石街道邻里互助会" in text
    assert "海宁市阳光社工服务中心" in text  # registered by the county, serves 南关厢社区
    assert "昆山市同心公益服务社" not in text


def test_store_edit_form_of_a_community_worker(charity, role_users, orgs):
    path = f"/charity/stores/{charity['store_a'].pk}/edit/"
    text = page_client(role_users["community_a"]).get(path).content.decode()
    assert "海宁市阳光社工服务中心" in text
    assert "昆山市同心公益服务社" not in text


def test_fund_page_refuses_an_outside_manager_and_writes_nothing(charity, role_users, orgs):
    client = page_client(role_users["township"])
    funds, events = CharityFund.objects.count(), AuditEvent.objects.count()
    response = client.post(
        "/charity/funds/new/",
        {
            "region": XIASHI,
            "kind": "micro",
            "name": "硖石越界基金",
            "managing_org": orgs["kunshan"].pk,
            "public": "on",
        },
    )
    assert response.status_code == 422
    assert CharityFund.objects.count() == funds
    assert AuditEvent.objects.count() == events

    response = client.post(
        "/charity/funds/new/",
        {
            "region": XIASHI,
            "kind": "micro",
            "name": "硖石邻里微基金",
            "managing_org": orgs["xiashi"].pk,
            "public": "on",
        },
    )
    assert response.status_code == 302
    assert CharityFund.objects.get(name="硖石邻里微基金").managing_org_id == orgs["xiashi"].pk


def test_store_page_refuses_an_outside_operator(charity, role_users, orgs):
    client = page_client(role_users["township"])
    store = charity["store_town"]
    response = client.post(
        f"/charity/stores/{store.pk}/edit/",
        {"name": store.name, "operator": orgs["kunshan"].pk, "active": "on"},
    )
    assert response.status_code == 422
    store.refresh_from_db()
    assert store.operator_id is None
    response = client.post(
        "/charity/stores/new/",
        {"region": XIASHI, "name": "硖石第二爱心超市", "operator": orgs["kunshan"].pk},
    )
    assert response.status_code == 422
    assert not CharityStore.objects.filter(name="硖石第二爱心超市").exists()


def test_service_refusal_shows_on_the_form(charity, role_users, orgs):
    """The page's write path is the service: were the form to offer the outside organisation,
    the service's Chinese message would come back on the form."""
    from wushe.charity import forms

    officer = role_users["township"]
    form = forms.FundForm(
        {
            "region": XIASHI,
            "kind": "micro",
            "name": "硖石越界基金",
            "managing_org": orgs["kunshan"].pk,
        },
        regions=Region.objects.filter(code=XIASHI),
        organizations=Organization.objects.all(),
    )
    assert form.is_valid(), form.errors
    with pytest.raises(ValidationFailed) as caught:
        services.fund_create(
            region_code=XIASHI,
            kind="micro",
            name="硖石越界基金",
            managing_org=form.cleaned_data["managing_org"],
            actor=officer,
        )
    assert caught.value.code == OUT_OF_SCOPE
    forms.apply_error(form, caught.value)
    assert OUT_OF_SCOPE_MESSAGE in str(form.errors)
