"""Every patient-scoped API endpoint, for every role, on own and other patients.

Patients reach only their own record (another's is 404, so ids reveal nothing);
caregivers the record of the patient they help, as the patient reads it (another's
is 404), and 403 for what only the patient or staff may do; staff only their care
team's (403 otherwise, audited); admins everyone's; staff-only, clinician-only and
patient-only operations refuse other roles with 403.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.caregivers.models import Caregiver
from recovery.extensions import db
from recovery.symptoms.models import Alert
from recovery.timeline.models import TimelineEvent
from tests.conftest import bearer_headers
from tests.integration.caregiving import add_caregiver
from tests.integration.test_cohort import build_timeline

# (name, method, path, body, success status)
ENDPOINTS = [
    ("get patient", "get", "/api/v1/patients/{pid}", None, 200),
    ("patch patient", "patch", "/api/v1/patients/{pid}", {"tumor_type": "x"}, 200),
    ("timeline", "get", "/api/v1/patients/{pid}/timeline", None, 200),
    ("complete", "post", "/api/v1/patients/{pid}/events/{eid}/complete", None, 200),
    ("edit event", "patch", "/api/v1/patients/{pid}/events/{eid}", {"title": "T"}, 200),
    ("calendar", "get", "/api/v1/patients/{pid}/calendar.ics", None, 200),
    ("fhir", "get", "/api/v1/patients/{pid}/fhir", None, 200),
    ("check in", "post", "/api/v1/patients/{pid}/symptoms", {"back_pain": 3}, 201),
    ("symptoms", "get", "/api/v1/patients/{pid}/symptoms", None, 200),
    (
        "odi",
        "post",
        "/api/v1/patients/{pid}/questionnaires/odi",
        {"answers": [1] * 10},
        201,
    ),
    ("reminders", "get", "/api/v1/patients/{pid}/reminders", None, 200),
    ("acknowledge", "post", "/api/v1/alerts/{aid}/acknowledge", {"note": "ok"}, 200),
    ("messages", "get", "/api/v1/patients/{pid}/messages", None, 200),
    ("write", "post", "/api/v1/patients/{pid}/messages", {"body": "Hello"}, 201),
    ("caregivers", "get", "/api/v1/patients/{pid}/caregivers", None, 200),
    (
        "invite",
        "post",
        "/api/v1/patients/{pid}/caregivers",
        {"email": "new.carer@mail.example.org", "name": "New Carer"},
        201,
    ),
    ("revoke", "delete", "/api/v1/patients/{pid}/caregivers/{cid}", None, 204),
]
STAFF_ONLY = {"patch patient", "acknowledge"}
CLINICIAN_ONLY = {"edit event"}
PATIENT_ONLY = {"invite", "revoke"}
# The patient's own answers: staff may enter them, a caregiver may not.
NOT_CAREGIVER = {"odi"}
# What a caregiver does for the patient they help; anything else is 403.
CAREGIVER_MAY = {
    "get patient",
    "timeline",
    "complete",
    "calendar",
    "check in",
    "symptoms",
    "messages",
    "write",
}
ROLES = ["anonymous", "patient", "caregiver", "coordinator", "clinician", "admin"]


def expected(endpoint: str, success: int, role: str, own: bool) -> int:
    """The status the rules above give."""
    if role == "anonymous":
        return 401
    if endpoint in PATIENT_ONLY and role != "patient":
        return 403
    if role == "caregiver":
        if endpoint in STAFF_ONLY | CLINICIAN_ONLY | NOT_CAREGIVER:
            return 403
        if not own:
            return 404
        return success if endpoint in CAREGIVER_MAY else 403
    if role == "admin":
        return success
    if endpoint in CLINICIAN_ONLY and role != "clinician":
        return 403
    if endpoint in STAFF_ONLY and role == "patient":
        return 403
    if role == "patient":
        return success if own else 404
    return success if own else 403


@pytest.fixture
def clinic(app, client, make_user, make_patient):
    coordinator, clinician = make_user("coordinator"), make_user("clinician")
    mine = make_patient(coordinator, clinician, surgery_date=date(2026, 11, 10))
    theirs = make_patient(make_user("clinician"), surgery_date=date(2026, 11, 10))
    records = {}
    for key, account in (("own", mine), ("other", theirs)):
        build_timeline(app, account.patient_id)
        with app.app_context():
            event_id = db.session.scalars(
                select(TimelineEvent.id).where(
                    TimelineEvent.patient_id == account.patient_id,
                    TimelineEvent.kind == "wound_check",
                )
            ).first()
            alert = Alert(
                patient_id=account.patient_id,
                severity="urgent",
                rule="fever",
                message="Fever",
                created_at=datetime(2026, 11, 26, tzinfo=UTC),
            )
            db.session.add(alert)
            db.session.commit()
            records[key] = {
                "pid": account.patient_id,
                "eid": event_id,
                "aid": alert.id,
            }
        # A second caregiver of each patient: the one the patient may revoke.
        spare = add_caregiver(app, account)
        with app.app_context():
            records[key]["cid"] = db.session.scalar(
                select(Caregiver.id).where(Caregiver.user_id == spare.id)
            )
    caregiver = add_caregiver(app, mine)
    tokens = {
        "anonymous": {},
        "patient": bearer_headers(client, mine),
        "caregiver": bearer_headers(client, caregiver),
        "coordinator": bearer_headers(client, coordinator),
        "clinician": bearer_headers(client, clinician),
        "admin": bearer_headers(client, make_user("admin")),
    }
    return records, tokens


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
def test_every_endpoint_enforces_object_level_authorization(
    app, client, clinic, role, own
):
    records, tokens = clinic
    ids = records["own" if own else "other"]
    got, want = {}, {}
    for name, method, path, body, success in ENDPOINTS:
        response = getattr(client, method)(
            path.format(**ids), json=body, headers=tokens[role]
        )
        got[name] = response.status_code
        want[name] = expected(name, success, role, own)
    assert got == want
    if role in ("coordinator", "clinician") and not own:
        # Every refusal of a record outside the care team is audited.
        with app.app_context():
            denied = db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "access_denied")
            ).all()
        refused = {n for n, status in want.items() if status == 403}
        # A coordinator's edit of an event is refused for the role, before any
        # record is looked at; every other refusal names the record.
        by_role = (CLINICIAN_ONLY if role == "coordinator" else set()) | PATIENT_ONLY
        assert len(denied) == len(refused - by_role)
        assert {row.patient_id for row in denied} == {ids["pid"]}


@pytest.mark.parametrize("role", ["anonymous", "patient", "caregiver"])
def test_staff_lists_refuse_patients_and_strangers(client, clinic, role):
    _, tokens = clinic
    for path in ("/api/v1/cohort", "/api/v1/cohort.csv", "/api/v1/alerts"):
        status = client.get(path, headers=tokens[role]).status_code
        assert status == (401 if role == "anonymous" else 403), path


def test_lists_hold_only_the_callers_patients(client, clinic):
    records, tokens = clinic
    for role in ("coordinator", "clinician"):
        listed = client.get("/api/v1/patients", headers=tokens[role]).get_json()
        assert [p["id"] for p in listed["items"]] == [records["own"]["pid"]]
        alerts = client.get("/api/v1/alerts", headers=tokens[role]).get_json()
        assert {a["patient_id"] for a in alerts} == {records["own"]["pid"]}
    for role in ("patient", "caregiver"):
        mine = client.get("/api/v1/patients", headers=tokens[role]).get_json()
        assert [p["id"] for p in mine["items"]] == [records["own"]["pid"]]
    everyone = client.get("/api/v1/patients", headers=tokens["admin"]).get_json()
    assert everyone["total"] == 2
