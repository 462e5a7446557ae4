"""Check-ins, red flags, ODI, alerts and the calendar feed through the real stack."""

from __future__ import annotations

import re

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import func, select

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.symptoms.models import Alert, QuestionnaireResponse, SymptomLog
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def today():
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        yield


@pytest.fixture
def team(make_user, make_patient, app, today):
    coordinator = make_user("coordinator", name="Cora Queue")
    clinician = make_user("clinician")
    patient = make_patient(coordinator, clinician, name="Pat Symptom")
    other = make_patient(make_user("coordinator"), name="Other Person")
    with app.app_context():
        from recovery.patients.models import Patient

        for pid in (patient.patient_id, other.patient_id):
            recompute_timeline(db.session.get(Patient, pid), utcnow())
        db.session.commit()
    return {
        "coordinator": coordinator,
        "clinician": clinician,
        "patient": patient,
        "other": other,
    }


def count(app, model, **where):
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


# -- API -----------------------------------------------------------------------------


def test_patient_posts_a_check_in_and_a_red_flag_opens_an_urgent_alert(
    client, team, app
):
    headers = bearer_headers(client, team["patient"])
    url = f"/api/v1/patients/{team['patient'].patient_id}/symptoms"
    response = client.post(
        url, json={"back_pain": 6, "bladder_incontinence": True}, headers=headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["back_pain"] == 6 and body["recorded_at"]
    assert [(a["severity"], a["rule"]) for a in body["alerts"]] == [
        ("urgent", "new_bladder_incontinence")
    ]
    again = client.post(
        url, json={"back_pain": 6, "bladder_incontinence": True}, headers=headers
    )
    assert again.get_json()["alerts"] == []  # not new any more
    listed = client.get(url, headers=headers).get_json()
    assert len(listed) == 2
    assert listed[0]["id"] == again.get_json()["id"]  # newest first


def test_a_patient_posts_only_to_their_own_record(client, team):
    headers = bearer_headers(client, team["patient"])
    other = f"/api/v1/patients/{team['other'].patient_id}/symptoms"
    assert client.post(other, json={"back_pain": 2}, headers=headers).status_code == 404
    assert client.get(other, headers=headers).status_code == 404


def test_staff_post_only_for_their_care_team(client, team, make_user):
    url = f"/api/v1/patients/{team['patient'].patient_id}/symptoms"
    coordinator = bearer_headers(client, team["coordinator"])
    assert (
        client.post(url, json={"back_pain": 2}, headers=coordinator).status_code == 201
    )
    outsider = bearer_headers(client, make_user("coordinator"))
    assert client.post(url, json={"back_pain": 2}, headers=outsider).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"back_pain": 11}, "back_pain"),
        ({}, "back_pain"),
        ({"back_pain": 3, "temperature_c": 60}, "temperature_c"),
        ({"back_pain": 3, "weight_kg": -3}, "weight_kg"),
        ({"back_pain": 3, "notes": "x" * 100_000}, "notes"),
        ({"back_pain": 3, "wound": "purple"}, "wound"),
        ({"back_pain": 3, "leg_weakness": "very"}, "leg_weakness"),
    ],
)
def test_bad_symptom_values_are_422_naming_the_field_and_nothing_is_saved(
    client, team, app, body, field
):
    headers = bearer_headers(client, team["patient"])
    url = f"/api/v1/patients/{team['patient'].patient_id}/symptoms"
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(app, SymptomLog) == 0


def test_symptoms_since_filters_by_instant(client, team):
    headers = bearer_headers(client, team["patient"])
    url = f"/api/v1/patients/{team['patient'].patient_id}/symptoms"
    with time_machine.travel("2026-11-20 10:00 +0000", tick=False):
        client.post(url, json={"back_pain": 5}, headers=headers)
    client.post(url, json={"back_pain": 4}, headers=headers)
    recent = client.get(f"{url}?since=2026-11-25T00:00:00Z", headers=headers).get_json()
    assert [r["back_pain"] for r in recent] == [4]
    assert client.get(f"{url}?since=yesterday", headers=headers).status_code == 422


