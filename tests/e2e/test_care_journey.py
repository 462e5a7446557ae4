"""The whole journey over the three roles, in real browsers: enrol, invite, set a
password, check in with a red flag, the coordinator acknowledges, the clinician
changes the plan, and the reminders are planned again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders.models import Reminder
from recovery.timeline.models import TimelineEvent
from recovery.zones import local_today

pytestmark = pytest.mark.e2e
PASSWORD = "a long and happy recovery"


def log_in(page, base, email, password):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def radiation_reminders(app, patient_id):
    with app.app_context():
        rows = db.session.execute(
            select(TimelineEvent.start_date)
            .join(Reminder, Reminder.event_id == TimelineEvent.id)
            .where(
                Reminder.patient_id == patient_id,
                Reminder.status == "pending",
                TimelineEvent.kind == "radiation_session",
            )
        ).all()
        return sorted({row[0] for row in rows})


def test_enrol_invite_check_in_alert_acknowledge_replan(
    app, live_server, chromium, make_user, outbox
):
    from playwright.sync_api import expect

    coordinator = make_user("coordinator", name="Cora Journey")
    clinician = make_user("clinician", name="Dr Jay Journey")
    today = local_today("America/Chicago", utcnow())
    surgery = today - timedelta(days=2)

    # 1. The coordinator enrols the patient with the whole plan.
    desk = chromium.new_context()
    staff = desk.new_page()
    log_in(staff, live_server, coordinator.email, coordinator.password)
    staff.get_by_role("link", name="Enrol a patient").click()
    staff.get_by_label("Full name").fill("Jo Journey")
    staff.get_by_label("Email").fill("jo.journey@mail.example.org")
    staff.get_by_label("Medical record number (MRN)").fill("J-0001")
    staff.get_by_label("Date of birth").fill("1968-03-09")
    staff.get_by_label("Timezone").fill("America/Chicago")
    staff.get_by_label("Surgery date").fill(surgery.isoformat())
    staff.get_by_label("Procedure").select_option("open_resection")
    staff.get_by_label("Tumor location").select_option("epidural")
    staff.get_by_label("Malignancy").select_option("malignant")
    staff.get_by_label("Radiation planned").check()
    staff.get_by_label(re.compile("^First session, days after surgery")).fill("10")
    staff.get_by_label("Clinician").select_option(label="Dr Jay Journey")
    staff.get_by_role("button", name="Enrol and send the invitation").click()
    expect(staff.get_by_role("heading", name="Jo Journey", level=1)).to_be_visible()
    with app.app_context():
        patient_id = db.session.scalars(
            select(Patient.id).where(Patient.mrn == "J-0001")
        ).one()
    before = radiation_reminders(app, patient_id)

    # 2. The invitation reaches the patient, who chooses a password.
    (invitation,) = [m for m in outbox if "jo.journey@mail.example.org" in m.to]
    link = re.search(r"https?://\S+/invitation/\S+", invitation.body).group(0)
    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    mine = phone.new_page()
    mine.goto(link.replace("http://localhost", live_server))
    mine.get_by_label("New password", exact=True).fill(PASSWORD)
    mine.get_by_label("Repeat the new password").fill(PASSWORD)
    mine.get_by_role("button", name="Set password").click()
    expect(mine).to_have_url(f"{live_server}/patients/me")

    # 3. A check-in with a red flag: the patient is told whom to call.
    mine.get_by_role("button", name="Check in now").click()
    mine.get_by_role("group", name=re.compile("^Back pain")).get_by_label(
        "5", exact=True
    ).check()
    mine.get_by_label("I cannot control my bladder (new)").check()
    mine.get_by_role("button", name="Send my check-in").click()
    expect(mine.get_by_role("alert")).to_contain_text("Call your care team now")
    phone.close()

    # 4. The coordinator sees it first in the queue and acknowledges it.
    staff.goto(f"{live_server}/cohorts/")
    alert = staff.locator("article.alert-urgent", has_text="Jo Journey")
    expect(alert).to_contain_text("bladder")
    alert.get_by_label("Note (what you did)").fill("Called Jo; sent to ER")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(staff.locator("article.alert-urgent", has_text="Jo Journey")).to_have_count(
        0
    )
    desk.close()

    # 5. The clinician moves radiation to day 14; the timeline follows.
    office = chromium.new_context()
    doctor = office.new_page()
    log_in(doctor, live_server, clinician.email, clinician.password)
    doctor.goto(f"{live_server}/patients/{patient_id}")
    expect(doctor.get_by_text("Called Jo; sent to ER")).to_be_visible()
    doctor.get_by_role("button", name="Change plan").click()
    doctor.get_by_label("First radiation session, days after surgery").fill("14")
    doctor.get_by_role("button", name="Save plan and update the timeline").click()
    expect(doctor.get_by_text("Plan saved.")).to_be_visible()
    office.close()

    # 6. Pending reminders follow the new sessions.
    after = radiation_reminders(app, patient_id)
    with app.app_context():
        first = min(
            e.start_date
            for e in db.session.get(Patient, patient_id).events
            if e.kind == "radiation_session" and e.status != "cancelled"
        )
    assert before and after and after != before
    assert min(after) == first
    assert (first - surgery).days >= 14
