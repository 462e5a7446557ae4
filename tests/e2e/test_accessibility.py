"""axe-core on every main page of every role: no serious or critical violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from recovery import demo
from recovery.auth.models import User
from recovery.db import utcnow
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.zones import local_today

pytestmark = pytest.mark.e2e
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def demo_ids(app):
    with app.app_context():
        now = utcnow()
        demo.seed(local_today("America/Chicago", now), now)
        db.session.commit()
        patient = db.session.scalars(
            select(Patient)
            .join(User, User.id == Patient.user_id)
            .where(User.email == "patient1@demo.example.org")
        ).one()
        event = next(e for e in patient.events if e.kind == "wound_check")
        return {"pid": patient.id, "eid": event.id}


PAGES = {
    "patient1@demo.example.org": [
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
    "coordinator@demo.example.org": [
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
        "/timeline/{pid}/plan",
        "/timeline/{pid}/events/{eid}/edit",
        "/timeline/{pid}/events/new",
        "/timeline/{pid}/recurrence",
        "/account/tokens",
    ],
    "admin@demo.example.org": ["/admin/users", "/admin/users/new", "/admin/audit"],
    "caregiver@demo.example.org": [
        "/patients/me",
        "/caregivers/choose",
        "/messages/mine",
        "/timeline/me",
        "/symptoms/check-in",
    ],
    None: ["/login", "/reset-password"],
}


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "email", list(PAGES), ids=lambda e: (e or "anonymous").split("@")[0]
)
def test_main_pages_have_no_serious_accessibility_violations(
    live_server, chromium, demo_ids, email
):
    # Injecting axe needs the CSP lifted for the test's own script only.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    if email:
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)
    found = {}
    for path in PAGES[email]:
        response = page.goto(live_server + path.format(**demo_ids))
        assert response.status < 400, (path, response.status)
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    context.close()
    assert found == {}
