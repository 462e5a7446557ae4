"""Issue 17: lists and exports record which patients they showed, and each patient
finds them under "Who saw my record", in their own timezone."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.symptoms.services import record_check_in
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers


@pytest.fixture(autouse=True)
def _travel():
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        yield


@pytest.fixture
def clinic(app, make_user, make_patient):
    coordinator = make_user("coordinator")
    mine = make_patient(coordinator, surgery_date=date(2026, 11, 19))
    flagged = make_patient(coordinator, surgery_date=date(2026, 11, 12))
    stranger = make_patient(make_user("coordinator"), surgery_date=date(2026, 11, 12))
    with app.test_request_context():
        for account in (mine, flagged, stranger):
            recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
        record = db.session.get(Patient, flagged.patient_id)
        record_check_in(
            record,
            {"back_pain": 9, "bladder_incontinence": True},
            record.user,
            utcnow(),
        )
        db.session.commit()
    return {
        "coordinator": coordinator,
        "mine": mine,
        "flagged": flagged,
        "stranger": stranger,
        "admin": make_user("admin"),
    }


def seen_by(app, account, action: str) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(AuditEvent.patient_id).where(
                    AuditEvent.actor_id == account.id, AuditEvent.action == action
                )
            )
        )


def test_the_cohort_page_records_each_patient_it_shows_alerts_included(app, clinic):
    browser = Browser(app.test_client())
    browser.login(clinic["coordinator"])
    assert browser.client.get("/cohorts/").status_code == 200
    shown = {clinic["mine"].patient_id, clinic["flagged"].patient_id}
    assert seen_by(app, clinic["coordinator"], "list_patient") == shown

    patient = Browser(app.test_client())
    patient.login(clinic["flagged"])
    page = patient.client.get("/patients/me/access").get_data(as_text=True)
    assert "saw you in the cohort list" in page
    # 15:00 UTC is 09:00 in the patient's America/Chicago.
    assert "26 Nov 2026 09:00" in page
    assert "America/Chicago time" in page


def test_the_alert_list_of_the_api_records_each_patient(app, client, clinic):
    headers = bearer_headers(client, clinic["coordinator"])
    response = client.get("/api/v1/alerts", headers=headers)
    assert response.status_code == 200 and response.get_json()
    assert seen_by(app, clinic["coordinator"], "list_alert") == {
        clinic["flagged"].patient_id
    }


@pytest.mark.parametrize("url", ["/cohorts/export.csv", "/api/v1/cohort.csv"])
def test_both_csv_exports_record_each_exported_patient(app, clinic, url):
    browser = Browser(app.test_client())
    browser.login(clinic["coordinator"])
    response = browser.client.get(url)
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200
    assert body.count("\r\n") == 3  # header and two patients
    assert seen_by(app, clinic["coordinator"], "export_patient") == {
        clinic["mine"].patient_id,
        clinic["flagged"].patient_id,
    }


def test_the_admin_users_page_records_each_patient_listed(app, clinic):
    browser = Browser(app.test_client())
    browser.login(clinic["admin"])
    assert browser.client.get("/admin/users").status_code == 200
    assert seen_by(app, clinic["admin"], "list_account") == {
        clinic[name].patient_id for name in ("mine", "flagged", "stranger")
    }
    patient = Browser(app.test_client())
    patient.login(clinic["stranger"])
    page = patient.client.get("/patients/me/access").get_data(as_text=True)
    assert "saw your account in the list of users" in page
