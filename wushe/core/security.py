"""HTTP security that Django 5.2 does not ship: a Content Security Policy, Permissions-Policy,
Secure cookies on HTTPS and session expiry (idle and absolute).

The policy is strict on purpose: every script and style sheet is a static file of our own
(`wushe/static`, built from npm packages, no CDN), no inline `<script>`, no `<style>` element, no
`style="…"` attribute and no `on…=` handler in any template. Style set from JavaScript through
the CSSOM (`element.style.height = …`, as ECharts does) is not an inline style in CSP terms and
stays allowed. `img-src` admits `data:` for the small SVG icons that Swagger UI (the API docs at
/api/v1/docs) and the Django admin embed in their style sheets; a data: image cannot run code.
See docs/security.md, "Web security".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from .conf import setting

CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Features no page of the platform uses; a page injected into ours cannot ask for them either.
# (Taking a photo for a request uses <input type="file">, which the policy does not cover.)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    ]
)

SESSION_LOGIN_AT = "_wushe_login_at"
SESSION_SEEN_AT = "_wushe_seen_at"
# The last-seen time is written back at most this often, not on every request: a session row
# write per click would cost more than a minute of idle-time precision is worth.
SEEN_RESOLUTION_SECONDS = 60


def content_security_policy(report_uri: str = "") -> str:
    directives = dict(CSP_DIRECTIVES)
    if report_uri:
        directives["report-uri"] = report_uri
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy and Cross-Origin-Opener-Policy on every
    response (pages, API and errors alike), and Secure session/CSRF cookies whenever the request
    came over HTTPS, whatever WUSHE_SECURE_COOKIES says. HSTS, nosniff, Referrer-Policy and
    X-Frame-Options come from Django's own middleware (settings.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        report_only = getattr(settings, "WUSHE_CSP_REPORT_ONLY", False)
        self.header = (
            "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
        )
        self.policy = content_security_policy(getattr(settings, "WUSHE_CSP_REPORT_URI", ""))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django's technical 404/500 pages (DEBUG=1 only) are built with inline style and
        # script; a developer needs them readable more than they need the policy.
        if not (settings.DEBUG and response.status_code in (404, 500)):
            response.setdefault(self.header, self.policy)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response


class SessionExpiryMiddleware:
    """Signs a page session out after WUSHE_SESSION_IDLE_SECONDS without a request (sliding)
    and WUSHE_SESSION_SECONDS after sign-in at the latest (absolute), whatever the cookie says.
    The clocks start at sign-in (`mark_signed_in`, called by the login view; the admin signs in
    there too).

    Place after AuthenticationMiddleware and MessageMiddleware. A page request then continues
    anonymously (login_required sends it to the sign-in page, which says why); an HTMX request
    gets `HX-Redirect` to the sign-in page instead of a login form swapped into a fragment; an
    API call with the session cookie gets the API's 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return self._sign_out(request)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> bool:
        now = int(time.time())
        session = request.session
        idle = int(setting("SESSION_IDLE_SECONDS"))
        absolute = int(settings.SESSION_COOKIE_AGE)
        login_at = session.get(SESSION_LOGIN_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        if not isinstance(login_at, int) or not isinstance(seen_at, int):
            # Not signed in through the login page (which starts the clocks): a session from
            # before this middleware, which still ends SESSION_COOKIE_AGE after its last save,
            # or a test client's force_login().
            return False
        if now - seen_at > idle or now - login_at > absolute:
            return True
        if now - seen_at >= SEEN_RESOLUTION_SECONDS:
            session[SESSION_SEEN_AT] = now
        return False

    def _sign_out(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        message = _("登录已超时，请重新登录。")
        login_url = resolve_url(settings.LOGIN_URL)
        if request.headers.get("HX-Request") == "true":
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            path = (current.path or "/") + (f"?{current.query}" if current.query else "")
            messages.warning(request, message)
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{login_url}?next={quote(path)}"
            return response
        if not request.path.startswith("/api/"):
            messages.warning(request, message)
        return self.get_response(request)


def mark_signed_in(request: HttpRequest) -> None:
    """Start the session clocks at sign-in (the login view calls this after `login()`)."""
    now = int(time.time())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
