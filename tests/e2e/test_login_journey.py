"""A demo clinician logs in through the real page and lands on their patients."""

from __future__ import annotations

import re

import pytest

from recovery import demo
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.zones import local_today
from tests.e2e.conftest import snap

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_clinic(app):
    with app.app_context():
        now = utcnow()
        demo.seed(local_today("America/Chicago", now), now)
        db.session.commit()


def test_demo_clinician_logs_in_and_lands_on_their_page(live_server, page, demo_clinic):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Email").fill("clinician@demo.example.org")
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server}/clinician/")
    expect(page.get_by_role("heading", name="Follow-up schedule")).to_be_visible()
    items = page.locator("table.schedule tbody tr")
    expect(items.first).to_be_visible()
    snap(page, "clinician-landing.png")
    scheduled = set(items.locator("td:nth-child(2) a").all_inner_texts())

    page.get_by_role("link", name="All your patients").click()
    rows = page.locator("table.cohort tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == 10  # the demo clinician follows every third patient
    followed = set(rows.locator("td:first-child a").all_inner_texts())
    assert scheduled and scheduled <= followed

    first = rows.first.locator("td a")
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text("Care team", exact=True)).to_be_visible()
    page.go_back()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server}/login")


def test_wrong_password_shows_the_message_next_to_the_field(
    live_server, page, demo_clinic
):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("clinician@demo.example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#password-errors")).to_contain_text(
        "That email and password do not match an account."
    )
    expect(page.get_by_label("Password", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
