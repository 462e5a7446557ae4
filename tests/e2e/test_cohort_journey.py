"""A coordinator narrows the cohort to radiation patients with alerts, acts on one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.symptoms.models import Alert
from recovery.timeline.services import recompute_timeline
from recovery.zones import local_today
from tests.e2e.conftest import snap

pytestmark = pytest.mark.e2e


@pytest.fixture
def clinic(app, make_user, make_patient):
    """Today: one radiation patient with a fever alert, one without, one early."""
    coordinator = make_user("coordinator", name="Cora Filter")
    today = local_today("America/Chicago", utcnow())
    radiation = {"radiation_planned": True, "radiation_start_day": 7}
    radiation["radiation_weeks"] = 4
    ray = make_patient(
        coordinator,
        name="Ray Diation",
        surgery_date=today - timedelta(days=14),
        **radiation,
    )
    quiet = make_patient(
        coordinator,
        name="Quinn Quiet",
        surgery_date=today - timedelta(days=15),
        **radiation,
    )
    early = make_patient(
        coordinator, name="Eli Early", surgery_date=today - timedelta(days=3)
    )
    with app.test_request_context():
        for account in (ray, quiet, early):
            recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
        for account, message in (
            (ray, "Temperature 38.7 °C"),
            (early, "Wound redness"),
        ):
            db.session.add(
                Alert(
                    patient_id=account.patient_id,
                    severity="urgent",
                    rule="fever",
                    message=message,
                    created_at=datetime.now(UTC) - timedelta(hours=1),
                )
            )
        db.session.commit()
    return coordinator


def test_filter_to_radiation_with_alerts_then_acknowledge(live_server, page, clinic):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(clinic.email)
    page.get_by_label("Password", exact=True).fill(clinic.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server}/cohorts/")
    expect(page.get_by_text("Open alerts (2)")).to_be_visible()

    filters = page.get_by_role("form", name="Filter patients")
    filters.get_by_label("Phase").select_option("radiation")
    filters.get_by_label("Only with open alerts").check()
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(f"{live_server}/cohorts/?phase=radiation&open_alerts=true")
    table = page.locator("table.cohort tbody")
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("Ray Diation")
    expect(table).to_contain_text("Radiation")
    snap(page, "cohort-filtered.png")

    table.get_by_role("link", name="Ray Diation").click()
    expect(page.get_by_role("heading", name="Ray Diation", level=1)).to_be_visible()
    alert = page.locator("article.alert-urgent")
    expect(alert).to_contain_text("Temperature 38.7 °C")
    alert.get_by_label("Note (what you did)").fill(
        "Called; paracetamol, recheck tonight"
    )
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Alert acknowledged for Ray Diation.")).to_be_visible()
    expect(page.get_by_text("Called; paracetamol, recheck tonight")).to_be_visible()

    page.goto(f"{live_server}/cohorts/?phase=radiation&open_alerts=true")
    expect(page.get_by_text("Open alerts (1)")).to_be_visible()
    queue = page.locator("section[aria-labelledby=queue-h]")
    expect(queue).not_to_contain_text("Ray Diation")
    expect(queue).to_contain_text("Eli Early")
    expect(page.get_by_text("No patients match these filters.")).to_be_visible()
