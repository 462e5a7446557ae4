"""The timeline through the real stack: create -> view -> change plan -> recompute."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.timeline.models import TimelineEvent
from tests.conftest import Account, Browser, bearer_headers

TODAY = "2026-11-26 15:00 +0000"


def new_patient(**overrides):
    body = {
        "name": "Tina Timeline",
        "email": "tina@mail.example.org",
        "mrn": "MRN-TL-1",
        "date_of_birth": "1961-04-03",
        "timezone": "America/Chicago",
        "surgery_date": "2026-11-20",
        "procedure": "open_resection",
        "tumor_location": "epidural",
        "tumor_type": "metastatic breast carcinoma",
        "malignancy": "malignant",
        "origin": "metastatic",
        "radiation": {
            "planned": True,
            "start_day": 10,
            "weeks": 2,
            "minutes_per_session": 15,
        },
        "brace": {"required": True, "weeks": 6},
    }
    body.update(overrides)
    return body


@pytest.fixture
def clinic(make_user):
    return {
        "clinician": make_user("clinician"),
        "coordinator": make_user("coordinator"),
    }


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield date(2026, 11, 26)


def create(client, clinic, **overrides):
    headers = bearer_headers(client, clinic["clinician"])
    body = new_patient(
        clinician_id=clinic["clinician"].id,
        coordinator_id=clinic["coordinator"].id,
        **overrides,
    )
    response = client.post("/api/v1/patients", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), headers


def test_create_builds_the_timeline_and_invites_the_patient(
    client, clinic, outbox, today
):
    patient, headers = create(client, clinic)
    assert patient["protocol"] == {"id": "laminectomy", "version": "2026.2"}
    assert outbox[0].to == ["tina@mail.example.org"]
    assert "/invitation/" in outbox[0].body

    timeline = client.get(f"/api/v1/patients/{patient['id']}/timeline", headers=headers)
    assert timeline.status_code == 200
    body = timeline.get_json()
    assert body["surgery_date"] == "2026-11-20"
    events = body["events"]
    assert [e["start_date"] for e in events] == sorted(e["start_date"] for e in events)
    sessions = [e for e in events if e["kind"] == "radiation_session"]
    assert len(sessions) == 10
    assert sessions[0]["start_date"] == "2026-11-30"  # day 10 is a Monday
    assert sessions[0]["title"] == "Radiation session 1 of 10"
    by_key = {e["key"]: e for e in events}
    assert by_key["activity_1:0"]["status"] == "due"  # day 6 of 0-14
    assert "Lifting more than 4.5 kg (10 lb)" in by_key["activity_1:0"]["not_allowed"]
    assert by_key["odi_baseline:0"]["status"] == "missed"
    assert by_key["wound_check:0"]["status"] == "upcoming"
    assert len([e for e in events if e["kind"] == "imaging"]) == 9


def test_changing_the_plan_recomputes_and_keeps_done_work(client, clinic, today, app):
    patient, headers = create(client, clinic)
    pid = patient["id"]
    events = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers).get_json()[
        "events"
    ]
    pain = next(e for e in events if e["key"] == "pain_review:0")
    done = client.post(
        f"/api/v1/patients/{pid}/events/{pain['id']}/complete", headers=headers
    )
    assert done.status_code == 200
    assert done.get_json()["status"] == "done"
    wound = next(e for e in events if e["key"] == "wound_check:0")
    edited = client.patch(
        f"/api/v1/patients/{pid}/events/{wound['id']}",
        json={
            "start_date": "2026-12-03",
            "end_date": "2026-12-03",
            "title": "Wound check at home",
        },
        headers=headers,
    )
    assert edited.status_code == 200
    assert edited.get_json()["overridden"] is True

    changed = client.patch(
        f"/api/v1/patients/{pid}",
        json={"surgery_date": "2026-11-23", "radiation": {"start_day": 14, "weeks": 3}},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.get_json()["radiation"]["weeks"] == 3
    after = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers).get_json()[
        "events"
    ]
    by_key = {e["key"]: e for e in after}
    assert by_key["pain_review:0"]["status"] == "done"
    assert (
        by_key["pain_review:0"]["start_date"] == pain["start_date"]
    )  # done: not moved
    assert by_key["wound_check:0"]["start_date"] == "2026-12-03"  # override kept
    assert by_key["wound_check:0"]["title"] == "Wound check at home"
    assert (
        by_key["surgeon_visit:0"]["start_date"] == "2026-12-28"
    )  # 42 - 7 after 23 Nov
    sessions = [
        e
        for e in after
        if e["kind"] == "radiation_session" and e["status"] != "cancelled"
    ]
    assert len(sessions) == 15
    assert sessions[0]["start_date"] == "2026-12-07"  # day 14 from 23 Nov, a Monday

    with app.app_context():
        audit = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.patient_id == pid, AuditEvent.action == "update_patient"
            )
        ).one()
        assert audit.details["before"]["surgery_date"] == "2026-11-20"
        assert audit.details["after"]["surgery_date"] == "2026-11-23"
        assert audit.details["before"]["radiation_weeks"] == 2
        assert audit.details["after"]["radiation_weeks"] == 3
        assert audit.actor_id == clinic["clinician"].id


def test_shortening_radiation_cancels_the_sessions_that_vanish(client, clinic, today):
    patient, headers = create(client, clinic)
    pid = patient["id"]
    client.patch(
        f"/api/v1/patients/{pid}", json={"radiation": {"weeks": 6}}, headers=headers
    )
    client.patch(
        f"/api/v1/patients/{pid}", json={"radiation": {"weeks": 2}}, headers=headers
    )
    events = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers).get_json()[
        "events"
    ]
    statuses = [e["status"] for e in events if e["kind"] == "radiation_session"]
    assert statuses.count("cancelled") == 20
    assert len(statuses) == 30
    client.patch(
        f"/api/v1/patients/{pid}",
        json={"radiation": {"planned": False}},
        headers=headers,
    )
    events = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers).get_json()[
        "events"
    ]
    assert {e["status"] for e in events if e["kind"] == "radiation_session"} == {
        "cancelled"
    }


def test_a_change_that_does_not_touch_the_plan_does_not_recompute(
    client, clinic, today, app
):
    patient, headers = create(client, clinic)
    client.patch(
        f"/api/v1/patients/{patient['id']}",
        json={"tumor_type": "lobular"},
        headers=headers,
    )
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.patient_id == patient["id"])
        ).all()
    assert actions.count("recompute_timeline") == 1  # only the first build


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"surgery_date": "2028-01-01"}, "surgery_date"),
        ({"surgery_date": "2019-01-01"}, "surgery_date"),
        ({"radiation": {"planned": True, "start_day": 6}}, "radiation.start_day"),
        ({"radiation": {"planned": True, "start_day": 15}}, "radiation.start_day"),
        ({"radiation": {"planned": True, "weeks": 1}}, "radiation.weeks"),
        ({"radiation": {"planned": True, "weeks": 7}}, "radiation.weeks"),
        ({"procedure": "acupuncture"}, "procedure"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"tumor_location": "brain"}, "tumor_location"),
        ({"date_of_birth": "2027-01-01"}, "date_of_birth"),
        ({"brace": {"required": True, "weeks": 0}}, "brace.weeks"),
    ],
)
def test_bad_plan_values_are_422_naming_the_field(
    client, clinic, today, changes, field
):
    headers = bearer_headers(client, clinic["clinician"])
    response = client.post(
        "/api/v1/patients", json=new_patient(**changes), headers=headers
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field]
    create_ok, _ = create(client, clinic, mrn="MRN-OK", email="ok@mail.example.org")
    patched = client.patch(
        f"/api/v1/patients/{create_ok['id']}", json=changes, headers=headers
    )
    assert patched.status_code == 422
    assert field in patched.get_json()["error"]["fields"]


def test_duplicate_email_or_mrn_is_409(client, clinic, today):
    create(client, clinic)
    headers = bearer_headers(client, clinic["clinician"])
    again = client.post(
        "/api/v1/patients",
        json=new_patient(email="other@mail.example.org"),
        headers=headers,
    )
    assert again.status_code == 409
    assert "mrn" in again.get_json()["error"]["fields"]
    again = client.post(
        "/api/v1/patients", json=new_patient(mrn="MRN-2"), headers=headers
    )
    assert again.status_code == 409
    assert "email" in again.get_json()["error"]["fields"]


def test_only_staff_create_and_only_clinicians_edit_events(
    client, clinic, make_user, today
):
    patient, headers = create(client, clinic)
    coordinator = bearer_headers(client, clinic["coordinator"])
    event_id = client.get(
        f"/api/v1/patients/{patient['id']}/timeline", headers=headers
    ).get_json()["events"][0]["id"]
    response = client.patch(
        f"/api/v1/patients/{patient['id']}/events/{event_id}",
        json={"title": "x"},
        headers=coordinator,
    )
    assert response.status_code == 403
    outsider = bearer_headers(client, make_user("clinician"))
    assert (
        client.get(
            f"/api/v1/patients/{patient['id']}/timeline", headers=outsider
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/v1/patients/{patient['id']}",
            json={"tumor_type": "x"},
            headers=outsider,
        ).status_code
        == 403
    )


def test_patient_completes_own_event_but_not_another_patients(
    client, clinic, app, today
):
    mine, headers = create(client, clinic)
    other, _ = create(client, clinic, mrn="MRN-OTHER", email="other@mail.example.org")
    with app.app_context():
        from recovery.auth.services import set_password
        from recovery.orm import utcnow

        patient = db.session.get(Patient, mine["id"])
        set_password(patient.user, "patient password", utcnow())
        db.session.commit()
        me = Account(patient.user_id, patient.user.email, "patient", "patient password")
    mine_token = bearer_headers(client, me)
    url = f"/api/v1/patients/{mine['id']}"
    events = client.get(f"{url}/timeline", headers=mine_token).get_json()["events"]
    wound = next(e for e in events if e["key"] == "wound_check:0")
    # Not due before day 10: the page offers no Done, so the API refuses it too.
    early = client.post(f"{url}/events/{wound['id']}/complete", headers=mine_token)
    assert early.status_code == 409
    # Day 7: the pain review is due, and the patient does it themselves.
    review = next(e for e in events if e["kind"] == "pain_review")
    with time_machine.travel("2026-11-27 15:00 +0000", tick=False):
        ok = client.post(f"{url}/events/{review['id']}/complete", headers=mine_token)
    assert ok.status_code == 200
    assert ok.get_json()["status"] == "done"
    theirs = client.get(
        f"/api/v1/patients/{other['id']}/timeline", headers=headers
    ).get_json()["events"]
    refused = client.post(
        f"/api/v1/patients/{other['id']}/events/{theirs[0]['id']}/complete",
        headers=mine_token,
    )
    assert refused.status_code == 404
    # Another patient's event id under my own patient id is not found either.
    crossed = client.post(
        f"{url}/events/{theirs[0]['id']}/complete", headers=mine_token
    )
    assert crossed.status_code == 404
    # Patients may not edit events.
    edit = client.patch(
        f"{url}/events/{wound['id']}", json={"title": "x"}, headers=mine_token
    )
    assert edit.status_code == 403


def test_calendar_feed_has_one_event_per_timeline_event(client, clinic, today):
    patient, headers = create(client, clinic)
    response = client.get(
        f"/api/v1/patients/{patient['id']}/calendar.ics", headers=headers
    )
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    timeline = client.get(
        f"/api/v1/patients/{patient['id']}/timeline", headers=headers
    ).get_json()
    assert len(events) == len(timeline["events"])
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == date(2026, 11, 6)  # ODI baseline, 14 days before
    wound = next(e for e in events if str(e["summary"]).startswith("Wound check"))
    assert wound.decoded("dtend") - wound.decoded("dtstart") == timedelta(days=5)


# -- pages -------------------------------------------------------------------------


def login_patient(app, client, patient_id, password="patient password"):
    from recovery.auth.services import set_password
    from recovery.orm import utcnow

    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        set_password(patient.user, password, utcnow())
        db.session.commit()
        email = patient.user.email
    browser = Browser(client)
    browser.submit("/login", {"email": email, "password": password})
    return browser


def test_patient_home_shows_today_limits_and_next_events(app, client, clinic, today):
    patient, _ = create(client, clinic)
    browser = login_patient(app, app.test_client(), patient["id"])
    page = browser.client.get("/patients/me").get_data(as_text=True)
    assert "Day 6 after surgery" in page
    assert "Walking, several times a day" in page
    assert "Lifting more than 4.5 kg (10 lb)" in page
    assert "Sitting, standing or walking without your brace" in page
    assert "Coming up" in page and "Radiation session 1 of 10" in page
    whole = browser.client.get("/timeline/me").get_data(as_text=True)
    assert "Follow-up MRI" in whole
    assert "Back questionnaire (ODI): before surgery" in whole


def test_patient_marks_a_due_event_done_with_one_tap(app, client, clinic, today):
    patient, _headers = create(client, clinic, surgery_date="2026-11-19")
    browser = login_patient(app, app.test_client(), patient["id"])
    with app.app_context():
        event = db.session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.patient_id == patient["id"],
                TimelineEvent.key == "pain_review:0",
            )
        ).one()  # day 7 = 26 Nov: due today
    response = browser.submit(
        f"/timeline/{patient['id']}/events/{event.id}/complete?next=/patients/me",
        {},
        form_url="/patients/me",
        follow_redirects=True,
    )
    assert "Marked done: Pain-management review" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TimelineEvent, event.id).status == "done"


def test_clinician_changes_the_plan_on_the_page_and_the_timeline_follows(
    app, client, clinic, today
):
    patient, _ = create(client, clinic)
    browser = Browser(app.test_client())
    browser.login(clinic["clinician"])
    page = browser.client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert "Radiation session 10 of 10" in page
    form = {
        "surgery_date": "2026-11-20",
        "radiation_planned": "y",
        "radiation_start_day": "14",
        "radiation_weeks": "4",
        "radiation_minutes_per_session": "20",
        "brace_required": "y",
        "brace_weeks": "8",
    }
    response = browser.submit(
        f"/timeline/{patient['id']}/plan", form, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "Plan saved" in text
    assert "Radiation session 20 of 20" in text
    with app.app_context():
        brace = db.session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.patient_id == patient["id"], TimelineEvent.kind == "brace"
            )
        ).one()
        assert brace.end_date == date(2026, 11, 20) + timedelta(days=55)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("radiation_start_day", "3", "The start day must be from 7 to 14."),
        ("radiation_weeks", "9", "Weeks must be from 2 to 6."),
        ("surgery_date", "2030-01-01", "more than a year from today"),
        ("surgery_date", "not a date", "Not a valid date value."),
        ("brace_weeks", "abc", "Not a valid integer value."),
    ],
)
def test_plan_form_shows_the_message_for_bad_values(
    app, client, clinic, today, field, value, message
):
    patient, _ = create(client, clinic)
    browser = Browser(app.test_client())
    browser.login(clinic["clinician"])
    form = {
        "surgery_date": "2026-11-20",
        "radiation_planned": "y",
        "radiation_start_day": "10",
        "radiation_weeks": "2",
        "radiation_minutes_per_session": "15",
        "brace_weeks": "6",
        field: value,
    }
    response = browser.submit(f"/timeline/{patient['id']}/plan", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'value="Radiation planned"' not in response.get_data(as_text=True)


def test_clinician_edits_one_event_and_a_later_plan_change_keeps_it(
    app, client, clinic, today
):
    patient, headers = create(client, clinic)
    browser = Browser(app.test_client())
    browser.login(clinic["clinician"])
    with app.app_context():
        event = db.session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.patient_id == patient["id"],
                TimelineEvent.key == "surgeon_visit:0",
            )
        ).one()
    url = f"/timeline/{patient['id']}/events/{event.id}/edit"
    bad = browser.submit(
        url, {"start_date": "2027-01-10", "end_date": "2027-01-05", "title": "Visit"}
    )
    assert "The end date is before the start date." in bad.get_data(as_text=True)
    browser.submit(
        url,
        {
            "start_date": "2027-01-11",
            "end_date": "2027-01-11",
            "title": "Visit with Dr. S",
            "instructions": "",
        },
    )
    client.patch(
        f"/api/v1/patients/{patient['id']}",
        json={"surgery_date": "2026-11-25"},
        headers=headers,
    )
    with app.app_context():
        event = db.session.get(TimelineEvent, event.id)
        assert (event.start_date, event.title, event.overridden) == (
            date(2027, 1, 11),
            "Visit with Dr. S",
            True,
        )


def test_coordinators_cannot_change_plans_on_the_pages(app, client, clinic, today):
    patient, _ = create(client, clinic)
    browser = Browser(app.test_client())
    browser.login(clinic["coordinator"])
    assert browser.client.get(f"/timeline/{patient['id']}/plan").status_code == 403


def test_recompute_command_for_one_and_all(app, client, clinic, runner, today):
    patient, _ = create(client, clinic)
    with app.app_context():
        row = db.session.get(Patient, patient["id"])
        row.brace_weeks = 10  # as if changed outside the app
        db.session.commit()
    one = runner.invoke(args=["timeline", "recompute", "--patient", str(patient["id"])])
    assert one.exit_code == 0, one.output
    assert "1 moved" in one.output
    everyone = runner.invoke(args=["timeline", "recompute", "--all"])
    assert "Recomputed 1 timeline(s): 0 added, 0 moved" in everyone.output