def test_odi_through_the_api(client, team, app):
    headers = bearer_headers(client, team["patient"])
    url = f"/api/v1/patients/{team['patient'].patient_id}/questionnaires/odi"
    full = client.post(
        url, json={"answers": [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]}, headers=headers
    )
    assert full.status_code == 201
    assert full.get_json()["score_percent"] == 40.0
    assert full.get_json()["band"] == "moderate"
    skipped = client.post(
        url, json={"answers": [4, 4, 4, 4, 4, 4, 4, 4, None, None]}, headers=headers
    )
    assert skipped.get_json()["score_percent"] == 80.0
    # 40 -> 80: at least 10 points worse, a warning for the care team.
    assert [a["rule"] for a in skipped.get_json()["alerts"]] == ["odi_worse"]
    # Fewer than 8 of the 10 sections: refused, naming the answers (issue 16).
    few = client.post(url, json={"answers": [1] * 7 + [None] * 3}, headers=headers)
    assert few.status_code == 422
    assert (
        "at least 8 of the 10 sections" in few.get_json()["error"]["fields"]["answers"]
    )
    for bad in ([1] * 9, [6] * 10, "all fine"):
        response = client.post(url, json={"answers": bad}, headers=headers)
        assert response.status_code == 422
        assert any(
            f.startswith("answers") for f in response.get_json()["error"]["fields"]
        )
    assert count(app, QuestionnaireResponse) == 2


def test_alerts_are_listed_for_the_care_team_and_acknowledged_once(
    client, team, make_user
):
    patient = bearer_headers(client, team["patient"])
    client.post(
        f"/api/v1/patients/{team['patient'].patient_id}/symptoms",
        json={"back_pain": 3, "temperature_c": 38.5},
        headers=patient,
    )
    coordinator = bearer_headers(client, team["coordinator"])
    alerts = client.get("/api/v1/alerts?status=open", headers=coordinator).get_json()
    assert [(a["rule"], a["severity"]) for a in alerts] == [("fever", "urgent")]
    outsider = bearer_headers(client, make_user("coordinator"))
    assert client.get("/api/v1/alerts", headers=outsider).get_json() == []
    assert (
        client.post(
            f"/api/v1/alerts/{alerts[0]['id']}/acknowledge",
            json={"note": "x"},
            headers=outsider,
        ).status_code
        == 403
    )
    assert client.get("/api/v1/alerts", headers=patient).status_code == 403
    done = client.post(
        f"/api/v1/alerts/{alerts[0]['id']}/acknowledge",
        json={"note": "Called; to ER"},
        headers=coordinator,
    )
    assert done.status_code == 200
    assert done.get_json()["status"] == "acknowledged"
    assert done.get_json()["acknowledge_note"] == "Called; to ER"
    twice = client.post(
        f"/api/v1/alerts/{alerts[0]['id']}/acknowledge", json={}, headers=coordinator
    )
    assert twice.status_code == 409
    assert (
        client.get("/api/v1/alerts?status=open", headers=coordinator).get_json() == []
    )
    assert (
        client.get("/api/v1/alerts?status=shut", headers=coordinator).status_code == 422
    )


# -- pages ---------------------------------------------------------------------------

CALM = {"back_pain": "3", "leg_pain": "2", "leg_weakness": "none", "wound": "healing"}


def patient_browser(app, team):
    browser = Browser(app.test_client())
    browser.login(team["patient"])
    return browser


