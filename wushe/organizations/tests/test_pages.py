import pytest

from wushe.audit.models import AuditEvent
from wushe.organizations.models import LegalStatus, OrganizationContact
from wushe.testing import XIASHI

from .conftest import CODE_ASSOCIATION, signed_in

pytestmark = pytest.mark.django_db


def test_list_page_in_chinese_with_htmx_filters(role_users, orgs):
    client = signed_in(role_users["township"])
    response = client.get("/organizations/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "社会组织" in html and "新增社会组织" in html
    assert 'href="/imports/export/organizations/"' in html
    assert orgs["nan"].name in html and orgs["haizhou"].name not in html
    assert "138****5678" in html and "13812345678" not in html
    partial = client.get("/organizations/", {"legal_status": "registered"}, HTTP_HX_REQUEST="true")
    fragment = partial.content.decode()
    assert "<html" not in fragment
    assert orgs["agency_nan"].name in fragment and orgs["nan"].name not in fragment


def test_nav_shows_the_register_to_workers_and_org_staff_only(role_users, orgs):
    for key, sees in [("community_a", True), ("org_staff", True), ("resident", False)]:
        html = signed_in(role_users[key]).get("/").content.decode()
        assert ('href="/organizations/"' in html) is sees, key


@pytest.mark.parametrize(
    ("key", "target", "status"),
    [
        ("community_b", "nan", 404),
        ("community_a", "dong", 404),
        ("community_a", "nan", 200),
        ("community_a", "agency_nan", 200),
        ("org_staff", "own", 200),
        ("org_staff", "nan", 404),
        ("township", "haizhou", 404),
        ("resident", "nan", 404),
    ],
)
def test_detail_page_scope(role_users, orgs, key, target, status):
    response = signed_in(role_users[key]).get(f"/organizations/{orgs[target].pk}/")
    assert response.status_code == status


def test_resident_cannot_open_the_list(role_users, orgs):
    assert signed_in(role_users["resident"]).get("/organizations/").status_code == 403


def test_detail_shows_facts_masked_contact_and_lifecycle_buttons(role_users, orgs):
    html = (
        signed_in(role_users["township"]).get(f"/organizations/{orgs['nan'].pk}/").content.decode()
    )
    assert "南关厢社区" in html and "备案" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "查看完整" in html  # township keeps this record: may reveal
    assert "确认登记" in html and "确认注销" in html
    auditor_html = (
        signed_in(role_users["auditor"]).get(f"/organizations/{orgs['nan'].pk}/").content.decode()
    )
    assert "138****5678" in auditor_html
    assert "查看完整" not in auditor_html and "确认登记" not in auditor_html


def test_grade_badge_on_the_detail_page(role_users, orgs):
    from datetime import timedelta

    from django.utils import timezone

    from wushe.organizations.models import Organization

    today = timezone.localdate()
    Organization.objects.filter(pk=orgs["agency_nan"].pk).update(
        grade="4A",
        grade_awarded_on=today - timedelta(days=1800),
        grade_expires_on=today + timedelta(days=25),
    )
    html = (
        signed_in(role_users["county"])
        .get(f"/organizations/{orgs['agency_nan'].pk}/")
        .content.decode()
    )
    assert "等级将于 25 天后到期" in html
    Organization.objects.filter(pk=orgs["agency_nan"].pk).update(
        grade_expires_on=today - timedelta(days=1)
    )
    html = signed_in(role_users["county"]).get("/organizations/").content.decode()
    assert "等级已过期" in html


def test_create_page_by_community_worker(role_users, orgs):
    client = signed_in(role_users["community_a"])
    assert "登记（备案）机关区划" in client.get("/organizations/new/").content.decode()
    response = client.post(
        "/organizations/new/",
        {
            "name": "南关厢助残服务队",
            "legal_status": "filed",
            "org_kind": "community",
            "region": "硖石街道",
            "coverage": "南关厢社区",
            "category": "charity",
            "service_categories": ["disability"],
            "contact_name": "王大姐",
            "contact_phone": "13700001234",
            "staff_full_time": 0,
            "staff_part_time": 4,
            "staff_social_workers": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()
    detail = client.get(response["Location"]).content.decode()
    assert "南关厢助残服务队" in detail and "137****1234" in detail


def test_create_page_shows_chinese_errors(role_users):
    client = signed_in(role_users["county"])
    response = client.post(
        "/organizations/new/",
        {
            "name": "海宁市某协会",
            "legal_status": "registered",
            "org_kind": "association",
            "region": "330481",
            "credit_code": CODE_ASSOCIATION[:-1] + "0",
            "staff_full_time": 0,
            "staff_part_time": 0,
            "staff_social_workers": 0,
        },
    )
    assert response.status_code == 200
    assert "统一社会信用代码校验不通过" in response.content.decode()


def test_edit_page_disables_official_fields_for_org_staff(role_users, orgs):
    client = signed_in(role_users["org_staff"])
    url = f"/organizations/{orgs['own'].pk}/edit/"
    html = client.get(url).content.decode()
    assert 'name="name"' in html and "disabled" in html
    response = client.post(
        url,
        {
            "name": "被忽略的新名字",
            "org_kind": "community",
            "region": XIASHI,
            "address": "文宗南路 8 号",
            "staff_full_time": 2,
            "staff_part_time": 5,
            "staff_social_workers": 1,
        },
    )
    assert response.status_code == 302
    orgs["own"].refresh_from_db()
    assert orgs["own"].address == "文宗南路 8 号"
    assert orgs["own"].name != "被忽略的新名字"
    assert (
        signed_in(role_users["org_staff"]).get(f"/organizations/{orgs['nan'].pk}/edit/").status_code
        == 404
    )


def test_lifecycle_and_grade_pages(role_users, orgs):
    client = signed_in(role_users["township"])
    url = f"/organizations/{orgs['nan'].pk}/register/"
    bad = client.post(url, {"register-credit_code": "123"})
    assert bad.status_code == 422 and "统一社会信用代码" in bad.content.decode()
    ok = client.post(url, {"register-credit_code": CODE_ASSOCIATION})
    assert ok.status_code == 302
    orgs["nan"].refresh_from_db()
    assert orgs["nan"].legal_status == LegalStatus.REGISTERED
    community = signed_in(role_users["community_a"])
    assert community.post(f"/organizations/{orgs['nan'].pk}/deregister/").status_code == 403
    county = signed_in(role_users["county"])
    early = county.post(
        f"/organizations/{orgs['nan'].pk}/grade/",
        {"grade-grade": "3A", "grade-awarded_on": "2024-01-01"},
    )
    assert early.status_code == 422
    assert "满两年" in early.content.decode()


def test_reveal_of_contact_phone_is_audited(role_users, orgs):
    contact = OrganizationContact.objects.get(organization=orgs["nan"])
    url = f"/privacy/reveal/organizations.organizationcontact/{contact.pk}/phone/"
    township = signed_in(role_users["township"])
    response = township.post(url, {"reason": "联系开展活动"})
    assert response.status_code == 200
    assert "+8613812345678" in response.content.decode()
    event = AuditEvent.objects.get(action="privacy.personal.revealed")
    assert event.region_code == XIASHI and event.changes["field"] == "phone"
    assert "13812345678" not in str(event.changes)

    auditor = signed_in(role_users["auditor"])
    response = auditor.post(url, {"reason": "抽查核对"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="privacy.personal.reveal_refused").count() == 1
    stranger = signed_in(role_users["community_b"])
    assert stranger.post(url, {"reason": "联系开展活动"}).status_code == 404


def test_reveal_through_the_api(role_users, orgs):
    from wushe.testing import bearer_client

    contact = OrganizationContact.objects.get(organization=orgs["nan"])
    body = {
        "subject_type": "organizations.organizationcontact",
        "subject_id": contact.pk,
        "field": "phone",
        "reason": "联系开展活动",
    }
    response = bearer_client(role_users["community_a"]).post(
        "/api/v1/personal/reveal", body, content_type="application/json"
    )
    # The community worker of 南关厢 keeps this community organisation: may reveal.
    assert response.status_code == 200 and response.json()["value"] == "+8613812345678"


def test_credit_code_warning_is_shown_on_the_detail_page(role_users):
    from .conftest import credit_code, make_org

    org = make_org(
        role_users["county"],
        legal_status=LegalStatus.REGISTERED,
        name="海宁市某服务中心",
        region="330481000000",
        org_kind="service_agency",
        credit_code=credit_code("52330481MJ0000019"),
    )
    html = signed_in(role_users["county"]).get(f"/organizations/{org.pk}/").content.decode()
    assert "组织机构代码部分" in html


def test_admin_pages_render(admin_client, orgs):
    client = admin_client
    assert client.get("/admin/organizations/organization/").status_code == 200
    assert (
        client.get(f"/admin/organizations/organization/{orgs['nan'].pk}/change/").status_code == 200
    )
