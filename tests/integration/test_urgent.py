"""The urgent path: every urgent sign reaches someone who can act, and the patient
knows whom to call (issue 16)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from recovery import create_app
from recovery.audit.models import AuditEvent
from recovery.domain.symptoms import RedFlagError
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders.dispatch import dispatch_due, load_messages
from recovery.reminders.models import Reminder
from recovery.symptoms.models import Alert, SymptomLog
from recovery.symptoms.services import raise_missed_check_in_alerts, red_flag_rules
from tests.conftest import Browser, bearer_headers

NOW = "2026-11-26 15:00 +0000"
pytestmark = pytest.mark.travel(NOW)
TEAM_PHONE = "+1 312 555 0111"


@pytest.fixture
def team(app, make_user, make_patient):
    """A patient (day 16 after surgery) whose coordinator has a team line."""
    coordinator = make_user(
        "coordinator", name="Cora Queue", care_team_phone=TEAM_PHONE
    )
    clinician = make_user("clinician", name="Dr Ada")
    patient = make_patient(
        coordinator,
        clinician,
        name="Pat Urgent",
        mrn="MRN-URG-1",
        phone="+1 773 555 0142",
        coordinator_id=coordinator.id,
        clinician_id=clinician.id,
        timeline=True,
    )
    return {"coordinator": coordinator, "clinician": clinician, "patient": patient}


def check_in(browser: Browser, **answers) -> str:
    """Send the check-in form; the result page's HTML."""
    response = browser.submit(
        "/symptoms/check-in", {"back_pain": "4", **answers}, follow_redirects=True
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def alerts(app, rule: str | None = None) -> list[Alert]:
    with app.app_context():
        query = select(Alert).order_by(Alert.id)
        if rule:
            query = query.where(Alert.rule == rule)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def alert_reminders(app, alert_id: int) -> list[Reminder]:
    with app.app_context():
        rows = db.session.scalars(
            select(Reminder).where(Reminder.alert_id == alert_id).order_by(Reminder.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


# -- Whom to call, on every page that raises or shows an urgent sign ------------


@pytest.mark.parametrize("url", ["/patients/me", "/symptoms/check-in"])
def test_every_urgent_sign_of_the_sheet_is_listed_with_numbers_to_tap(
    app, browser, team, url
):
    browser.login(team["patient"])
    html = browser.client.get(url).get_data(as_text=True)
    with app.app_context():
        signs = red_flag_rules().urgent_signs
    assert len(signs) == 11
    for sign in signs:
        assert sign in html, sign
    # Including the signs no rule raises, and the fever alone.
    for words in ("calf", "chest pain", "headache", "pass urine", "38.3 °C"):
        assert words in html
    assert 'href="tel:+13125550111"' in html  # the coordinator's team line
    assert 'href="tel:911"' in html


def test_the_clinic_number_is_used_when_the_team_has_none(app, browser, make_patient):
    patient = make_patient()
    browser.login(patient)
    html = browser.client.get("/patients/me").get_data(as_text=True)
    assert 'href="tel:+13125550100"' in html  # CLINIC_PHONE of TestingConfig


def test_urgent_result_page_says_whom_to_call_with_tel_links(app, browser, team):
    browser.login(team["patient"])
    html = check_in(browser, urinary_retention="y")
    assert "Call your care team now" in html
    assert 'href="tel:+13125550111"' in html and 'href="tel:911"' in html
    assert "Reported unable to pass urine." in html
    with app.app_context():
        signs = red_flag_rules().urgent_signs
    for sign in signs:  # every sign of the sheet is still named
        assert sign in html, sign
    calm = check_in(browser, back_pain="2")
    assert "Call your care team now" not in calm
    for sign in signs:  # and after a calm check-in too
        assert sign in calm, sign


def test_the_api_answers_an_urgent_check_in_with_advice(app, client, team):
    headers = bearer_headers(client, team["patient"])
    url = f"/api/v1/patients/{team['patient'].patient_id}/symptoms"
    calm = client.post(url, json={"back_pain": 2}, headers=headers).get_json()
    assert "advice" not in calm
    urgent = client.post(
        url, json={"back_pain": 2, "temperature_c": 38.4}, headers=headers
    ).get_json()
    assert urgent["advice"]["care_team_phone"] == TEAM_PHONE
    assert urgent["advice"]["emergency_number"] == "911"
    assert "Call your care team now" in urgent["advice"]["message"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "advice" in spec["components"]["schemas"]["SymptomOut"]["properties"]


# -- The banner stays until staff act -------------------------------------------


def test_home_keeps_the_urgent_banner_until_staff_acknowledge_then_says_who(
    app, browser, team, clock
):
    browser.login(team["patient"])
    check_in(browser, wound="draining")
    home = browser.client.get("/patients/me").get_data(as_text=True)
    banner = home[home.index('class="urgent-box"') :]
    assert "You reported: Wound reported draining. (Thu 26 Nov, 09:00)" in banner
    assert 'href="tel:+13125550111"' in banner
    clock.shift(timedelta(hours=3))
    home = browser.client.get("/patients/me").get_data(as_text=True)
    assert 'class="urgent-box"' in home  # still there: nobody has acted yet

    (alert,) = alerts(app, "wound")
    staff = Browser(app.test_client())
    staff.login(team["coordinator"])
    staff.submit(
        f"/symptoms/alerts/{alert.id}/acknowledge",
        {"note": "Called her; seen in clinic today."},
        form_url=f"/patients/{team['patient'].patient_id}",
    )
    home = browser.client.get("/patients/me").get_data(as_text=True)
    assert 'class="urgent-box"' not in home
    assert "Cora Queue from your care team saw your report" in home
    assert "at Thu 26 Nov, 12:00" in home  # Chicago time
    clock.shift(timedelta(days=1, hours=1))
    home = browser.client.get("/patients/me").get_data(as_text=True)
    assert "saw your report" not in home  # a day later it has done its job


# -- Repeated signs ---------------------------------------------------------------


def test_a_repeat_of_an_open_urgent_sign_adds_to_its_alert_and_tells_the_team_again(
    app, browser, team, clock
):
    browser.login(team["patient"])
    check_in(browser, urinary_retention="y")
    (first,) = alerts(app)
    sent_first = len(alert_reminders(app, first.id))
    assert sent_first >= 2  # both staff, at least in the app
    clock.shift(timedelta(hours=2))
    html = check_in(browser, urinary_retention="y")
    assert "Call your care team now" in html  # urgent again, on the result page
    (again,) = alerts(app)
    assert again.id == first.id and again.reports == 2
    assert len(alert_reminders(app, first.id)) == 2 * sent_first

    staff = Browser(app.test_client())
    staff.login(team["clinician"])
    staff.submit(
        f"/symptoms/alerts/{first.id}/acknowledge",
        {"note": "Bladder scan arranged."},
        form_url=f"/patients/{team['patient'].patient_id}",
    )
    check_in(browser, urinary_retention="y")
    after = alerts(app, "urinary_retention")
    assert [a.status for a in after] == ["acknowledged", "open"]
    assert after[1].reports == 1


def test_saddle_numbness_reported_on_two_days_raises_both_days(app, browser, team):
    browser.login(team["patient"])
    check_in(browser, saddle_numbness="y")
    staff = Browser(app.test_client())
    staff.login(team["coordinator"])
    (alert,) = alerts(app)
    staff.submit(
        f"/symptoms/alerts/{alert.id}/acknowledge",
        {"note": "Sent to the emergency department."},
        form_url="/cohorts/",
    )
    html = check_in(browser, saddle_numbness="y")
    assert "Call your care team now" in html
    assert len(alerts(app, "saddle_numbness")) == 2


# -- Acknowledging needs a note ---------------------------------------------------


def test_an_urgent_alert_cannot_be_acknowledged_without_a_note(app, browser, team):
    browser.login(team["patient"])
    check_in(browser, leg_weakness="worse")
    (alert,) = alerts(app)
    staff = Browser(app.test_client())
    staff.login(team["coordinator"])
    page = staff.submit(
        f"/symptoms/alerts/{alert.id}/acknowledge",
        {"note": "   "},
        form_url=f"/patients/{team['patient'].patient_id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Write what was done" in page
    assert alerts(app)[0].status == "open"

    api = app.test_client()
    headers = bearer_headers(api, team["coordinator"])
    url = f"/api/v1/alerts/{alert.id}/acknowledge"
    refused = api.post(url, json={}, headers=headers)
    assert refused.status_code == 422
    assert "note" in refused.get_json()["error"]["fields"]
    assert alerts(app)[0].status == "open"
    done = api.post(url, json={"note": "Called, ambulance sent."}, headers=headers)
    assert done.status_code == 200
    assert done.get_json()["acknowledge_note"] == "Called, ambulance sent."


# -- No check-in for three days ----------------------------------------------------


def test_three_days_without_a_check_in_raise_one_warning_closed_by_the_next(
    app, browser, team, clock
):
    with app.app_context():
        assert raise_missed_check_in_alerts(utcnow()) == 1  # none since day 0
        assert raise_missed_check_in_alerts(utcnow()) == 0  # once per lapse
        db.session.commit()
    (warning,) = alerts(app, "no_check_in")
    assert (warning.severity, warning.status) == ("warning", "open")
    browser.login(team["patient"])
    check_in(browser)
    (warning,) = alerts(app, "no_check_in")
    assert warning.status == "resolved"
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "resolve_alert" in actions
    # Three more quiet days: a new lapse, a new warning.
    clock.shift(timedelta(days=4))
    with app.app_context():
        assert raise_missed_check_in_alerts(utcnow()) == 1
        db.session.commit()
    assert [a.status for a in alerts(app, "no_check_in")] == ["resolved", "open"]


def test_no_warning_once_daily_check_ins_are_no_longer_asked(
    app, make_user, make_patient, clock
):
    from datetime import date

    make_patient(make_user("coordinator"), surgery_date=date(2026, 8, 1))  # day 117
    with app.app_context():
        assert raise_missed_check_in_alerts(utcnow()) == 0


def test_jobs_can_be_listed_and_run_once_by_name(app, runner, team):
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0
    assert "missed_check_ins" in listed.output and "dispatch_reminders" in listed.output
    ran = runner.invoke(args=["jobs", "run", "missed_check_ins"])
    assert ran.exit_code == 0, ran.output
    assert [a.rule for a in alerts(app)] == ["no_check_in"]
    unknown = runner.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code != 0 and "missed_check_ins" in unknown.output


# -- Staff can reach the patient ----------------------------------------------------


def test_in_app_urgent_message_names_the_patient_and_email_keeps_no_detail(
    app, browser, team, outbox
):
    browser.login(team["patient"])
    check_in(browser, bowel_incontinence="y")
    (alert,) = alerts(app)
    with app.app_context():
        ids = [r.id for r in alert_reminders(app, alert.id)]
        messages = load_messages(ids)
    in_app = [m for m in messages if m.channel == "in_app"]
    email = [m for m in messages if m.channel == "email"]
    assert in_app and email
    for message in in_app:
        assert "Pat Urgent (MRN MRN-URG-1), phone +1 773 555 0142" in message.text
        assert "new loss of bowel control" in message.text
        assert message.link == f"/patients/{team['patient'].patient_id}"
    for message in email:
        assert "bowel" not in message.text and "Pat Urgent" not in message.text
    with app.app_context():
        from recovery.notify.channels import default_channels

        dispatch_due(default_channels(), utcnow())
        db.session.commit()
    assert outbox and all("bowel" not in m.body for m in outbox)
    staff = Browser(app.test_client())
    staff.login(team["coordinator"])
    inbox = staff.client.get("/reminders/inbox").get_data(as_text=True)
    assert "Pat Urgent (MRN MRN-URG-1)" in inbox
    assert f'href="/patients/{team["patient"].patient_id}"' in inbox


def test_alert_cards_and_the_patient_page_show_the_phone_to_call(app, browser, team):
    patient = Browser(app.test_client())
    patient.login(team["patient"])
    check_in(patient, wound="opened")
    browser.login(team["coordinator"])
    for url in ("/cohorts/", f"/patients/{team['patient'].patient_id}"):
        html = browser.client.get(url).get_data(as_text=True)
        assert 'href="tel:+17735550142"' in html, url


def test_staff_change_the_phone_audited_and_a_bad_one_is_refused_as_typed(
    app, browser, team
):
    pid = team["patient"].patient_id
    browser.login(team["coordinator"])
    bad = browser.submit(
        f"/patients/{pid}/phone",
        {"phone": "call me maybe"},
        form_url=f"/patients/{pid}",
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'value="call me maybe"' in html and "Enter a phone number" in html
    with app.app_context():
        assert db.session.get(Patient, pid).phone == "+1 773 555 0142"
    good = browser.submit(
        f"/patients/{pid}/phone",
        {"phone": "+1 773 555 0199"},
        form_url=f"/patients/{pid}",
    )
    assert good.status_code == 302
    with app.app_context():
        assert db.session.get(Patient, pid).phone == "+1 773 555 0199"
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "update_patient")
        ).one()
    assert row.details["before"] == {"phone": "+1 773 555 0142"}
    assert row.details["after"] == {"phone": "+1 773 555 0199"}


def test_enrolment_and_patch_take_a_phone_and_refuse_a_bad_one(app, client, team):
    headers = bearer_headers(client, team["coordinator"])
    body = {
        "name": "Phil Phone",
        "email": "phil@mail.example.org",
        "mrn": "PH-1",
        "date_of_birth": "1955-02-03",
        "timezone": "America/Chicago",
        "surgery_date": "2026-11-20",
        "procedure": "partial_laminectomy",
        "tumor_location": "epidural",
        "malignancy": "malignant",
        "origin": "metastatic",
    }
    refused = client.post(
        "/api/v1/patients", json={**body, "phone": "<script>"}, headers=headers
    )
    assert refused.status_code == 422
    assert "phone" in refused.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 1
    created = client.post(
        "/api/v1/patients", json={**body, "phone": "(312) 555-0177"}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["phone"] == "(312) 555-0177"
    pid = created.get_json()["id"]
    patched = client.patch(
        f"/api/v1/patients/{pid}", json={"phone": "+1 312 555 0178"}, headers=headers
    )
    assert (
        patched.status_code == 200 and patched.get_json()["phone"] == "+1 312 555 0178"
    )


def test_the_enrolment_form_has_the_phone_field(browser, team):
    browser.login(team["coordinator"])
    html = browser.client.get("/patients/new").get_data(as_text=True)
    assert re.search(r'<input type="tel" id="phone" name="phone"', html)


# -- The rules are data, checked at start-up ---------------------------------------


def test_a_bad_red_flags_file_stops_start_up_naming_file_and_key(tmp_path: Path):
    bad = tmp_path / "red_flags.toml"
    bad.write_text("[urgent]\nfever_alone_c = 45.0\n", encoding="utf-8")
    with pytest.raises(RedFlagError, match=r"red_flags.toml: \[urgent\] fever_alone_c"):
        create_app("testing", overrides={"RED_FLAGS_FILE": str(bad)})


def test_the_check_in_log_is_kept_even_when_it_only_repeats(app, browser, team):
    """Adding to an open alert never loses the check-in that reported it again."""
    browser.login(team["patient"])
    check_in(browser, urinary_retention="y")
    check_in(browser, urinary_retention="y")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SymptomLog)) == 2


def test_home_asks_for_the_check_in_only_on_days_it_is_asked(
    app, browser, make_user, make_patient
):
    from datetime import date

    # Day 117: past the weekly cadence, no visit or scan in the next days.
    quiet = make_patient(make_user("coordinator"), surgery_date=date(2026, 8, 1))
    browser.login(quiet)
    html = browser.client.get("/patients/me").get_data(as_text=True)
    assert "No check-in is asked today" in html and "Not done yet today." not in html
    assert "Check in anyway" in html


def test_home_asks_for_todays_check_in_while_daily(app, browser, team):
    browser.login(team["patient"])
    html = browser.client.get("/patients/me").get_data(as_text=True)
    assert "Not done yet today." in html and "Check in now" in html
