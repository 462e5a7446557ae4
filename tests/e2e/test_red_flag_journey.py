"""A patient reports a red flag on their phone; the coordinator sees the alert."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import days_ago, page_width, snap

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clinic(app, make_user, make_patient):
    coordinator = make_user("coordinator", name="Cora Queue")
    patient = make_patient(
        coordinator,
        make_user("clinician"),
        name="Rita Redflag",
        surgery_date=days_ago(10),
        timeline=True,
    )
    return coordinator, patient


def log_in(page, base, account):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password", exact=True).fill(account.password)
    page.get_by_role("button", name="Log in").click()


def test_bladder_incontinence_reaches_the_coordinator(live_server, chromium, clinic):
    from playwright.sync_api import expect

    coordinator, patient = clinic
    phone = chromium.new_context(viewport=PHONE)
    page = phone.new_page()
    log_in(page, live_server, patient)
    expect(page).to_have_url(f"{live_server}/patients/me")
    expect(page.get_by_text("Not done yet today.")).to_be_visible()
    snap(page, "patient-home-390.png")

    page.get_by_role("button", name="Check in now").click()
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()
    snap(page, "check-in-390.png")
    page.get_by_role("group", name=re.compile("^Back pain")).get_by_label(
        "6", exact=True
    ).check()
    page.get_by_label("I cannot control my bladder (new)").check()
    page.get_by_role("button", name="Send my check-in").click()

    urgent = page.get_by_role("alert")
    expect(urgent).to_contain_text("Call your care team now")
    expect(urgent).to_contain_text("Reported new loss of bladder control.")
    # One tap to call: the clinic's number (the team has none) and emergencies.
    call = urgent.get_by_role("link", name=re.compile("^Call your care team"))
    expect(call).to_have_attribute("href", "tel:+13125550100")
    expect(urgent.get_by_role("link", name="Emergency: 911")).to_have_attribute(
        "href", "tel:911"
    )
    snap(page, "urgent-390.png")
    # Home keeps the banner until someone on the team has acted.
    page.get_by_text("Back to my page").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text(
        "You reported: Reported new loss of bladder control."
    )
    expect(banner.get_by_role("link", name="Emergency: 911")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    snap(page, "urgent-banner-390.png")

    desk = chromium.new_context()
    staff = desk.new_page()
    log_in(staff, live_server, coordinator)
    expect(staff).to_have_url(f"{live_server}/cohorts/")
    queue = staff.locator("article.alert-urgent")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text("Rita Redflag")
    expect(queue).to_contain_text("Reported new loss of bladder control.")
    queue.get_by_label("Note (what you did)").fill("Called Rita, sent to ER")
    queue.get_by_role("button", name="Acknowledge").click()
    expect(staff.get_by_text("Open alerts (0)")).to_be_visible()
    desk.close()

    page.reload()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(
        page.get_by_text("Cora Queue from your care team saw your report")
    ).to_be_visible()
    phone.close()
