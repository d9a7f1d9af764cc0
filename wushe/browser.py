"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright (never
a browser Playwright downloads itself)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("WUSHE_TEST_ARTIFACTS", "test-artifacts"))


def chromium_path() -> str:
    return os.environ.get("WUSHE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def browser_page(**context_options: Any) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM in the test
    # thread is still synchronous, which is what we want here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="zh-CN", **context_options)
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
