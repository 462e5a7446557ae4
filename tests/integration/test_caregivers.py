"""Caregivers: invited by the patient, they see and check in; revoked, they do not."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.caregivers.models import Caregiver
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders.models import Reminder
from recovery.reminders.planning import replan_reminders
from recovery.symptoms.models import Alert, SymptomLog
from recovery.timeline.models import TimelineEvent
from tests.conftest import PASSWORD, Browser, bearer_headers, csrf_from
from tests.integration.caregiving import add_caregiver
from tests.integration.test_cohort import build_timeline

NOW = "2026-11-26 15:00 +0000"
LINK_RE = re.compile(r"http://localhost(/caregivers/invitation/[^\s\"<]+)")


@pytest.fixture
def clinic(app, make_user, make_patient):
    coordinator = make_user("coordinator", name="Cora Coordinator")
    patient = make_patient(coordinator, make_user("clinician"), name="Pat Patient")
    build_timeline(app, patient.patient_id)
    return coordinator, patient


def invite(browser: Browser, name: str, email: str):
    return browser.submit("/caregivers/", {"name": name, "email": email})


def invitation_link(outbox, email: str) -> str:
    (mail,) = [m for m in outbox if m.to == [email]]
    return LINK_RE.search(mail.body).group(1)


def accept_as_new(app, link: str, password: str = PASSWORD) -> Browser:
    carer = Browser(app.test_client())
    page = carer.client.get(link)
    assert page.status_code == 200
    response = carer.client.post(
        link,
        data={
            "password": password,
            "confirm": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return carer


@pytest.mark.travel(NOW)
def test_invite_accept_then_a_red_flag_check_in_alerts_the_care_team(
    app, client, browser, clinic, outbox
):
    coordinator, patient = clinic
    browser.login(patient)
    response = invite(browser, "Carl Carer", "Carl@Mail.example.org")
    assert response.status_code == 302
    page = browser.client.get("/caregivers/").get_data(as_text=True)
    assert "Carl Carer" in page and "Invited, not yet accepted" in page
    link = invitation_link(outbox, "carl@mail.example.org")
    assert "Pat Patient invited you" in outbox[-1].body

    carer = accept_as_new(app, link)
    home = carer.client.get("/patients/me")
    assert home.status_code == 200
    assert "Pat Patient&#39;s recovery" in home.get_data(as_text=True)
    assert carer.client.get("/timeline/me").status_code == 200
    assert carer.client.get("/symptoms/history").status_code == 200

    sent = carer.submit(
        "/symptoms/check-in", {"back_pain": "4", "bladder_incontinence": "y"}
    )
    assert sent.status_code == 302
    result = carer.client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Call your care team now" in result
    assert "Reported new loss of bladder control." in result

    with app.app_context():
        carl = db.session.scalar(
            select(User).where(User.email == "carl@mail.example.org")
        )
        assert carl.role == "caregiver"
        log = db.session.scalar(select(SymptomLog))
        assert log.recorded_by_id == carl.id
        alert = db.session.scalar(select(Alert))
        assert (alert.patient_id, alert.rule, alert.status) == (
            patient.patient_id,
            "new_bladder_incontinence",
            "open",
        )
        queued = db.session.scalars(
            select(Reminder.user_id).where(Reminder.alert_id == alert.id)
        ).all()
        assert coordinator.id in queued

    # Staff see the alert, who sent the check-in, and the caregiver.
    staff = Browser(app.test_client())
    staff.login(coordinator)
    record = staff.client.get(f"/patients/{patient.patient_id}").get_data(as_text=True)
    assert "Reported new loss of bladder control." in record
    assert "sent by Carl Carer (caregiver)" in record
    assert re.search(r"Carl Carer · carl@mail.example.org · active", record)


@pytest.mark.travel(NOW)
def test_an_invitation_works_once_and_not_after_it_expires(
    app, browser, clinic, outbox, clock
):
    _, patient = clinic
    browser.login(patient)
    invite(browser, "Once Only", "once@mail.example.org")
    invite(browser, "Too Late", "late@mail.example.org")
    used = invitation_link(outbox, "once@mail.example.org")
    accept_as_new(app, used)
    again = app.test_client().get(used)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)

    clock.shift(timedelta(days=8))
    late = app.test_client().get(invitation_link(outbox, "late@mail.example.org"))
    assert late.status_code == 400
    assert "expired" in late.get_data(as_text=True)
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(User.email, Caregiver.status).join(Caregiver.user)
            ).all()
        )
    assert statuses == {
        "once@mail.example.org": "active",
        "late@mail.example.org": "invited",
    }
    forged = app.test_client().get("/caregivers/invitation/not-a-token")
    assert forged.status_code == 400


@pytest.mark.travel(NOW)
def test_revoking_ends_access_on_the_next_request(app, client, browser, clinic):
    _, patient = clinic
    carer_account = add_caregiver(app, patient, name="Rhea Revoked")
    carer = Browser(app.test_client())
    carer.login(carer_account)
    headers = bearer_headers(app.test_client(), carer_account)
    api = app.test_client()
    url = f"/api/v1/patients/{patient.patient_id}"
    assert carer.client.get("/patients/me").status_code == 200
    assert api.get(url, headers=headers).status_code == 200

    browser.login(patient)
    page = browser.client.get("/caregivers/").get_data(as_text=True)
    with app.app_context():
        link_id = db.session.scalar(select(Caregiver.id))
    response = browser.client.post(
        f"/caregivers/{link_id}/revoke", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302

    # The same session and the same token, one request later.
    after = carer.client.get("/patients/me")
    assert after.status_code == 302
    assert after.headers["Location"] == "/caregivers/choose"
    choose = carer.client.get("/caregivers/choose").get_data(as_text=True)
    assert "You do not help anyone" in choose
    assert carer.client.get("/symptoms/history").status_code == 302
    assert api.get(url, headers=headers).status_code == 404
    assert (
        api.post(f"{url}/symptoms", json={"back_pain": 2}, headers=headers).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(SymptomLog.id)) is None
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "revoke_caregiver")
        )


@pytest.mark.travel(NOW)
def test_a_refused_invitation_changes_nothing(app, browser, clinic, make_user, outbox):
    _, patient = clinic
    staff = make_user("clinician", email="doc@clinic.example.org")
    browser.login(patient)
    response = invite(browser, "Doc", staff.email)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "cannot be a caregiver" in page
    assert 'value="Doc"' in page  # what was typed is kept
    # The refused change is undone; the page it showed is still in the trail.
    assert views_of(app, patient.patient_id, "view_caregivers") == 2
    bad = invite(browser, "", "not an email")
    assert bad.status_code == 400
    assert "Enter their name." in bad.get_data(as_text=True)
    client = app.test_client()  # the API, as an app would call it: no cookie
    api = client.post(
        f"/api/v1/patients/{patient.patient_id}/caregivers",
        json={"name": "Doc", "email": staff.email},
        headers=bearer_headers(client, patient),
    )
    assert api.status_code == 409
    assert "email" in api.get_json()["error"]["fields"]
    assert views_of(app, patient.patient_id, "api_view_caregivers") == 1
    with app.app_context():
        assert db.session.scalar(select(Caregiver.id)) is None
    assert outbox == []


def views_of(app, patient_id: int, action: str) -> int:
    """How many audit rows of this action the patient's record has."""
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuditEvent.id).where(
                    AuditEvent.patient_id == patient_id, AuditEvent.action == action
                )
            ).all()
        )


