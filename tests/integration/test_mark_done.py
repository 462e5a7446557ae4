"""Issue 17: a patient marks done only what their page offers; a crafted POST of
anything else is refused (403 for the kind, 409 for the date) and audited."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers


@pytest.fixture(autouse=True)
def _travel():
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        yield


@pytest.fixture
def clinic(app, make_user, make_patient):
    clinician = make_user("clinician")
    # Day 7 after surgery: pain review due, wound check ahead, brace on.
    early = make_patient(
        clinician,
        surgery_date=date(2026, 11, 19),
        brace_required=True,
        brace_weeks=6,
    )
    # Day 42: the surgeon's follow-up visit is due.
    later = make_patient(clinician, surgery_date=date(2026, 10, 15))
    with app.test_request_context():
        for account in (early, later):
            recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
        db.session.commit()
    return {"clinician": clinician, "early": early, "later": later}


def event_of(app, account, kind: str) -> tuple[int, str]:
    with app.app_context():
        event = db.session.scalars(
            select(TimelineEvent)
            .where(
                TimelineEvent.patient_id == account.patient_id,
                TimelineEvent.kind == kind,
            )
            .order_by(TimelineEvent.start_date)
        ).first()
        return event.id, event.status


def refusals(app, event_id: int) -> list[dict]:
    with app.app_context():
        return [
            row.details
            for row in db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "complete_refused",
                    AuditEvent.target == f"event:{event_id}",
                )
            )
        ]


@pytest.mark.parametrize(
    ("who", "kind", "status", "reason"),
    [
        ("early", "brace", 403, "kind"),
        ("early", "wound_check", 409, "status"),
        ("later", "follow_up_visit", 403, "kind"),
    ],
)
def test_a_crafted_done_of_what_the_page_does_not_offer_is_refused(
    app, clinic, who, kind, status, reason
):
    account = clinic[who]
    event_id, before = event_of(app, account, kind)
    browser = Browser(app.test_client())
    browser.login(account)
    for page in ("/patients/me", "/timeline/me"):
        html = browser.client.get(page).get_data(as_text=True)
        assert f"/events/{event_id}/complete" not in html, page  # not offered
    response = browser.submit(
        f"/timeline/{account.patient_id}/events/{event_id}/complete",
        {},
        form_url="/patients/me",
    )
    assert response.status_code == status
    assert event_of(app, account, kind)[1] == before  # nothing changed
    assert [d["reason"] for d in refusals(app, event_id)] == [reason]


def test_the_api_refuses_the_same_way(app, client, clinic):
    account = clinic["later"]
    event_id, before = event_of(app, account, "follow_up_visit")
    headers = bearer_headers(client, account)
    response = client.post(
        f"/api/v1/patients/{account.patient_id}/events/{event_id}/complete",
        headers=headers,
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert event_of(app, account, "follow_up_visit")[1] == before
    assert len(refusals(app, event_id)) == 1


def test_what_the_page_offers_is_marked_done(app, clinic):
    account = clinic["early"]
    event_id, _ = event_of(app, account, "pain_review")
    browser = Browser(app.test_client())
    browser.login(account)
    html = browser.client.get("/patients/me").get_data(as_text=True)
    assert f"/events/{event_id}/complete" in html
    response = browser.submit(
        f"/timeline/{account.patient_id}/events/{event_id}/complete",
        {},
        form_url="/patients/me",
    )
    assert response.status_code == 302
    assert event_of(app, account, "pain_review")[1] == "done"


def test_the_care_team_records_the_visit_from_the_record_page(app, clinic):
    account = clinic["later"]
    event_id, _ = event_of(app, account, "follow_up_visit")
    browser = Browser(app.test_client())
    browser.login(clinic["clinician"])
    record = f"/patients/{account.patient_id}"
    assert f"/events/{event_id}/complete" in browser.client.get(record).get_data(
        as_text=True
    )
    response = browser.submit(
        f"/timeline/{account.patient_id}/events/{event_id}/complete",
        {},
        form_url=record,
    )
    assert response.status_code == 302
    assert event_of(app, account, "follow_up_visit")[1] == "done"
