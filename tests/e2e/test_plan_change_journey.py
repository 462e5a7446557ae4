"""A clinician moves radiation from day 10 to 14: timeline, page, reminders follow."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders.models import Reminder
from recovery.zones import local_today

pytestmark = pytest.mark.e2e


@pytest.fixture
def radiation_patient(app, make_user, make_patient):
    clinician = make_user("clinician", name="Dr. Plan")
    today = local_today("America/Chicago", utcnow())
    # Surgery 3 days ago: no session has happened yet.
    patient = make_patient(
        clinician,
        name="Ray Diation",
        surgery_date=today - timedelta(days=3),
        radiation_planned=True,
        radiation_start_day=10,
        radiation_weeks=2,
        timeline=True,
    )
    return clinician, patient, today


def log_in(page, base, account):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password", exact=True).fill(account.password)
    page.get_by_role("button", name="Log in").click()


def first_session(app, patient_id):
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        return min(
            e.start_date
            for e in patient.events
            if e.kind == "radiation_session" and e.status != "cancelled"
        )


def test_clinician_moves_radiation_start_and_the_patient_sees_it(
    app, live_server, chromium, radiation_patient
):
    from playwright.sync_api import expect

    clinician, patient, today = radiation_patient
    before = first_session(app, patient.patient_id)
    context = chromium.new_context()
    page = context.new_page()
    log_in(page, live_server, clinician)
    page.goto(f"{live_server}/patients/{patient.patient_id}")
    page.get_by_role("button", name="Change plan").click()
    start_day = page.get_by_label("First radiation session, days after surgery")
    expect(start_day).to_have_value("10")
    start_day.fill("14")
    page.get_by_role("button", name="Save plan and update the timeline").click()
    expect(page.get_by_text("Plan saved.")).to_be_visible()
    expect(page.get_by_text("From day 14, 2 weeks")).to_be_visible()

    after = first_session(app, patient.patient_id)
    assert after > before
    assert after.weekday() < 5
    assert (after - (today - timedelta(days=3))).days >= 14
    # The staff timeline lists the first session on its new day, none on the old.
    sessions = page.locator("tr", has_text="Radiation session 1 of")
    expect(sessions.first).to_contain_text(after.strftime("%a %d %b %Y"))
    old_day = page.locator("tr:not(.cancelled)", has_text="Radiation session")
    expect(old_day.filter(has_text=before.strftime("%a %d %b %Y"))).to_have_count(0)
    context.close()

    # Pending reminders follow: the evening before the new first session, none
    # left for the old day.
    with app.app_context():
        pending = db.session.scalars(
            select(Reminder).where(
                Reminder.patient_id == patient.patient_id,
                Reminder.status == "pending",
                Reminder.rule.in_(("evening_before", "morning_of")),
            )
        ).all()
        zone = ZoneInfo("America/Chicago")
        days = {(r.rule, r.send_at.astimezone(zone).date()) for r in pending}
    assert ("evening_before", after - timedelta(days=1)) in days
    assert ("morning_of", after) in days
    assert ("morning_of", before) not in days

    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    mine = phone.new_page()
    log_in(mine, live_server, patient)
    expect(mine.get_by_text("Next radiation session:")).to_be_visible()
    expect(mine.locator(".next-of")).to_contain_text(after.strftime("%a %d %b %Y"))
    phone.close()