@pytest.mark.travel(NOW)
def test_one_caregiver_of_two_patients_switches_and_sees_no_one_else(
    app, make_user, make_patient, outbox
):
    coordinator = make_user("coordinator")
    first = make_patient(coordinator, name="First Patient")
    second = make_patient(coordinator, name="Second Patient")
    stranger = make_patient(coordinator, name="Stranger Patient")
    for account in (first, second, stranger):
        build_timeline(app, account.patient_id)
    carer = add_caregiver(app, first, name="Sam Both", email="sam@mail.example.org")
    # The second patient invites the same person: an existing account logs in.
    patient_browser = Browser(app.test_client())
    patient_browser.login(second)
    invite(patient_browser, "Sam", "sam@mail.example.org")
    link = invitation_link(outbox, "sam@mail.example.org")
    sam = Browser(app.test_client())
    assert sam.client.get(link).headers["Location"].startswith("/login")
    sam.login(carer)
    page = sam.client.get(link).get_data(as_text=True)
    assert "Help Second Patient" in page
    sam.client.post(link, data={"csrf_token": csrf_from(page)})

    assert "Second Patient" in sam.client.get("/patients/me").get_data(as_text=True)
    choose = sam.client.get("/caregivers/choose").get_data(as_text=True)
    assert "First Patient" in choose and "Second Patient" in choose
    assert "Stranger Patient" not in choose
    sam.client.post(
        f"/caregivers/choose/{first.patient_id}",
        data={"csrf_token": csrf_from(choose)},
    )
    assert "First Patient" in sam.client.get("/patients/me").get_data(as_text=True)
    refused = sam.client.post(
        f"/caregivers/choose/{stranger.patient_id}",
        data={"csrf_token": csrf_from(choose)},
    )
    assert refused.status_code == 404
    headers = bearer_headers(app.test_client(), carer)
    api = app.test_client()
    assert (
        api.get(f"/api/v1/patients/{stranger.patient_id}", headers=headers)
    ).status_code == 404
    listed = api.get("/api/v1/patients", headers=headers).get_json()
    assert sorted(p["id"] for p in listed["items"]) == sorted(
        [first.patient_id, second.patient_id]
    )


