"""The plan page changes the whole plan: procedure, tumor, care team; audited."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.patients.models import Patient
from tests.conftest import Browser
from tests.integration.test_timeline import TODAY, create


@pytest.fixture
def clinic(make_user):
    return {
        "clinician": make_user("clinician"),
        "coordinator": make_user("coordinator"),
        "second": make_user("clinician", name="Dr Second"),
    }


PLAN = {
    "surgery_date": "2026-11-20",
    "procedure": "open_resection",
    "tumor_location": "epidural",
    "tumor_type": "metastatic breast carcinoma",
    "malignancy": "malignant",
    "origin": "metastatic",
    "radiation_planned": "y",
    "radiation_start_day": "10",
    "radiation_weeks": "2",
    "radiation_minutes_per_session": "15",
    "brace_required": "y",
    "brace_weeks": "6",
}


def test_plan_page_changes_procedure_tumor_and_care_team_and_recomputes(
    app, client, clinic
):
    with time_machine.travel(TODAY, tick=False):
        patient, _ = create(client, clinic)
        browser = Browser(app.test_client())
        browser.login(clinic["clinician"])
        form = browser.client.get(f"/timeline/{patient['id']}/plan")
        assert 'name="procedure"' in form.get_data(as_text=True)
        response = browser.submit(
            f"/timeline/{patient['id']}/plan",
            {
                **PLAN,
                "procedure": "biopsy",
                "tumor_location": "intramedullary",
                "tumor_type": "ependymoma",
                "malignancy": "benign",
                "origin": "primary",
                "radiation_planned": "",
                "clinician_id": str(clinic["second"].id),
                "coordinator_id": str(clinic["coordinator"].id),
            },
            follow_redirects=True,
        )
    assert "Plan saved. Timeline:" in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Patient, patient["id"])
        assert (stored.procedure, stored.tumor_location, stored.tumor_type) == (
            "biopsy",
            "intramedullary",
            "ependymoma",
        )
        assert (
            stored.malignancy == "benign" and stored.clinician_id == clinic["second"].id
        )
        assert stored.protocol_id == "biopsy"
        live = [e for e in stored.events if e.status != "cancelled"]
        assert not any(e.kind == "radiation_session" for e in live)
        audit = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "update_patient",
                AuditEvent.patient_id == patient["id"],
            )
        ).one()
    assert audit.details["before"]["procedure"] == "open_resection"
    assert audit.details["after"]["procedure"] == "biopsy"
    assert audit.details["after"]["clinician_id"] == clinic["second"].id
    assert audit.details["before"]["tumor_type"] == "metastatic breast carcinoma"


def test_plan_page_refuses_a_care_team_member_who_is_not_staff(app, client, clinic):
    with time_machine.travel(TODAY, tick=False):
        patient, _ = create(client, clinic)
        browser = Browser(app.test_client())
        browser.login(clinic["clinician"])
        response = browser.submit(
            f"/timeline/{patient['id']}/plan",
            {**PLAN, "procedure": "biopsy", "clinician_id": "99999"},
        )
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Patient, patient["id"])
        assert stored.procedure == "open_resection"
        assert stored.clinician_id == clinic["clinician"].id
