"""The main pages of every role, for the browser tests that sweep them all."""

from __future__ import annotations

from sqlalchemy import select

from recovery import demo
from recovery.auth.models import User
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.zones import local_today

# A patient in radiation (day 19 of the demo): the longest timeline and history.
PATIENT = "patient9@demo.example.org"
# A patient in radiation whom clinician@ and coordinator2@ care for ({pid}).
STAFF_PATIENT = "patient10@demo.example.org"

PAGES = {
    PATIENT: [
        "/patients/me",
        "/symptoms/check-in",
        "/symptoms/history",
        "/timeline/me",
        "/reminders/preferences",
        "/reminders/inbox",
        "/account",
        "/patients/me/access",
        "/caregivers/",
        "/messages/mine",
    ],
    # The demo's caregiver helps patient1.
    "caregiver@demo.example.org": [
        "/patients/me",
        "/caregivers/choose",
        "/messages/mine",
        "/timeline/me",
        "/symptoms/check-in",
    ],
    "coordinator2@demo.example.org": [
        "/cohorts/",
        "/cohorts/?phase=radiation&open_alerts=true",
        "/cohorts/summary",
        "/patients/new",
        "/patients/{pid}",
        "/clinician/",
        "/messages/",
        "/messages/patients/{pid}",
    ],
    "clinician@demo.example.org": [
        "/clinician/",
        "/clinician/print",
        "/patients/{pid}",
        "/timeline/{pid}/plan",
        "/timeline/{pid}/events/{eid}/edit",
        "/timeline/{pid}/events/new",
        "/timeline/{pid}/recurrence",
        "/account/tokens",
    ],
    "admin@demo.example.org": [
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        "/cohorts/",
    ],
    None: ["/login", "/reset-password"],
}


def seed_demo(app) -> dict[str, int]:
    """The demo clinic as of today; the ids the page paths need."""
    with app.app_context():
        now = utcnow()
        demo.seed(local_today("America/Chicago", now), now)
        db.session.commit()
        patient = db.session.scalars(
            select(Patient)
            .join(User, User.id == Patient.user_id)
            .where(User.email == STAFF_PATIENT)
        ).one()
        event = next(e for e in patient.events if e.kind == "wound_check")
        return {"pid": patient.id, "eid": event.id}


def log_in(page, base: str, email: str) -> None:
    """Log in through the form as a demo account."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