@pytest.mark.travel(NOW)
def test_a_caregiver_gets_reminders_only_while_the_patient_wants(app, browser, clinic):
    _, patient = clinic
    carer = add_caregiver(app, patient)
    browser.login(patient)
    page = browser.client.get("/caregivers/").get_data(as_text=True)
    with app.app_context():
        link_id = db.session.scalar(select(Caregiver.id))

    def pending_for_carer() -> int:
        with app.app_context():
            return len(
                db.session.scalars(
                    select(Reminder.id).where(
                        Reminder.user_id == carer.id, Reminder.status == "pending"
                    )
                ).all()
            )

    assert pending_for_carer() == 0
    browser.client.post(
        f"/caregivers/{link_id}/reminders",
        data={"csrf_token": csrf_from(page), "receives_reminders": "y"},
    )
    assert pending_for_carer() > 0
    with app.test_request_context():
        # The planner keeps them on later passes too.
        replan_reminders([db.session.get(Patient, patient.patient_id)], utcnow())
        db.session.commit()
    assert pending_for_carer() > 0
    browser.client.post(
        f"/caregivers/{link_id}/revoke", data={"csrf_token": csrf_from(page)}
    )
    assert pending_for_carer() == 0


@pytest.mark.travel(NOW)
def test_a_caregiver_may_not_do_what_is_the_patients_own(app, clinic):
    _, patient = clinic
    carer = add_caregiver(app, patient)
    browser = Browser(app.test_client())
    browser.login(carer)
    for url in ("/symptoms/odi", "/patients/me/access", "/caregivers/"):
        assert browser.client.get(url).status_code == 403, url
    timeline = browser.client.get("/timeline/me").get_data(as_text=True)
    assert "calendar address" not in timeline


@pytest.mark.travel(NOW)
def test_a_caregiver_takes_back_their_own_done_within_minutes(
    app, make_user, make_patient
):
    # Day 7 after surgery: the pain review is due today, and patients (or those who
    # help them) mark it done themselves.
    patient = make_patient(
        make_user("coordinator"), surgery_date=date(2026, 11, 19), timeline=True
    )
    carer = add_caregiver(app, patient)
    with app.app_context():
        event_id = db.session.scalar(
            select(TimelineEvent.id).where(
                TimelineEvent.patient_id == patient.patient_id,
                TimelineEvent.key == "pain_review:0",
            )
        )
    base = f"/timeline/{patient.patient_id}/events/{event_id}"
    browser = Browser(app.test_client())
    browser.login(carer)
    done = browser.submit(f"{base}/complete", {}, form_url="/timeline/me")
    assert done.headers["Location"] == "/patients/me"
    assert "Undo done: Pain-management review" in browser.client.get(
        "/timeline/me"
    ).get_data(as_text=True)
    undone = browser.submit(
        f"{base}/undo", {}, form_url="/timeline/me", follow_redirects=True
    )
    assert undone.status_code == 200
    assert "is open again" in undone.get_data(as_text=True)
    with app.app_context():
        event = db.session.get(TimelineEvent, event_id)
        assert event.status != "done" and event.completed_by_id is None
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == carer.id)
        ).all()
    assert "complete_event" in actions and "undo_complete_event" in actions
