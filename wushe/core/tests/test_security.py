"""Web security: headers on pages and API answers, cookies, CSRF for forms and HTMX, session
expiry, the password policy, and templates the Content Security Policy can hold."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotFound
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from wushe.core.security import SecurityHeadersMiddleware
from wushe.testing import NANGUANXIANG, PASSWORD, bearer_client, make_user

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def csp_of(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


def assert_security_headers(response) -> None:
    csp = csp_of(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_a_page_carries_the_security_headers(regions):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response  # plain HTTP: no HSTS


def test_an_api_answer_and_an_error_carry_them_too(regions):
    user = make_user("api", "community_worker", NANGUANXIANG)
    ok = bearer_client(user).get("/api/v1/me")
    assert ok.status_code == 200
    assert_security_headers(ok)
    refused = Client().get("/api/v1/me")
    assert refused.status_code == 401
    assert_security_headers(refused)
    assert_security_headers(Client().get("/no-such-page/"))


def test_https_gets_hsts_and_secure_cookies(regions):
    make_user("tls", "community_worker", NANGUANXIANG)
    client = Client()
    page = client.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"] is True
    signed_in = client.post(
        "/accounts/login/", {"username": "tls", "password": PASSWORD}, secure=True
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_plain_http_cookies_are_httponly_and_samesite(regions):
    make_user("plain", "community_worker", NANGUANXIANG)
    client = Client()
    response = client.post("/accounts/login/", {"username": "plain", "password": PASSWORD})
    assert response.status_code == 302
    for name in (settings.SESSION_COOKIE_NAME, "csrftoken"):
        cookie = client.cookies[name]
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, False),
        ({"WUSHE_BEHIND_PROXY": "1"}, True),
        ({"WUSHE_BEHIND_PROXY": "1", "WUSHE_SECURE_COOKIES": "0"}, False),
        ({"WUSHE_SECURE_COOKIES": "1"}, True),
    ],
)
def test_cookies_are_secure_behind_a_tls_proxy_by_default(env, secure, tmp_path):
    code = (
        "import wushe.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"WUSHE_BEHIND_PROXY", "WUSHE_SECURE_COOKIES", "DEBUG", "WUSHE_HSTS_SECONDS"}
    }
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**clean, **env, "WUSHE_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out == [str(secure), str(secure), "31536000"]


# --- CSRF ---------------------------------------------------------------------------------


def hx_csrf_token(page_html: str) -> str:
    match = re.search(r"hx-headers='([^']*)'", page_html)
    assert match, "base.html must give HTMX the CSRF token"
    return re.search(r'"X-CSRFToken": "([^"]+)"', html.unescape(match.group(1))).group(1)


def test_htmx_requests_send_the_csrf_token_of_the_page(regions):
    make_user("hx", "community_worker", NANGUANXIANG)
    client = Client(enforce_csrf_checks=True)
    client.login(username="hx", password=PASSWORD)
    token = hx_csrf_token(client.get("/").content.decode())
    refused = client.post("/accounts/logout/", HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    accepted = client.post("/accounts/logout/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 302
    assert client.get("/").status_code == 302  # signed out


def test_login_form_needs_the_csrf_token(regions):
    make_user("form", "community_worker", NANGUANXIANG)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "form", "password": PASSWORD})
    assert response.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- Session expiry -----------------------------------------------------------------------


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_an_idle_session_ends_after_30_minutes(regions):
    make_user("idle", "community_worker", NANGUANXIANG)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("idle")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/").status_code == 200  # 29 minutes after the last request
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "登录已超时，请重新登录。" in response.content.decode()


def test_a_busy_session_still_ends_after_8_hours(regions):
    make_user("busy", "community_worker", NANGUANXIANG)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("busy")
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/notifications/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        assert client.get("/").status_code == 302


def test_an_expired_session_sends_htmx_to_the_login_page(regions):
    make_user("hxidle", "community_worker", NANGUANXIANG)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("hxidle")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get(
            "/regions/picker/",
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL="http://testserver/regions/330481001007/?tab=1",
        )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/regions/330481001007/%3Ftab%3D1"


def test_an_expired_session_no_longer_reaches_the_api(regions):
    make_user("apiidle", "community_worker", NANGUANXIANG)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in("apiidle")
        assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"


# --- Password policy ----------------------------------------------------------------------


def messages_for(password: str, user=None) -> list[str]:
    with translation.override("zh-hans"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return [str(m) for m in exc.messages]
    return []


def test_the_demo_and_test_passwords_meet_the_policy():
    assert messages_for(settings.WUSHE["DEMO_PASSWORD"]) == []
    assert messages_for(PASSWORD) == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("ab1-cd", "密码太短，至少需要 10 个字符。"),
        ("onlyletterspassword", "密码必须同时包含字母和数字（或符号）。"),
        ("20261124000", "密码必须同时包含字母和数字（或符号）。"),
        ("password123", "这个密码太常见了"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, expected):
    messages = messages_for(password)
    assert any(expected in m for m in messages), messages


def test_a_password_like_the_username_is_refused(regions):
    user = make_user("zhangxiaoming", "resident", NANGUANXIANG)
    assert any("太相似" in m for m in messages_for("zhangxiaoming1", user))


def test_admin_cannot_create_a_user_with_a_weak_password(regions):
    admin = make_user("root", "admin", None)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newworker",
            "usable_password": "true",
            "password1": "abcdefghijkl",
            "password2": "abcdefghijkl",
        },
    )
    assert response.status_code == 200
    assert "密码必须同时包含字母和数字（或符号）。" in response.content.decode()
    from wushe.accounts.models import User

    assert not User.objects.filter(username="newworker").exists()


# --- Templates the CSP can hold -----------------------------------------------------------

TEMPLATES = sorted(p for p in (ROOT / "wushe").rglob("templates/**/*.html"))
INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute (use a class in a .css file)"),
    (re.compile(r"<style[\s>]", re.I), "<style> element (use a .css file)"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on…= handler (bind it in a .js file)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\shx-on[:\-]", re.I), "hx-on (evaluated as inline script)"),
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
        "inline <script> (use a static file; data as application/json)",
    ),
]


def test_templates_have_no_inline_script_or_style():
    assert len(TEMPLATES) > 100
    problems = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in TEMPLATES
        for text in [path.read_text()]
        for pattern, what in INLINE
        for m in pattern.finditer(text)
    ]
    assert problems == []


def test_every_post_form_carries_the_csrf_token():
    problems = []
    for path in TEMPLATES:
        text = path.read_text()
        for m in re.finditer(r"<form\b[^>]*>", text, re.I):
            tag = m.group(0)
            posts = re.search(r'method="post"', tag, re.I) or "hx-post" in tag
            if not posts:
                continue
            body = text[m.end() : text.find("</form>", m.end())]
            if "csrf_token" not in body:
                problems.append(f"{path.relative_to(ROOT)}: {tag[:80]}")
    assert problems == []


def test_the_admin_signs_in_through_the_throttled_login_page(regions):
    make_user("staff", "admin", None)
    page = Client().get("/admin/login/?next=/admin/accounts/user/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=/admin/accounts/user/"
    client = Client()
    posted = client.post(
        "/admin/login/", {"username": "staff", "password": PASSWORD, "next": "/admin/"}
    )
    assert posted.status_code == 302
    assert settings.SESSION_COOKIE_NAME not in client.cookies  # no sign-in around the throttle
    chain = Client().get("/admin/", follow=True).redirect_chain
    assert chain[-1][0] == "/accounts/login/?next=/admin/"


def test_report_only_mode_and_debug_error_pages(regions, settings):
    settings.WUSHE_CSP_REPORT_ONLY = True
    settings.WUSHE_CSP_REPORT_URI = "/csp-report"
    response = SecurityHeadersMiddleware(lambda r: HttpResponse())(RequestFactory().get("/"))
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"].endswith("report-uri /csp-report")
    # DEBUG=1: Django's technical 404 page keeps its inline style and script working.
    settings.DEBUG = True
    missing = SecurityHeadersMiddleware(lambda r: HttpResponseNotFound())(RequestFactory().get("/"))
    assert "Content-Security-Policy-Report-Only" not in missing
