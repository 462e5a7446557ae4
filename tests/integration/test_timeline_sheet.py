"""The timeline as the clinical sheet says, through the real pages and API."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers

SURGERY = date(2026, 8, 3)  # a Monday


def build(app, patient_id: int) -> None:
    with app.test_request_context():
        recompute_timeline(db.session.get(Patient, patient_id), utcnow())
        db.session.commit()


def log_on(
    app, patient_id: int, day: int, back_pain: int = 3, surgery: date = SURGERY
) -> None:
    from recovery.symptoms.models import SymptomLog

    with app.app_context():
        db.session.add(
            SymptomLog(
                patient_id=patient_id,
                recorded_at=datetime.combine(
                    surgery + timedelta(days=day), datetime.min.time(), UTC
                )
                + timedelta(hours=15),
                back_pain=back_pain,
            )
        )
        db.session.commit()


def test_cohort_adherence_counts_the_days_asked_before_an_mri(
    app, browser, make_user, make_patient
):
    coordinator = make_user("coordinator")
    with time_machine.travel("2026-12-20 15:00 +0000", tick=False):
        account = make_patient(
            coordinator, surgery_date=SURGERY, procedure="open_resection"
        )
        build(app, account.patient_id)
        with app.app_context():
            mri = db.session.scalar(
                select(TimelineEvent.start_date).where(
                    TimelineEvent.patient_id == account.patient_id,
                    TimelineEvent.key == "imaging_benign:0",
                )
            )
        assert (mri - SURGERY).days == 77  # day 91, window from day 77
        # Week 11 (days 70-76): asked on day 70 (weekly) and 75, 76 (before the MRI).
        for day in (70, 72, 75):
            log_on(app, account.patient_id, day)
        browser.login(coordinator)
        html = browser.client.get("/cohorts/summary").get_data(as_text=True)
    assert "<tr><td>11</td><td>1</td><td>3</td><td>2</td><td>66.7 %</td></tr>" in html
    # Week 7 holds day 42, the last daily one: one check-in asked.
    assert "<tr><td>7</td><td>1</td><td>1</td><td>0</td><td>0.0 %</td></tr>" in html
    # Week 14 (days 91-97): nothing asked any more.
    assert "<tr><td>14</td><td>1</td><td>0</td><td>0</td><td>—</td></tr>" in html


# -- plans that cannot be --------------------------------------------------------


def patient_body(**overrides):
    body = {
        "name": "Pat Plan",
        "email": "pat.plan@mail.example.org",
        "mrn": "PLAN-1",
        "date_of_birth": "1961-02-03",
        "timezone": "America/Chicago",
        "surgery_date": "2026-11-30",
        "procedure": "open_resection",
        "tumor_location": "epidural",
        "malignancy": "malignant",
        "origin": "metastatic",
        "radiation": {"planned": True, "start_day": 10, "weeks": 2},
        "brace": {"required": False},
    }
    body.update(overrides)
    return body


def patient_count(app) -> int:
    with app.app_context():
        return db.session.query(Patient).count()


@pytest.mark.parametrize(
    ("overrides", "fields", "message"),
    [
        (
            {"malignancy": "benign", "origin": "metastatic"},
            {"malignancy", "origin"},
            "A metastatic tumour cannot be benign",
        ),
        (
            {"radiation": {"planned": True, "start_day": 10}},
            {"radiation.weeks"},
            "Needed when radiation is planned.",
        ),
        (
            {"radiation": {"planned": True}},
            {"radiation.weeks", "radiation.start_day"},
            "Needed when radiation is planned.",
        ),
        (
            {
                "radiation": {
                    "planned": True,
                    "start_day": 10,
                    "weeks": 2,
                    "minutes_per_session": 30,
                }
            },
            {"radiation.minutes_per_session"},
            "Minutes per session must be from 15 to 20 (the protocol's range).",
        ),
    ],
)
def test_the_api_refuses_a_plan_that_cannot_be_with_422_naming_the_fields(
    app, client, make_user, overrides, fields, message
):
    coordinator = make_user("coordinator")
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        headers = bearer_headers(client, coordinator)
        response = client.post(
            "/api/v1/patients", json=patient_body(**overrides), headers=headers
        )
    error = response.get_json()["error"]
    assert response.status_code == 422, error
    assert set(error["fields"]) == fields
    assert all(message in text for text in error["fields"].values())
    assert patient_count(app) == 0  # nothing was created


def test_minutes_default_to_the_protocol_and_a_patch_cannot_plan_a_blank_course(
    app, client, make_user
):
    coordinator = make_user("coordinator")
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        headers = bearer_headers(client, coordinator)
        created = client.post(
            "/api/v1/patients",
            json=patient_body(radiation={"planned": True, "start_day": 10, "weeks": 3}),
            headers=headers,
        ).get_json()
        assert created["radiation"]["minutes_per_session"] == 15
        plain = client.post(
            "/api/v1/patients",
            json=patient_body(
                mrn="PLAN-2",
                email="plain@mail.example.org",
                radiation={"planned": False},
            ),
            headers=headers,
        ).get_json()
        url = f"/api/v1/patients/{plain['id']}"
        refused = client.patch(
            url, json={"radiation": {"planned": True}}, headers=headers
        )
        assert refused.status_code == 422
        assert set(refused.get_json()["error"]["fields"]) == {
            "radiation.start_day",
            "radiation.weeks",
        }
        assert client.get(url, headers=headers).get_json()["radiation"]["planned"] is (
            False
        )
        benign = client.patch(url, json={"malignancy": "benign"}, headers=headers)
        assert benign.status_code == 422
        assert set(benign.get_json()["error"]["fields"]) == {"malignancy", "origin"}
        assert client.get(url, headers=headers).get_json()["malignancy"] == "malignant"
        timeline = client.get(f"{url}/timeline", headers=headers).get_json()
    sessions = [e for e in timeline["events"] if e["kind"] == "radiation_session"]
    assert sessions == []


def test_the_enrolment_and_plan_forms_explain_a_plan_that_cannot_be(
    app, browser, make_user, make_patient
):
    coordinator = make_user("coordinator")
    clinician = make_user("clinician")
    form = {
        "name": "Nina New",
        "email": "nina@mail.example.org",
        "mrn": "NEW-1",
        "date_of_birth": "1970-04-02",
        "timezone": "Europe/Oslo",
        "surgery_date": "2026-11-30",
        "procedure": "open_resection",
        "tumor_location": "epidural",
        "malignancy": "benign",
        "origin": "metastatic",
        "radiation_planned": "y",
        "radiation_start_day": "12",
    }
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        browser.login(coordinator)
        response = browser.submit("/patients/new", form)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'id="malignancy-error"' in html and 'id="origin-error"' in html
        assert "A metastatic tumour cannot be benign" in html
        assert 'id="radiation_weeks-error"' in html
        assert "Needed when radiation is planned." in html
        assert 'value="Nina New"' in html
        assert patient_count(app) == 0
        account = make_patient(clinician, coordinator)
        browser.logout()
        browser.login(clinician)
        url = f"/timeline/{account.patient_id}/plan"
        page = browser.submit(
            url,
            {
                "surgery_date": "2026-11-10",
                "radiation_planned": "y",
                "radiation_start_day": "10",
                "radiation_weeks": "2",
                "radiation_minutes_per_session": "45",
                "brace_weeks": "6",
            },
        )
        assert page.status_code == 400
        assert "Minutes per session must be from 15 to 20" in page.get_data(
            as_text=True
        )
    with app.app_context():
        assert not db.session.get(Patient, account.patient_id).radiation_planned


# -- the demo clinic ---------------------------------------------------------------


def test_the_demo_clinic_has_consistent_plans_and_clinic_holidays(app, runner):
    from config import DevelopmentConfig, demo_holidays
    from recovery.domain.plan import plan_problems
    from recovery.domain.timeline import radiation_dates
    from recovery.patients.contact import care_team_phone
    from recovery.timeline.services import parse_holidays, plan_for, protocol_for

    holidays = parse_holidays(demo_holidays(date(2026, 11, 26)))
    assert {date(2026, 11, 26), date(2026, 12, 25), date(2027, 1, 1)} <= holidays
    assert parse_holidays(DevelopmentConfig.CLINIC_HOLIDAYS)  # make run has some
    app.extensions["clinic_holidays"] = holidays
    try:
        with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
            result = runner.invoke(args=["demo", "seed"])
            assert result.exit_code == 0, result.output
            with app.test_request_context():
                patients = db.session.scalars(select(Patient)).all()
                moved = 0
                for patient in patients:
                    settings = protocol_for(patient).radiation
                    bounds = (settings.min_minutes, settings.max_minutes)
                    assert plan_problems(patient.plan(), bounds) == {}, patient.mrn
                    # Every demo patient has a care team line to call, not the
                    # clinic's fallback number.
                    phone = care_team_phone(patient)
                    assert phone.startswith("+1 312 555 01"), patient.mrn
                    assert phone != app.config["CLINIC_PHONE"]
                    sessions = [
                        e for e in patient.events if e.kind == "radiation_session"
                    ]
                    if patient.radiation_planned:
                        assert len(sessions) == 5 * patient.radiation_weeks
                        assert not {e.start_date for e in sessions} & holidays
                        plan = plan_for(patient)
                        open_every_day = replace(plan, holidays=frozenset())
                        # A course that meets a holiday ends later, as many sessions.
                        moved += (
                            radiation_dates(plan)[-1]
                            > radiation_dates(open_every_day)[-1]
                        )
                    else:
                        assert sessions == []
                assert moved, "no demo course meets a holiday"
    finally:
        app.extensions["clinic_holidays"] = frozenset()


# -- "pain up" opens a pain-management review -----------------------------------


def test_pain_rising_opens_a_pain_review_the_clinician_sees_on_their_schedule(
    app, client, browser, make_user, make_patient
):
    clinician = make_user("clinician")
    account = make_patient(clinician, surgery_date=date(2026, 11, 10))
    pid = account.patient_id
    with time_machine.travel("2026-11-10 12:00 +0000", tick=False):
        build(app, pid)
    for day in range(6, 13):  # a week of pain 2 before (16-22 November)
        log_on(app, pid, day, back_pain=2, surgery=date(2026, 11, 10))

    def rising_check_ins(start: str) -> list[str]:
        rules = []
        for hour in range(3):
            with time_machine.travel(
                datetime.fromisoformat(start) + timedelta(hours=hour), tick=False
            ):
                response = client.post(
                    f"/api/v1/patients/{pid}/symptoms",
                    json={"back_pain": 6},
                    headers=bearer_headers(client, account),
                )
                assert response.status_code == 201
                rules += [a["rule"] for a in response.get_json()["alerts"]]
        return rules

    def reviews():
        with app.app_context():
            return db.session.execute(
                select(
                    TimelineEvent.key,
                    TimelineEvent.start_date,
                    TimelineEvent.end_date,
                    TimelineEvent.status,
                )
                .where(
                    TimelineEvent.patient_id == pid,
                    TimelineEvent.item_id == "pain_review_rise",
                )
                .order_by(TimelineEvent.key)
            ).all()

    assert reviews() == []
    assert "back_pain_rising" in rising_check_ins("2026-11-23 15:00+00:00")
    assert reviews() == [
        ("pain_review_rise:0", date(2026, 11, 23), date(2026, 11, 26), "upcoming")
    ]
    with time_machine.travel("2026-11-24 15:00 +0000", tick=False):
        staff = Browser(app.test_client())
        staff.login(clinician)
        page = staff.client.get("/clinician/").get_data(as_text=True)
        assert "Pain-management review: your pain went up" in page
        # The patient's timeline says it too, and recompute keeps it.
        build(app, pid)
        timeline = client.get(
            f"/api/v1/patients/{pid}/timeline",
            headers=bearer_headers(client, account),
        ).get_json()
    rise = [e for e in timeline["events"] if e["key"] == "pain_review_rise:0"]
    assert rise and rise[0]["status"] == "due" and rise[0]["kind"] == "pain_review"
    # Still rising while the review is open: not opened twice.
    rising_check_ins("2026-11-24 18:00+00:00")
    assert len(reviews()) == 1
    # Once it is done, pain rising again opens another ("again whenever pain rises").
    with app.app_context():
        event = db.session.scalar(
            select(TimelineEvent).where(TimelineEvent.key == "pain_review_rise:0")
        )
        event.status = "done"
        db.session.commit()
    rising_check_ins("2026-11-25 15:00+00:00")
    assert [r.key for r in reviews()] == ["pain_review_rise:0", "pain_review_rise:1"]


# -- questionnaires: answered, not ticked ------------------------------------------


def _odi_event(app, patient_id: int, key: str = "odi:0") -> int:
    with app.app_context():
        return db.session.scalar(
            select(TimelineEvent.id).where(
                TimelineEvent.patient_id == patient_id, TimelineEvent.key == key
            )
        )


def test_a_questionnaire_cannot_be_ticked_done_without_answers(
    app, client, make_user, make_patient
):
    clinician = make_user("clinician")
    account = make_patient(clinician, surgery_date=date(2026, 11, 10))
    with time_machine.travel("2026-12-20 15:00 +0000", tick=False):
        build(app, account.patient_id)
        event_id = _odi_event(app, account.patient_id)
        for who in (account, clinician):
            response = client.post(
                f"/api/v1/patients/{account.patient_id}/events/{event_id}/complete",
                headers=bearer_headers(client, who),
            )
            assert response.status_code == 409
            assert "answered" in response.get_json()["error"]["message"]
        browser = Browser(app.test_client())
        browser.login(account)
        page = browser.client.get("/timeline/me").get_data(as_text=True)
        assert "Done once it is answered." in page
        assert 'aria-label="Mark done: Back questionnaire (ODI)"' not in page
        # The form's Done button, posted anyway, changes nothing.
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        token = token or re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', page
        )
        browser.client.post(
            f"/timeline/{account.patient_id}/events/{event_id}/complete",
            data={"csrf_token": token.group(1)},
        )
    with app.app_context():
        assert db.session.get(TimelineEvent, event_id).status == "upcoming"


def test_the_odi_needs_8_sections_and_shows_the_data_files_texts(
    app, make_user, make_patient
):
    from recovery.symptoms.models import QuestionnaireResponse

    clinician = make_user("clinician")
    account = make_patient(clinician, surgery_date=date(2026, 11, 10))
    with time_machine.travel("2026-12-20 15:00 +0000", tick=False):
        build(app, account.patient_id)
        browser = Browser(app.test_client())
        browser.login(account)
        page = browser.client.get("/symptoms/odi").get_data(as_text=True)
        # Section names and the neutral ends of each scale, from odi.toml.
        assert "1. Pain intensity" in page and "10. Travelling" in page
        assert "0 = No pain · 5 = The worst pain I can imagine" in page
        assert "answer at least 8 of the 10" in page
        seven = {f"q{n}": "2" for n in range(7)}
        refused = browser.submit("/symptoms/odi", seven)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400
        assert "Answer at least 8 of the 10 sections (you answered 7)." in html
        assert html.count('<input checked id="q') == 7  # what was chosen is kept
        with app.app_context():
            assert db.session.query(QuestionnaireResponse).count() == 0
        assert _status(app, account.patient_id, "odi:0") == "upcoming"
        eight = {f"q{n}": "2" for n in range(8)}
        done = browser.submit("/symptoms/odi", eight, follow_redirects=True)
        assert "Your score is 40 % (moderate disability)" in done.get_data(as_text=True)
    assert _status(app, account.patient_id, "odi:0") == "done"


def _status(app, patient_id: int, key: str) -> str:
    with app.app_context():
        return db.session.scalar(
            select(TimelineEvent.status).where(
                TimelineEvent.patient_id == patient_id, TimelineEvent.key == key
            )
        )


def test_a_clinic_can_load_its_licensed_odi_wording(
    app, make_user, make_patient, tmp_path
):
    from recovery.domain.questionnaire import ODI_FILE, load_odi

    text = ODI_FILE.read_text(encoding="utf-8").replace(
        'high = "The worst pain I can imagine"',
        'high = "The worst pain I can imagine"\n'
        'choices = ["L0", "L1", "L2", "L3", "L4", "Licensed five"]',
    )
    licensed = tmp_path / "odi.toml"
    licensed.write_text(text, encoding="utf-8")
    shipped = app.extensions["odi"]
    app.extensions["odi"] = load_odi(licensed)
    try:
        account = make_patient(make_user("clinician"))
        with time_machine.travel("2026-12-20 15:00 +0000", tick=False):
            browser = Browser(app.test_client())
            browser.login(account)
            page = browser.client.get("/symptoms/odi").get_data(as_text=True)
        assert "5 \N{EN DASH} Licensed five" in page
        assert "0 = No pain · 5" not in page  # the licensed texts replace the ends
        assert "0 = I manage on my own, as usual" in page  # other sections unchanged
    finally:
        app.extensions["odi"] = shipped


# -- the patient's pages: limits and education -----------------------------------


def test_home_and_timeline_pages_teach_what_applies_and_never_say_no_limits_early(
    app, make_user, make_patient
):
    clinician = make_user("clinician")
    account = make_patient(
        clinician, surgery_date=date(2026, 11, 10), procedure="open_resection"
    )
    with time_machine.travel("2026-11-10 12:00 +0000", tick=False):
        build(app, account.patient_id)
    browser = Browser(app.test_client())
    # Day 3: early recovery. Day 47: phase 3, visit not yet done. Day 60: done.
    with time_machine.travel("2026-11-13 15:00 +0000", tick=False):
        browser.login(account)
        home = browser.client.get("/patients/me").get_data(as_text=True)
        assert "Recovery and improvement usually take from 2 weeks to several" in home
        assert "You may need pain management during your recovery" in home
        assert "Watch for signs of infection" in home
        assert "blood loss" in home and "bladder or bowel" in home
        assert "call your care team now, or emergency services" in home
        assert "Call your care team: +1 312 555 0100" in home  # a tel: link
        assert "Why you have follow-up scans" not in home  # not yet
        assert "Bending or twisting" in home
    with time_machine.travel("2026-12-27 15:00 +0000", tick=False):
        browser.login(account)
        home = browser.client.get("/patients/me").get_data(as_text=True)
        timeline = browser.client.get("/timeline/me").get_data(as_text=True)
        for page in (home, timeline):
            assert "Why you have follow-up scans" in page
            assert "A spinal tumour can grow back and need treatment again" in page
            assert "Physical and occupational therapy" in page
        assert "Your surgeon decides at your 6-week visit" in home
        assert "Lifting more than 4.5 kg (10 lb)" in home  # phase 3 keeps the limits
        assert "No limits today" not in home
        assert "lifted your activity limits" not in home
        assert "until your surgeon lifts it" in timeline
    with app.app_context():
        db.session.execute(
            TimelineEvent.__table__.update()
            .where(
                TimelineEvent.patient_id == account.patient_id,
                TimelineEvent.item_id == "surgeon_visit",
            )
            .values(status="done")
        )
        db.session.commit()
    with time_machine.travel("2027-01-09 15:00 +0000", tick=False):
        browser.login(account)
        home = browser.client.get("/patients/me").get_data(as_text=True)
    assert "Your surgeon lifted your activity limits at your visit" in home
    assert "Lifting more than 4.5 kg (10 lb)" not in home


# -- start-up: every cadence and bound named when it cannot be --------------------


@pytest.mark.parametrize(
    ("overrides", "error", "named"),
    [
        (
            {"PHASE_SURVEILLANCE_FROM": "ninety"},
            RuntimeError,
            "PHASE_SURVEILLANCE_FROM",
        ),
        ({"PHASE_EARLY_RECOVERY_UNTIL": "100"}, RuntimeError, "PHASE_EARLY_RECOVERY"),
    ],
)
def test_bad_phase_settings_stop_start_up_naming_the_setting(overrides, error, named):
    from recovery import create_app

    with pytest.raises(error, match=named):
        create_app("testing", overrides=overrides)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("daily_until = 42", "daily_until = 420", "[check_in]: 'daily_until'"),
        ("minutes_per_session = [15, 20]", "minutes_per_session = 15", "[radiation]"),
        ('lifted_by = "surgeon_visit"', 'lifted_by = "wound_check"', "activity_3"),
    ],
)
def test_a_bad_cadence_or_limit_in_a_protocol_stops_start_up(tmp_path, old, new, named):
    from recovery import create_app
    from recovery.domain.protocol import PROTOCOL_DIR, ProtocolError

    for source in PROTOCOL_DIR.glob("*.toml"):
        (tmp_path / source.name).write_text(source.read_text())
    broken = tmp_path / "laminectomy.toml"
    text = broken.read_text()
    assert old in text
    broken.write_text(text.replace(old, new, 1))
    with pytest.raises(ProtocolError) as caught:
        create_app("testing", overrides={"PROTOCOL_DIR": str(tmp_path)})
    assert str(broken) in str(caught.value)
    assert named in str(caught.value)


def test_a_bad_odi_file_stops_start_up(tmp_path):
    from recovery import create_app
    from recovery.domain.questionnaire import QuestionnaireFileError

    bad = tmp_path / "odi.toml"
    bad.write_text('id = "odi"\ntitle = "ODI"\nmin_answered = 8\n', encoding="utf-8")
    with pytest.raises(QuestionnaireFileError, match=str(bad)):
        create_app("testing", overrides={"ODI_FILE": str(bad)})


@pytest.mark.parametrize(
    ("day", "asked"),
    [(0, True), (42, True), (43, False), (84, True), (85, False), (75, True)],
)
def test_the_check_in_is_asked_on_the_days_of_the_cadence(
    app, make_user, make_patient, day, asked
):
    from recovery.timeline.services import check_in_asked_on

    account = make_patient(make_user("clinician"), surgery_date=SURGERY)
    with time_machine.travel("2026-08-03 12:00 +0000", tick=False):
        build(app, account.patient_id)
        with app.test_request_context():
            patient = db.session.get(Patient, account.patient_id)
            # Day 75: the second day before the benign MRI window opens (day 77).
            assert check_in_asked_on(patient, SURGERY + timedelta(days=day)) is asked


def test_the_open_ended_phase_is_one_day_in_the_calendar_and_flagged_in_the_api(
    app, client, make_user, make_patient
):
    account = make_patient(make_user("clinician"), surgery_date=date(2026, 11, 10))
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        build(app, account.patient_id)
        headers = bearer_headers(client, account)
        ics = client.get(
            f"/api/v1/patients/{account.patient_id}/calendar.ics", headers=headers
        ).get_data(as_text=True)
        timeline = client.get(
            f"/api/v1/patients/{account.patient_id}/timeline", headers=headers
        ).get_json()
    (block,) = [b for b in ics.split("BEGIN:VEVENT") if "activity_3:0@recovery" in b]
    assert "DTSTART;VALUE=DATE:20261223" in block
    assert "DTEND;VALUE=DATE:20261224" in block
    phase3 = next(e for e in timeline["events"] if e["key"] == "activity_3:0")
    assert phase3["open_ended"] is True
    assert "Bending or twisting" in phase3["not_allowed"]