def test_check_in_form_with_bad_values_shows_a_message_per_field_and_saves_nothing(
    app, team
):
    browser = patient_browser(app, team)
    response = browser.submit(
        "/symptoms/check-in",
        {
            "back_pain": "11",
            "temperature": "60",
            "weight": "-3",
            "notes": "x" * 100_000,
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Back pain must be from 0 to 10." in page
    assert "Temperature must be from 34 to 43 °C." in page
    assert "Weight must be from 20 to 400 kg." in page
    assert "Please keep notes under 2000 characters." in page
    assert "Nothing was sent yet." in page
    assert count(app, SymptomLog) == 0
    missing = browser.submit("/symptoms/check-in", {"leg_pain": "4"})
    assert "Choose your back pain from 0 to 10." in missing.get_data(as_text=True)
    assert count(app, SymptomLog) == 0


def test_notes_with_script_are_kept_and_shown_escaped(app, team):
    browser = patient_browser(app, team)
    browser.submit(
        "/symptoms/check-in", {**CALM, "notes": SCRIPT}, follow_redirects=True
    )
    page = browser.client.get("/symptoms/history").get_data(as_text=True)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    staff = Browser(app.test_client())
    staff.login(team["clinician"])
    detail = staff.client.get(f"/patients/{team['patient'].patient_id}").get_data(
        as_text=True
    )
    assert SCRIPT not in detail and "&lt;script&gt;" in detail


def test_calm_check_in_thanks_and_home_shows_it_done(app, team):
    browser = patient_browser(app, team)
    assert "Not done yet today." in browser.client.get("/patients/me").get_data(
        as_text=True
    )
    result = browser.submit("/symptoms/check-in", CALM, follow_redirects=True)
    text = result.get_data(as_text=True)
    assert "Thank you, your check-in is sent" in text
    assert "Call your care team now" not in text
    assert "Done today" in browser.client.get("/patients/me").get_data(as_text=True)
    browser.submit("/symptoms/check-in", {**CALM, "back_pain": "4"})
    assert count(app, SymptomLog) == 2  # a second check-in the same day is kept


def test_urgent_check_in_shows_whom_to_call_and_reaches_the_coordinators_queue(
    app, team
):
    browser = patient_browser(app, team)
    result = browser.submit(
        "/symptoms/check-in",
        {**CALM, "bladder_incontinence": "y"},
        follow_redirects=True,
    )
    text = result.get_data(as_text=True)
    assert "Call your care team now" in text
    assert app.config["EMERGENCY_NUMBER"] in text
    assert "Reported new loss of bladder control." in text

    coordinator = Browser(app.test_client())
    coordinator.login(team["coordinator"])
    queue = coordinator.client.get("/cohorts/").get_data(as_text=True)
    assert "Open alerts (1)" in queue
    assert "Pat Symptom" in queue and "URGENT" in queue
    with app.app_context():
        alert_id = db.session.scalar(select(Alert.id))
    done = coordinator.submit(
        f"/symptoms/alerts/{alert_id}/acknowledge?next=/cohorts/",
        {"note": "Phoned patient, sent to ER"},
        form_url="/cohorts/",
        follow_redirects=True,
    )
    assert "Open alerts (0)" in done.get_data(as_text=True)
    detail = coordinator.client.get(f"/patients/{team['patient'].patient_id}").get_data(
        as_text=True
    )
    assert "Phoned patient, sent to ER" in detail


def test_odi_page_scores_and_marks_the_due_questionnaire_done(app, team):
    with app.app_context():
        event_id = db.session.scalar(
            select(TimelineEvent.id).where(
                TimelineEvent.patient_id == team["patient"].patient_id,
                TimelineEvent.key == "odi:0",
            )
        )
    # The 6-week ODI of a surgery on 10 Nov opens on day 39.
    with time_machine.travel("2026-12-20 15:00 +0000", tick=False):
        browser = patient_browser(app, team)
        assert "questionnaire (ODI) is due" in browser.client.get(
            "/patients/me"
        ).get_data(as_text=True)
        answers = {f"q{n}": "3" for n in range(9)}  # the tenth skipped
        done = browser.submit("/symptoms/odi", answers, follow_redirects=True)
    assert "Your score is 60 % (severe disability)" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TimelineEvent, event_id).status == "done"


def test_history_page_has_a_chart_and_a_table_fallback(app, team):
    browser = patient_browser(app, team)
    browser.submit("/symptoms/check-in", CALM)
    page = browser.client.get("/symptoms/history").get_data(as_text=True)
    assert 'data-series="back,leg"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert '<th scope="col">Back pain</th>' in page
    data = re.search(
        r'<script type="application/json" id="trend-data">(.*?)</script>', page
    ).group(1)
    assert '"back": [{"x": 16, "y": 3}]' in data  # day 16 after a surgery on 10 Nov


def test_private_calendar_feed_can_be_issued_used_and_revoked(app, team, client):
    browser = patient_browser(app, team)
    page = browser.submit(
        "/timeline/me/calendar",
        {"action": "issue"},
        form_url="/timeline/me",
        follow_redirects=True,
    )
    url = re.search(
        r'value="(http://localhost/timeline/feed/[^"]+\.ics)"',
        page.get_data(as_text=True),
    ).group(1)
    feed = client.get(url.removeprefix("http://localhost"))
    assert feed.status_code == 200
    assert len(Calendar.from_ical(feed.data).walk("VEVENT")) > 20
    # The address is shown once only.
    assert url not in browser.client.get("/timeline/me").get_data(as_text=True)
    browser.submit(
        "/timeline/me/calendar", {"action": "revoke"}, form_url="/timeline/me"
    )
    assert client.get(url.removeprefix("http://localhost")).status_code == 404
    assert client.get("/timeline/feed/guess.ics").status_code == 404
