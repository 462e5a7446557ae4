"""Forms on a phone, in Chromium: what shows when, with and without JavaScript."""

from __future__ import annotations

import pytest

from tests.e2e.pages import log_in, seed_demo

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_ids(app):
    return seed_demo(app)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_plan_numbers_show_only_while_their_switch_is_on(
    live_server, chromium, demo_ids, javascript
):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    log_in(page, live_server, "clinician@demo.example.org")
    page.goto(f"{live_server}/timeline/{demo_ids['pid']}/plan")
    weeks = page.get_by_label("Weeks of radiation")
    switch = page.get_by_label("Radiation planned")
    assert switch.is_checked() and weeks.is_visible()
    switch.uncheck()
    assert not weeks.is_visible()
    assert page.get_by_label("Minutes per session").is_hidden()
    switch.check()
    assert weeks.is_visible()
    brace = page.get_by_label("Brace or corset required")
    brace.uncheck()
    assert page.get_by_label("Weeks of brace").is_hidden()
    # The page itself runs no inline script (the CSP forbids it).
    assert page.locator("script:not([src])").count() == 0
    context.close()


def test_a_radiation_patients_timeline_opens_at_today_with_one_course(
    live_server, chromium, demo_ids
):
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_server, "patient9@demo.example.org")
    page.goto(f"{live_server}/timeline/me")
    today = page.locator("#today")
    # Today's heading is on the first screen, below only a folded "Earlier" line.
    assert today.bounding_box()["y"] < PHONE["height"] / 2
    assert page.locator("#radiation-course").count() == 1
    assert page.get_by_text("Earlier:").is_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4 * PHONE["height"], height
    context.close()


def test_a_single_check_in_charts_on_whole_days_at_a_readable_height(
    app, live_server, chromium, make_patient
):
    from datetime import timedelta

    from recovery.auth.models import User
    from recovery.extensions import db
    from recovery.orm import utcnow
    from recovery.patients.models import Patient
    from recovery.symptoms.services import record_check_in
    from recovery.zones import local_today
    from tests.conftest import PASSWORD

    now = utcnow()
    account = make_patient(
        surgery_date=local_today("America/Chicago", now) + timedelta(days=5)
    )
    with app.app_context():
        patient = db.session.get(Patient, account.patient_id)
        user = db.session.get(User, account.id)
        record_check_in(patient, {"back_pain": 4, "leg_pain": 2}, user, now)
        db.session.commit()
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/symptoms/history")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas'))"
    )
    axis = page.evaluate(
        """() => {
      const chart = Chart.getChart(document.querySelector('canvas'));
      return {min: chart.scales.x.min, max: chart.scales.x.max,
              ticks: chart.scales.x.ticks.map(t => t.value),
              height: chart.canvas.getBoundingClientRect().height};
    }"""
    )
    context.close()
    # The one check-in is on day -5; the axis spans a week of whole days around it.
    assert axis["min"] <= -5 <= axis["max"]
    assert axis["max"] - axis["min"] >= 7
    assert all(float(t).is_integer() for t in axis["ticks"])
    assert axis["height"] >= 200


def test_enrolment_shows_radiation_numbers_once_radiation_is_switched_on(
    live_server, chromium, demo_ids
):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "coordinator@demo.example.org")
    page.goto(f"{live_server}/patients/new")
    weeks = page.get_by_label("Weeks of weekday sessions")
    assert weeks.is_hidden()
    page.get_by_label("Radiation planned").check()
    assert weeks.is_visible()
    context.close()


def test_calendar_address_copies_with_one_tap_and_the_page_stays_there(
    live_server, chromium, demo_ids
):
    context = chromium.new_context(
        viewport=PHONE, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    log_in(page, live_server, "patient9@demo.example.org")
    page.goto(f"{live_server}/timeline/me")
    page.get_by_role("button", name="Get my calendar address").click()
    page.wait_for_url(lambda url: url.endswith("/timeline/me#calendar"))
    # The browser lands at the calendar part, not the top of the page.
    assert page.evaluate("window.scrollY") > 0
    assert page.locator("#calendar").bounding_box()["y"] < PHONE["height"]
    address = page.get_by_label("Your private calendar address").input_value()
    webcal = page.get_by_role("button", name="Add to my calendar")
    assert webcal.get_attribute("href") == "webcal://" + address.split("://", 1)[1]
    page.get_by_role("button", name="Copy the address").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    context.close()
