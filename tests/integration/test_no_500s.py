"""Issue 17: each input that gave a 500 is refused with a message, and nothing changed.

One test per class of bad input (timezones, integers in query strings, dates the
app cannot store, JSON bodies, NUL bytes, sNaN, naive instants, CR/LF in `next`).
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.symptoms.models import SymptomLog
from recovery.timeline.models import TimelineEvent
from tests.conftest import Browser, bearer_headers

TODAY = "2026-11-26 15:00 +0000"


@pytest.fixture(autouse=True)
def _travel():
    # Every test here does all its work, logins included, on one known day.
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def team(app, make_user, make_patient):
    clinician = make_user("clinician")
    patient = make_patient(clinician, surgery_date=date(2026, 11, 19), timeline=True)
    return {"clinician": clinician, "patient": patient, "admin": make_user("admin")}


def logged_in(app, account) -> Browser:
    browser = Browser(app.test_client())
    assert browser.login(account).status_code == 302
    return browser


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# -- timezones ---------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America", "Europe", "../etc/passwd", "America/"])
def test_a_folder_of_the_tz_database_is_not_a_timezone_in_forms(app, team, zone):
    patient = logged_in(app, team["patient"])
    response = patient.submit(
        "/reminders/preferences",
        {"timezone": zone, "notify_in_app": "y"},
    )
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "Unknown timezone" in page
    assert zone.replace("/", "") in page.replace("/", "")  # what was typed is kept
    with app.app_context():
        assert db.session.get(User, team["patient"].id).timezone == "America/Chicago"

    admin = logged_in(app, team["admin"])
    response = admin.submit(
        "/admin/users/new",
        {
            "name": "N",
            "email": "n@clinic.example.org",
            "role": "clinician",
            "timezone": zone,
        },
    )
    assert "Unknown timezone" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(User).where(User.email == "n@clinic.example.org"))
            is None
        )


def test_a_folder_of_the_tz_database_is_a_422_on_the_api(app, client, team):
    headers = bearer_headers(client, team["clinician"])
    pid = team["patient"].patient_id
    response = client.patch(
        f"/api/v1/patients/{pid}", json={"timezone": "America"}, headers=headers
    )
    assert response.status_code == 422
    assert "timezone" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Patient, pid).user.timezone == "America/Chicago"


# -- plan forms: numbers left blank ------------------------------------------


@pytest.mark.parametrize("path", ["plan", "recurrence"])
@pytest.mark.parametrize(
    ("ticked", "blank", "message"),
    [
        ("radiation_planned", "radiation_weeks", "Needed when radiation is planned."),
        ("brace_required", "brace_weeks", "Needed when a brace is required."),
    ],
)
def test_plan_forms_with_blank_numbers_say_what_is_needed(
    app, team, path, ticked, blank, message
):
    pid = team["patient"].patient_id
    with app.app_context():
        before = db.session.get(Patient, pid).version
    clinician = logged_in(app, team["clinician"])
    form = {
        "surgery_date": "2026-11-19",
        "radiation_start_day": "10",
        "radiation_weeks": "2",
        "radiation_minutes_per_session": "15",
        "brace_weeks": "6",
        "reason": "Regrowth",
        "procedure": "open_resection",
        ticked: "y",
        blank: "",
    }
    response = clinician.submit(f"/timeline/{pid}/{path}", form)
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="2026-11-19"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.get(Patient, pid).version == before


# -- dates the app cannot store or format ------------------------------------


def test_an_event_dated_9999_is_refused_and_the_feeds_keep_working(app, client, team):
    headers = bearer_headers(client, team["clinician"])
    pid = team["patient"].patient_id
    with app.app_context():
        event = db.session.scalars(
            select(TimelineEvent).where(TimelineEvent.patient_id == pid)
        ).first()
        eid, end = event.id, event.end_date
    for body in (
        {"end_date": "9999-12-31"},
        {"start_date": "0001-01-01"},
        {"start_date": "9999-12-31", "end_date": "9999-12-31"},
    ):
        response = client.patch(
            f"/api/v1/patients/{pid}/events/{eid}", json=body, headers=headers
        )
        assert response.status_code == 422, body
        assert set(response.get_json()["error"]["fields"]) & set(body)
    with app.app_context():
        assert db.session.get(TimelineEvent, eid).end_date == end
    calendar = client.get(f"/api/v1/patients/{pid}/calendar.ics", headers=headers)
    assert calendar.status_code == 200

    clinician = logged_in(app, team["clinician"])
    response = clinician.submit(
        f"/timeline/{pid}/events/{eid}/edit",
        {"start_date": "2026-12-01", "end_date": "9999-12-31", "title": "T"},
    )
    assert response.status_code in (200, 400)
    assert "9999-12-31" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TimelineEvent, eid).end_date == end


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_audit_filter_with_a_far_date_is_a_message(app, team, until):
    admin = logged_in(app, team["admin"])
    response = admin.client.get(f"/admin/audit?until={until}")
    assert response.status_code == 400
    assert "from 1900 to 2199" in response.get_data(as_text=True)
    csv = admin.client.get(f"/admin/audit.csv?until={until}")
    csv.close()
    assert csv.status_code == 302  # back to the form, nothing exported


# -- integers in query strings -----------------------------------------------

HUGE = str(2**64 + 1)


@pytest.mark.parametrize("value", [HUGE, "²", "-" + HUGE, "\uff11\uff12", "1e3"])
def test_integers_in_query_strings_never_give_a_500(app, client, team, value):
    admin = logged_in(app, team["admin"])
    clinician = logged_in(app, team["clinician"])
    for browser, url in (
        (admin, f"/admin/users?page={value}"),
        (admin, f"/admin/audit?page={value}"),
        (admin, f"/admin/audit?patient_id={value}"),
        (admin, f"/admin/audit?actor={value}"),
        (admin, f"/admin/audit.csv?actor={value}"),
        (clinician, f"/cohorts/?page={value}"),
        (clinician, f"/cohorts/?clinician_id={value}"),
        (clinician, f"/clinician/?page={value}"),
        (clinician, f"/clinician/?weeks={value}"),
        (clinician, f"/patients/{team['patient'].patient_id}?page={value}"),
    ):
        response = browser.client.get(url)
        response.get_data()  # a streamed CSV runs to its end, then closes
        response.close()
        assert response.status_code < 500, url
    headers = bearer_headers(client, team["clinician"])
    for url in (
        f"/api/v1/patients?page={value}",
        f"/api/v1/patients?per_page={value}",
        f"/api/v1/alerts?patient_id={value}",
        f"/api/v1/cohort?page={value}",
        f"/api/v1/cohort.csv?clinician_id={value}",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 400, 422), url
        if response.status_code == 422:
            assert response.get_json()["error"]["fields"]


# -- check-in numbers ---------------------------------------------------------


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "-inf", "1e999999"])
def test_check_in_numbers_that_are_not_numbers_are_a_message(app, team, value):
    patient = logged_in(app, team["patient"])
    before = count(app, SymptomLog)
    response = patient.submit(
        "/symptoms/check-in", {"back_pain": "3", "temperature": value}
    )
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "Enter a number, like 37.5." in page
    assert f'value="{value}"' in page or 'name="temperature"' in page
    assert count(app, SymptomLog) == before


# -- instants without an offset ----------------------------------------------


@pytest.mark.parametrize(
    "since", ["2026-11-20T10:00:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00Z"]
)
def test_since_without_an_offset_or_out_of_range_is_a_422(app, client, team, since):
    headers = bearer_headers(client, team["patient"])
    pid = team["patient"].patient_id
    response = client.get(
        f"/api/v1/patients/{pid}/symptoms",
        query_string={"since": since},
        headers=headers,
    )
    assert response.status_code == 422
    assert "since" in response.get_json()["error"]["fields"]
    ok = client.get(
        f"/api/v1/patients/{pid}/symptoms",
        query_string={"since": "2026-11-20T10:00:00+00:00"},
        headers=headers,
    )
    assert ok.status_code == 200


# -- JSON bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a@b.example.org", "password": "\\ud800"}',
        '{"email": "a@b.example.org", "password": "x", "label": "\\udfff"}',
        '{"\\ud800": 1}',
        "[" * 5000 + "]" * 5000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        '{"email": "a@b.example.org", "password": "a\\u0000b"}',
    ],
)
def test_bad_json_on_the_unauthenticated_token_endpoint_is_a_400(app, client, body):
    before = count(app, AuditEvent)
    response = client.post(
        "/api/v1/auth/tokens", data=body, content_type="application/json"
    )
    assert response.status_code in (400, 422)
    error = response.get_json()["error"]
    assert error["message"]
    assert count(app, AuditEvent) == before


def test_a_lone_surrogate_in_a_json_field_is_named(app, client, team):
    headers = bearer_headers(client, team["patient"])
    pid = team["patient"].patient_id
    before = count(app, SymptomLog)
    response = client.post(
        f"/api/v1/patients/{pid}/symptoms",
        data='{"back_pain": 2, "notes": "ok \\ud83d then"}',
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert "notes" in response.get_json()["error"]["fields"]
    assert count(app, SymptomLog) == before


def test_a_json_body_over_the_limit_is_a_413(app, client, team):
    headers = bearer_headers(client, team["patient"])
    pid = team["patient"].patient_id
    big = '{"back_pain": 2, "notes": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = client.post(
        f"/api/v1/patients/{pid}/symptoms",
        data=big,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


# -- NUL bytes in text ---------------------------------------------------------


def test_a_nul_byte_is_refused_the_same_way_in_forms_and_the_api(app, client, team):
    patient = logged_in(app, team["patient"])
    before = count(app, SymptomLog)
    response = patient.submit(
        "/symptoms/check-in", {"back_pain": "3", "notes": "sore\x00back"}
    )
    assert response.status_code == 400
    assert "cannot be stored" in response.get_data(as_text=True)
    headers = bearer_headers(client, team["patient"])
    response = client.post(
        f"/api/v1/patients/{team['patient'].patient_id}/symptoms",
        json={"back_pain": 3, "notes": "sore\x00back"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "notes" in response.get_json()["error"]["fields"]
    assert count(app, SymptomLog) == before
    response = client.get("/login?next=/a%00b")
    assert response.status_code == 400


# -- CR or LF in next ----------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/patients/me\r\nSet-Cookie: x=1", "/a\nb", "/\t/x"]
)
def test_cr_or_lf_in_next_falls_back_to_the_landing_page(app, team, target):
    browser = Browser(app.test_client())
    page = browser.client.get("/login")
    assert page.status_code == 200
    response = browser.submit(
        "/login?" + __import__("urllib.parse").parse.urlencode({"next": target}),
        {"email": team["patient"].email, "password": team["patient"].password},
        form_url="/login",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/patients/me"
    assert "Set-Cookie: x" not in str(response.headers)
