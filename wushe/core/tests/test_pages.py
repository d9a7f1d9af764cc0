import pytest
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.testing import NANGUANXIANG, PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_anonymous_visitor_is_sent_to_the_chinese_login_page(regions):
    response = Client().get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录五社联动服务平台" in html


def test_login_page_shows_a_chinese_error_and_audits_it(role_users):
    response = Client().post("/accounts/login/", {"username": "u_county", "password": "bad"})
    assert "用户名或密码错误。" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="accounts.login.failed", actor_label="u_county"
    ).exists()


def test_login_page_is_throttled_like_the_api(role_users):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "u_county", "password": "bad"})
    response = client.post("/accounts/login/", {"username": "u_county", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_login_ignores_foreign_next_urls(role_users):
    response = Client().post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "u_county", "password": PASSWORD},
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("key", "role_label", "sees_audit"),
    [
        ("resident", "居民", False),
        ("volunteer", "志愿者", False),
        ("social_worker", "社会工作者", False),
        ("org_staff", "社会组织工作人员", False),
        ("charity_staff", "慈善资源工作人员", False),
        ("community_a", "社区工作者", False),
        ("township", "乡镇（街道）工作人员", False),
        ("county", "民政部门", False),
        ("auditor", "审计员（只读）", True),
        ("admin", "系统管理员", True),
    ],
)
def test_home_page_shows_each_role_what_it_can_do(role_users, key, role_label, sees_audit):
    html = signed_in(role_users[key]).get("/").content.decode()
    assert role_label in html
    assert "我能做什么" in html
    assert "行政区划" in html
    assert ('href="/audit/"' in html) is sees_audit


def test_region_page_shows_the_chain_children_and_scope(role_users):
    client = signed_in(role_users["township"])
    html = client.get("/regions/330481001/").content.decode()
    assert "硖石街道" in html and "海宁市" in html
    assert "南关厢社区" in html
    assert "在我的管辖范围内" in html
    other = client.get("/regions/330481002/").content.decode()
    assert "不在我的管辖范围内" in other


def test_region_picker_fragment_cascades(role_users):
    client = signed_in(role_users["community_a"])
    html = client.get("/regions/picker/", {"code": NANGUANXIANG}).content.decode()
    assert html.count("<select") == 5
    assert f'value="{NANGUANXIANG}" selected' in html


def test_unknown_region_page_is_a_chinese_404(role_users):
    response = signed_in(role_users["county"]).get("/regions/330481001999/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_working_region_can_only_be_set_inside_the_scope(role_users):
    client = signed_in(role_users["community_a"])
    client.post(f"/regions/{NANGUANXIANG}/select/")
    assert client.session["working_region"] == NANGUANXIANG
    client.post("/regions/330481001003/select/")
    assert client.session["working_region"] == NANGUANXIANG


def test_audit_page_is_for_auditors_only(role_users):
    assert signed_in(role_users["county"]).get("/audit/").status_code == 403
    html = signed_in(role_users["auditor"]).get("/audit/", {"action": "accounts.login"})
    assert html.status_code == 200
    assert "accounts.login.succeeded" in html.content.decode()


def test_english_is_available(role_users):
    client = signed_in(role_users["county"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "What I can do" in html


def test_working_region_is_shown_in_the_header(role_users):
    client = signed_in(role_users["township"])
    client.post("/regions/330481001/select/")
    html = client.get("/").content.decode()
    assert 'class="working-region"' in html and "硖石街道" in html
