"""Browser tests: the app on loopback, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from recovery.orm import utcnow
from recovery.zones import local_today


def days_ago(days: int) -> date:
    """A surgery date this many days before today on the clock (moved or not):
    the live server and Chromium run on today, so fixed dates would go stale."""
    return local_today("America/Chicago", utcnow()) - timedelta(days=days)


def page_width(page) -> int:
    """How wide the page lays out, once its stylesheets apply. A click's navigation
    returns before the page's `load`: a layout read then may see Pico without
    app.css (the patient home measured 443 px on a busy CI machine)."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def snap(page, name: str) -> None:
    """A full-page PNG of `page` in test-results/, for a person to look at.

    Chromium now and then refuses one capture ("Unable to capture screenshot",
    seen in CI on a tab whose context had just lost the foreground) and takes the
    same picture when asked again: the tab is brought to the front and asked up to
    three times, so a browser hiccup does not fail a journey whose assertions passed."""
    from playwright.sync_api import Error

    SHOTS.mkdir(exist_ok=True)
    for attempt in range(3):
        page.bring_to_front()
        try:
            page.screenshot(path=str(SHOTS / name), full_page=True)
            return
        except Error as error:
            if "Unable to capture screenshot" not in str(error) or attempt == 2:
                raise
            page.wait_for_timeout(200)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The test app on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright; skipped (visibly) where it is missing."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("RECOVERY_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    """A fresh browser tab with its own cookies."""
    context = chromium.new_context()
    tab = context.new_page()
    yield tab
    context.close()
