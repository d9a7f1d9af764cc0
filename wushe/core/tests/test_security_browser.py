"""The Content Security Policy holds on the real pages: in headless Chromium, over a small
Haining demo, several roles sign in and open every page of their main navigation (and the first
record each list links to); any CSP violation the browser reports fails the test. A violation is
what a user would notice: a refused style sheet, script or inline style leaves the page
unstyled or dead."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from wushe.browser import browser_page
from wushe.demo.services import demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Report every violation to Python, whatever the page does afterwards.
LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, page: document.location.pathname,
  });
});
"""

ROLES = [
    ("demo_resident", {"width": 375, "height": 740}),
    ("demo_volunteer", {"width": 375, "height": 740}),
    ("demo_community_a", {"width": 1280, "height": 900}),
    ("demo_township", {"width": 1280, "height": 900}),
    ("demo_county", {"width": 1280, "height": 900}),
    ("demo_auditor", {"width": 1280, "height": 900}),
    ("demo_admin", {"width": 1280, "height": 900}),
]
# Pages outside the main navigation that need their own look.
DETAIL_LINKS = "main table tbody a, main .act-cards a, main .ind-card a, main a[href^='/matching/']"
EXTRA = {
    "demo_county": ["/api/v1/docs"],
    "demo_admin": ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/"],
}


@pytest.fixture
def demo(settings):
    demo_load(seed=1, scale=0.1)
    return settings.WUSHE["DEMO_PASSWORD"]


def visit(page: Any, url: str) -> None:
    page.goto(url)
    # Pages that load parts by HTMX (hx-trigger="load") settle within a moment.
    page.wait_for_timeout(150)


def same_site_links(page: Any, base: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or href.startswith("#"):
            continue
        url = urljoin(page.url, href)
        if urlsplit(url).netloc == urlsplit(base).netloc and "/logout" not in url:
            out.append(url)
    return out


def crawl(base: str, password: str) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Sign in as each role and open its pages; the pages visited, the CSP violations the
    browser reported and its console errors about the policy."""
    violations: list[dict[str, Any]] = []
    console_errors: list[str] = []
    visited: list[str] = []
    # Each kind of page once (the first role that reaches it): /residents/12/ and /residents/34/
    # share their markup, and the 2-core CI machine has other tests to run.
    kinds: set[str] = set()

    def first_time(url: str) -> bool:
        kind = re.sub(r"\d+", "N", urlsplit(url).path)
        if kind in kinds:
            return False
        kinds.add(kind)
        return True

    for username, viewport in ROLES:
        with browser_page(viewport=viewport) as page:
            page.context.expose_function("__cspViolation", lambda v: violations.append(v))
            page.context.add_init_script(LISTEN)
            page.on(
                "console",
                lambda m: (
                    console_errors.append(f"{m.location.get('url')}: {m.text}")
                    if m.type == "error" and "Content Security Policy" in m.text
                    else None
                ),
            )
            visit(page, f"{base}/accounts/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(password)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{base}/")
            nav = same_site_links(page, base, "#mainnav a")
            assert nav, f"{username} sees no navigation"
            pages = list(dict.fromkeys(nav + [base + p for p in EXTRA.get(username, [])]))
            for url in pages:
                if not first_time(url):
                    continue
                visit(page, url)
                visited.append(url)
                # Charts: ECharts writes its tooltip as HTML; show it once.
                chart = page.locator("[data-chart][data-ready='1'], canvas").first
                if chart.count():
                    chart.hover()
                    page.wait_for_timeout(300)
                # One record behind the list: detail pages carry most of the markup.
                detail = same_site_links(page, base, DETAIL_LINKS)
                detail = [u for u in detail if urlsplit(u).path != urlsplit(url).path][:1]
                for durl in filter(first_time, detail):
                    visit(page, durl)
                    visited.append(durl)
    return visited, violations, console_errors


def describe(violations: list[dict[str, Any]]) -> str:
    seen = sorted(
        {
            f"{v['page']}: {v['directive']} {v['blocked']} at {v['source']}:{v['line']} "
            f"{(v.get('sample') or '')[:60]}"
            for v in violations
        }
    )
    return "\n".join(seen)


def test_pages_of_each_role_satisfy_the_content_security_policy(live_server, demo):
    visited, violations, console_errors = crawl(live_server.url, demo)
    assert len(visited) > 40, visited
    assert not violations, describe(violations)
    assert not console_errors, console_errors
