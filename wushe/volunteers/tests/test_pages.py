"""Pages per role: list with filters, detail with masked values and audited reveal, register,
edit, status, "我的志愿者信息", teams."""

import pytest
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.testing import DONGSHAN, NANGUANXIANG, PASSWORD, XIASHI
from wushe.volunteers import services
from wushe.volunteers.models import Volunteer

from .helpers import id_number, register

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def people(role_users):
    a = register(
        name="李志愿", sequence=2, skills=["medical"], availability=1, user=role_users["volunteer"]
    )
    b = register(name="王东山", region=DONGSHAN, sequence=4)
    return a, b


def test_list_page_is_scoped_and_masked(role_users, people):
    html = signed_in(role_users["community_a"]).get("/volunteers/").content.decode()
    assert "李志愿" in html and "王东山" not in html
    assert id_number(sequence=2) not in html and "13812345678" not in html
    assert "138****5678" in html and "医疗护理" in html and "周一上午" in html
    assert "登记志愿者" in html and 'href="/imports/export/volunteers/"' in html
    township = signed_in(role_users["township"]).get("/volunteers/").content.decode()
    assert "李志愿" in township and "王东山" in township


def test_list_filters_answer_htmx_with_the_results_only(role_users, people):
    client = signed_in(role_users["township"])
    response = client.get(f"/volunteers/?region={DONGSHAN}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "王东山" in html and "李志愿" not in html and "<html" not in html
    html = client.get("/volunteers/?day=0&period=0").content.decode()
    assert "李志愿" in html and "王东山" not in html
    html = client.get("/volunteers/?id_number=330481199003070020").content.decode()
    assert "校验不通过" in html


@pytest.mark.parametrize("key", ["resident", "charity_staff"])
def test_no_list_for_residents(role_users, people, key):
    assert signed_in(role_users[key]).get("/volunteers/").status_code == 403


def test_detail_404_outside_scope_and_reveal_audited(role_users, people):
    a, _b = people
    assert signed_in(role_users["community_b"]).get(f"/volunteers/{a.pk}/").status_code == 404
    client = signed_in(role_users["community_a"])
    html = client.get(f"/volunteers/{a.pk}/").content.decode()
    assert a.id_number_masked in html and id_number(sequence=2) not in html
    assert "查看完整" in html and "志愿服务记录" in html  # reveal form, consent record
    assert "0.0 小时" in html and "暂未评星" in html  # hours/stars placeholder
    assert "修改信息" in html and "暂停" in html and "注销" in html
    response = client.post(
        f"/privacy/reveal/volunteers.volunteer/{a.pk}/id_number/", {"reason": "核对身份信息"}
    )
    assert response.status_code == 200 and id_number(sequence=2) in response.content.decode()
    assert AuditEvent.objects.filter(action="privacy.personal.revealed", target_id=str(a.pk))


def test_auditor_reads_without_edit_or_reveal(role_users, people):
    a, _b = people
    client = signed_in(role_users["auditor"])
    html = client.get(f"/volunteers/{a.pk}/").content.decode()
    assert "李志愿" in html and "查看完整" not in html and "修改信息" not in html
    assert client.get(f"/volunteers/{a.pk}/edit/").status_code == 403
    assert client.post(f"/volunteers/{a.pk}/suspend/").status_code == 403
    assert client.get("/volunteers/new/").status_code == 403


def test_register_page_needs_consent_and_guardian(role_users):
    client = signed_in(role_users["community_a"])
    page = client.get("/volunteers/new/").content.decode()
    assert "知情同意" in page and "监护人姓名" in page and "周日" in page
    form = {
        "name": "赵新",
        "id_number": id_number(sequence=6),
        "region": NANGUANXIANG,
        "skills": ["first_aid"],
        "availability": ["15", "16", "17"],
        "consent_method": "written",
        "coord_source": "wgs84",
    }
    response = client.post("/volunteers/new/", form)
    assert response.status_code == 200
    assert "已签署知情同意书" in response.content.decode() and not Volunteer.objects.exists()
    response = client.post("/volunteers/new/", {**form, "consent": "on"})
    assert response.status_code == 302
    v = Volunteer.objects.get()
    assert v.availability_text == "周六全天" and v.number.startswith("330481")
    child = {**form, "consent": "on", "id_number": id_number("20180101", 11), "name": "小明"}
    html = client.post("/volunteers/new/", child).content.decode()
    assert "监护人" in html and Volunteer.objects.count() == 1
    outside = client.post(
        "/volunteers/new/",
        {**form, "consent": "on", "region": DONGSHAN, "id_number": id_number(sequence=8)},
    )
    assert outside.status_code == 200 and Volunteer.objects.count() == 1


def test_edit_and_status_pages(role_users, people):
    a, _b = people
    client = signed_in(role_users["community_a"])
    assert "修改志愿者信息" in client.get(f"/volunteers/{a.pk}/edit/").content.decode()
    response = client.post(
        f"/volunteers/{a.pk}/edit/",
        {
            "name": "李志愿",
            "region": NANGUANXIANG,
            "skills": ["legal"],
            "availability": ["2"],
            "coord_source": "wgs84",
            "latitude": "30.51",
            "longitude": "120.69",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert [t.code for t in a.skills.all()] == ["legal"] and a.availability_text == "周一晚上"
    assert a.phone_masked == "138****5678"  # blank phone field keeps the phone
    client.post(f"/volunteers/{a.pk}/withdraw/", {"reason": "迁出"})
    a.refresh_from_db()
    assert a.status == "withdrawn"
    response = client.post(f"/volunteers/{a.pk}/suspend/", follow=True)
    assert "不能变更为" in response.content.decode()


def test_my_volunteer_page(role_users, people):
    a, b = people
    client = signed_in(role_users["volunteer"])
    home = client.get("/").content.decode()
    assert "我的志愿服务" in home
    html = client.get("/volunteers/me/").content.decode()
    assert "我的志愿者信息" in html and "李志愿" in html and "viewport" in html
    assert 'name="availability" value="0" checked' in html
    assert client.get("/volunteers/").status_code == 403
    assert client.get(f"/volunteers/{b.pk}/").status_code == 404
    assert client.get(f"/volunteers/{a.pk}/").status_code == 200
    assert client.get(f"/volunteers/{a.pk}/edit/").status_code == 302  # to "me"
    response = client.post("/volunteers/me/", {"availability": ["18", "19"], "skills": ["digital"]})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.availability_text == "周日上午、周日下午" and a.name == "李志愿"
    bad = client.post("/volunteers/me/", {"phone": "12345"}).content.decode()
    assert "手机号" in bad


def test_my_page_without_a_record(role_users):
    html = signed_in(role_users["volunteer"]).get("/volunteers/me/").content.decode()
    assert "还没有关联志愿者登记信息" in html
    assert signed_in(role_users["resident"]).get("/volunteers/me/").status_code == 403


def test_nav_items_per_role(role_users):
    assert "志愿者" in signed_in(role_users["community_a"]).get("/").content.decode()
    assert "我的志愿服务" not in signed_in(role_users["community_a"]).get("/").content.decode()
    assert 'href="/volunteers/"' not in signed_in(role_users["resident"]).get("/").content.decode()


def test_team_pages(role_users, people):
    a, _b = people
    client = signed_in(role_users["township"])
    page = client.get("/volunteers/teams/").content.decode()
    assert "新建志愿服务队" in page
    response = client.post("/volunteers/teams/", {"name": "硖石街道志愿服务队", "region": XIASHI})
    assert response.status_code == 302
    team_url = response["Location"]
    response = client.post(team_url, {"number": a.number, "role": "leader"})
    assert response.status_code == 302
    html = client.get(team_url).content.decode()
    assert "李志愿" in html and "队长" in html
    assert (
        "硖石街道志愿服务队"
        in signed_in(role_users["volunteer"]).get(f"/volunteers/{a.pk}/").content.decode()
    )
    missing = client.post(team_url, {"number": "NOPE1234", "role": "member"}).content.decode()
    assert "找不到该编号" in missing
    team_pk = int(team_url.rstrip("/").rsplit("/", 1)[1])
    assert signed_in(role_users["community_b"]).get(team_url).status_code == 404
    client.post(f"/volunteers/teams/{team_pk}/members/{a.pk}/remove/")
    assert not services.TeamMembership.objects.exists()
