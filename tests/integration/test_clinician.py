"""Clinicians: schedule and its feed, sign-off, notes, recurrence, audit trail."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.notes.models import ClinicalNote
from recovery.patients.models import Patient
from recovery.reminders.models import Reminder
from recovery.timeline.models import Episode, TimelineEvent
from tests.conftest import Browser, csrf_from
from tests.integration.test_cohort import build_timeline

NOW = "2026-11-26 15:00 +0000"
# Every test runs at NOW, frozen: fixtures, logins and requests alike.
pytestmark = pytest.mark.travel(NOW)
INSTANT = datetime(2026, 11, 26, 15, tzinfo=UTC)


@pytest.fixture
def team(app, make_user, make_patient):
    """A clinician's two patients (Chicago, Auckland), and someone else's."""
    clinician = make_user("clinician", name="Dr Ada")
    coordinator = make_user("coordinator", name="Cora")
    chicago = make_patient(
        clinician,
        coordinator,
        name="Chi Cago",
        surgery_date=date(2026, 11, 16),
        radiation_planned=True,
        radiation_start_day=10,
        radiation_weeks=2,
    )
    auckland = make_patient(
        clinician,
        name="Auck Land",
        timezone="Pacific/Auckland",
        surgery_date=date(2026, 10, 1),
    )
    other = make_patient(make_user("clinician"), name="Not Mine")
    for account in (chicago, auckland, other):
        build_timeline(app, account.patient_id)
    return {
        "clinician": clinician,
        "coordinator": coordinator,
        "chicago": chicago,
        "auckland": auckland,
        "other": other,
    }


def events_of(app, patient_id: int, episode: int | None = None) -> list[TimelineEvent]:
    with app.app_context():
        query = select(TimelineEvent).where(TimelineEvent.patient_id == patient_id)
        if episode is not None:
            query = query.where(TimelineEvent.episode == episode)
        rows = db.session.scalars(
            query.order_by(TimelineEvent.start_date, TimelineEvent.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def audits(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def schedule(browser, query: str = "") -> tuple[int, str]:
    response = browser.client.get(f"/clinician/?{query}")
    return response.status_code, response.get_data(as_text=True)


# -- The schedule ----------------------------------------------------------


def test_schedule_lists_open_items_of_own_patients_by_week(app, browser, team):
    browser.login(team["clinician"])
    status, html = schedule(browser)
    assert status == 200
    assert "Chi Cago" in html and "Auck Land" in html
    assert "Not Mine" not in html
    # Day 10 after 16 Nov is Thursday 26 Nov: radiation starts this week.
    this_week = html[html.index("This week") : html.index("Week of")]
    assert "<strong>Radiation starts" in this_week
    # Only the first and last of the ten sessions are listed.
    table = html[html.index('<section class="week"') : html.index('id="feed"')]
    assert table.count("<strong>Radiation starts") == 1
    assert table.count("<strong>Radiation ends") == 1
    assert table.count("<strong>Radiation") == 2
    # Auckland's items from October are past their window and not done: overdue.
    overdue = html[html.index("Overdue") : html.index("This week")]
    assert "Auck Land" in overdue
    weeks = [html.index(label) for label in ("Overdue", "This week", "Week of")]
    assert weeks == sorted(weeks)


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("kind=imaging", ["Imaging"], ["Radiation starts", "Wound check"]),
        ("kind=radiation_start", ["Radiation starts"], ["Radiation ends", "Imaging"]),
        ("kind=radiation_end", ["Radiation ends"], ["Radiation starts"]),
        ("kind=wound_check", ["Wound check"], ["Imaging", "Radiation"]),
    ],
)
def test_schedule_filter_by_kind(browser, team, query, present, absent):
    browser.login(team["clinician"])
    status, html = schedule(browser, query + "&weeks=26")
    table = html[html.index('<section class="week"') : html.index('id="feed"')]
    assert status == 200
    for text in present:
        assert f"<strong>{text}" in table
    for text in absent:
        assert f"<strong>{text}" not in table


def test_schedule_filter_by_patient_and_weeks(browser, team):
    browser.login(team["clinician"])
    pid = team["auckland"].patient_id
    _, html = schedule(browser, f"patient_id={pid}&weeks=26")
    table = html[html.index('<section class="week"') : html.index('id="feed"')]
    assert "Auck Land" in table and "Chi Cago" not in table
    _, short = schedule(browser, "weeks=1")
    _, long = schedule(browser, "weeks=26")
    assert short.count('class="kind-') < long.count('class="kind-')


def test_schedule_filter_on_someone_elses_patient_shows_nothing(browser, team):
    browser.login(team["clinician"])
    _, html = schedule(browser, f"patient_id={team['other'].patient_id}")
    assert "Not Mine</a>" not in html
    assert "Nothing overdue or due in this period." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=surgery", "Choose one of the listed kinds."),
        ("weeks=99", "Weeks ahead must be from 1 to 26."),
        ("patient_id=abc", "Choose a patient from the list."),
    ],
)
def test_schedule_explains_bad_filters(browser, team, query, message):
    browser.login(team["clinician"])
    status, html = schedule(browser, query)
    assert status == 400
    assert message in html


def test_printable_schedule_has_the_items_without_the_app_chrome(browser, team):
    browser.login(team["clinician"])
    html = browser.client.get("/clinician/print?kind=radiation_start").get_data(
        as_text=True
    )
    assert "Radiation starts" in html and "Chi Cago" in html
    assert "Log out" not in html and "<form" not in html
    assert "print.css" in html


def test_patients_cannot_open_the_schedule(browser, team):
    browser.login(team["chicago"])
    assert browser.client.get("/clinician/").status_code == 403


# -- The calendar feed -----------------------------------------------------


def feed_address(browser) -> str:
    page = browser.client.get("/clinician/")
    response = browser.client.post(
        "/clinician/feed",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "action": "on"},
    )
    assert response.status_code == 302
    html = browser.client.get("/clinician/").get_data(as_text=True)
    marker = 'id="feed-url" type="text" readonly value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_feed_has_one_event_per_item_on_the_patients_own_days(app, browser, team):
    browser.login(team["clinician"])
    url = feed_address(browser)
    path = url.removeprefix("http://localhost")
    response = browser.client.get(path)
    page = browser.client.get("/clinician/?weeks=26").get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-TIMEZONE"]) == app.config["CLINIC_TIMEZONE"]
    vevents = calendar.walk("VEVENT")
    # The same items as the 26-week schedule page.
    assert len(vevents) == page.count('class="kind-')
    assert len({str(v["UID"]) for v in vevents}) == len(vevents)
    by_uid = {str(v["UID"]): v for v in vevents}
    for event in events_of(app, team["auckland"].patient_id):
        uid = f"recovery-schedule-{event.id}@recovery"
        if uid in by_uid:
            vevent = by_uid[uid]
            # All-day: the patient's calendar day, with no shift by any zone.
            assert vevent.decoded("DTSTART") == event.start_date
            assert vevent.decoded("DTEND") == event.end_date + timedelta(days=1)
            assert "Auck Land" not in str(vevent["SUMMARY"])
            assert "MRN-" in str(vevent["SUMMARY"])
    assert any(
        "Radiation starts" in str(v["SUMMARY"]) for v in vevents
    )  # the data holds every kind of row


def test_feed_is_audited_and_can_be_switched_off(app, browser, team):
    browser.login(team["clinician"])
    path = feed_address(browser).removeprefix("http://localhost")
    assert browser.client.get(path).status_code == 200
    (read,) = audits(app, "read_schedule_feed")
    assert read.actor_id == team["clinician"].id
    assert set(read.details["patient_ids"]) == {
        team["chicago"].patient_id,
        team["auckland"].patient_id,
    }
    page = browser.client.get("/clinician/")
    browser.client.post(
        "/clinician/feed",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "action": "off"},
    )
    assert browser.client.get(path).status_code == 404
    assert browser.client.get("/clinician/feed/not-a-token.ics").status_code == 404


# -- Sign-off ---------------------------------------------------------------


def first_of(app, patient_id: int, kind: str) -> TimelineEvent:
    return next(e for e in events_of(app, patient_id) if e.kind == kind)


def test_sign_off_is_audited_and_coordinators_see_it(app, browser, team):
    pid = team["chicago"].patient_id
    wound = first_of(app, pid, "wound_check")
    browser.login(team["clinician"])
    response = browser.submit(
        f"/timeline/{pid}/events/{wound.id}/review",
        {"note": "Healing well on photo"},
        form_url=f"/patients/{pid}",
    )
    assert response.status_code == 302
    (row,) = audits(app, "review_event")
    assert row.details["before"]["reviewed_at"] is None
    assert row.details["after"]["review_note"] == "Healing well on photo"
    assert row.details["after"]["reviewed_by_id"] == team["clinician"].id
    coordinator = Browser(app.test_client())
    coordinator.login(team["coordinator"])
    html = coordinator.client.get(f"/patients/{pid}").get_data(as_text=True)
    assert "Reviewed 26 Nov 2026 by Dr Ada: Healing well on photo" in html


def test_coordinators_cannot_sign_off(app, browser, team):
    pid = team["chicago"].patient_id
    wound = first_of(app, pid, "wound_check")
    browser.login(team["coordinator"])
    response = browser.submit(
        f"/timeline/{pid}/events/{wound.id}/review", {"note": "x"}, form_url="/cohorts/"
    )
    assert response.status_code == 403
    assert first_of(app, pid, "wound_check").reviewed_at is None


# -- Notes -----------------------------------------------------------------


def add_note(browser, pid: int, body: str):
    return browser.submit(
        f"/patients/{pid}/notes", {"body": body}, form_url=f"/patients/{pid}"
    )


def only_note(app) -> ClinicalNote:
    with app.app_context():
        (note,) = db.session.scalars(
            select(ClinicalNote).where(ClinicalNote.corrects_id.is_(None))
        ).all()
        db.session.expunge_all()
        return note


def test_note_shows_author_and_time_and_is_audited(app, browser, team):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    add_note(browser, pid, "Discussed brace use.\nReturns in 2 weeks.")
    html = browser.client.get(f"/patients/{pid}").get_data(as_text=True)
    assert "Dr Ada</strong>" in html
    assert "26 Nov 2026 15:00 UTC" in html
    assert "Discussed brace use.\nReturns in 2 weeks." in html
    (row,) = audits(app, "add_note")
    assert row.patient_id == pid and row.actor_id == team["clinician"].id


def test_author_may_edit_within_24_hours_and_the_edit_keeps_before_and_after(
    app, browser, team, clock
):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    add_note(browser, pid, "Pain 6/10")
    note = only_note(app)
    clock.move_to(INSTANT + timedelta(hours=23))
    browser.login(team["clinician"])  # the session ended after 12 idle hours
    response = browser.submit(
        f"/patients/{pid}/notes/{note.id}/edit", {"body": "Pain 5/10"}
    )
    assert response.status_code == 302
    assert only_note(app).body == "Pain 5/10"
    (row,) = audits(app, "edit_note")
    assert row.details == {
        "before": {"body": "Pain 6/10"},
        "after": {"body": "Pain 5/10"},
    }


def test_notes_cannot_be_changed_after_24_hours_only_corrected(
    app, browser, team, clock
):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    add_note(browser, pid, "Pain 6/10")
    note = only_note(app)
    clock.move_to(INSTANT + timedelta(hours=24, minutes=1))
    browser.login(team["clinician"])
    response = browser.submit(
        f"/patients/{pid}/notes/{note.id}/edit", {"body": "Pain 2/10"}
    )
    assert response.status_code == 409
    assert "Notes cannot be changed after 24 hours" in response.get_data(as_text=True)
    browser.submit(
        f"/patients/{pid}/notes/{note.id}/correct",
        {"body": "Pain was 2/10, not 6/10."},
        form_url=f"/patients/{pid}",
    )
    html = browser.client.get(f"/patients/{pid}").get_data(as_text=True)
    assert only_note(app).body == "Pain 6/10"  # the original stands
    assert audits(app, "edit_note") == []
    assert "Pain 6/10" in html
    assert (
        "Correction</strong> by Dr Ada" in html and "Pain was 2/10, not 6/10." in html
    )
    assert f"/notes/{note.id}/edit" not in html  # no edit link any more


def test_only_the_author_may_edit_a_note(app, browser, team, clock):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    add_note(browser, pid, "Pain 6/10")
    note = only_note(app)
    other = Browser(app.test_client())
    other.login(team["coordinator"])
    clock.move_to(INSTANT + timedelta(hours=1))
    response = other.submit(
        f"/patients/{pid}/notes/{note.id}/edit", {"body": "Pain 1/10"}
    )
    assert response.status_code == 409
    assert only_note(app).body == "Pain 6/10"


def test_a_note_cannot_be_empty(app, browser, team):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    add_note(browser, pid, "   ")
    with app.app_context():
        assert db.session.scalars(select(ClinicalNote)).all() == []


# -- Recurrence ---------------------------------------------------------------


def test_recurrence_keeps_the_old_timeline_and_builds_a_new_one(app, browser, team):
    pid = team["auckland"].patient_id
    before = events_of(app, pid)
    done = before[0]
    with app.app_context():
        db.session.get(TimelineEvent, done.id).status = "done"
        db.session.commit()
    browser.login(team["clinician"])
    response = browser.submit(
        f"/timeline/{pid}/recurrence",
        {
            "reason": "Tumor regrowth: repeat removal",
            "surgery_date": "2026-12-07",
            "procedure": "open_resection",
            "radiation_planned": "y",
            "radiation_start_day": "12",
            "radiation_weeks": "2",
            "radiation_minutes_per_session": "15",
            "brace_weeks": "6",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    old = events_of(app, pid, episode=1)
    new = events_of(app, pid, episode=2)
    # The old timeline is all still there: what was done stays done, the rest
    # is cancelled; nothing was moved.
    assert [(e.id, e.start_date) for e in old] == [(e.id, e.start_date) for e in before]
    assert next(e for e in old if e.id == done.id).status == "done"
    assert {e.status for e in old if e.id != done.id} == {"cancelled"}
    # The new one follows the new plan.
    assert new and all(e.key.startswith("e2/") for e in new)
    sessions = [e for e in new if e.kind == "radiation_session"]
    assert len(sessions) == 10 and sessions[0].start_date >= date(2026, 12, 19)
    with app.app_context():
        patient = db.session.get(Patient, pid)
        assert (patient.episode, patient.surgery_date) == (2, date(2026, 12, 7))
        assert {e.episode for e in patient.events} == {2}
        (episode,) = db.session.scalars(select(Episode)).all()
        assert (episode.number, episode.surgery_date) == (1, date(2026, 10, 1))
        assert episode.plan["procedure"] == "partial_laminectomy"
        # No reminder of the old episode is left to go out.
        old_ids = [e.id for e in old]
        pending = db.session.scalars(
            select(Reminder).where(
                Reminder.event_id.in_(old_ids), Reminder.status == "pending"
            )
        ).all()
        assert pending == []
    (row,) = audits(app, "start_episode")
    assert (
        row.details["before"]["episode"] == 1 and row.details["after"]["episode"] == 2
    )
    assert row.details["before"]["surgery_date"] == "2026-10-01"
    assert row.details["after"]["surgery_date"] == "2026-12-07"
    # The old episode stays readable.
    html = browser.client.get(f"/timeline/{pid}/episodes/1").get_data(as_text=True)
    assert "episode 1" in html and "Tumor regrowth: repeat removal" in html
    assert html.count("<tr class=") == len(old)


def test_recomputing_after_a_recurrence_leaves_the_old_episode_alone(
    app, browser, team
):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    browser.submit(
        f"/timeline/{pid}/recurrence",
        {"reason": "Regrowth", "surgery_date": "2026-12-07", "procedure": "biopsy"},
    )
    old = [(e.id, e.status, e.start_date) for e in events_of(app, pid, episode=1)]
    browser.submit(
        f"/timeline/{pid}/plan",
        {"surgery_date": "2026-12-09"},
        form_url=f"/timeline/{pid}/plan",
    )
    assert [
        (e.id, e.status, e.start_date) for e in events_of(app, pid, episode=1)
    ] == old
    new = events_of(app, pid, episode=2)
    assert min(e.start_date for e in new if e.status != "cancelled") >= date(
        2026, 11, 25
    )


# -- Extra events ---------------------------------------------------------------


def test_extra_imaging_is_added_audited_and_kept_when_the_plan_changes(
    app, browser, team
):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    response = browser.submit(
        f"/timeline/{pid}/events/new",
        {
            "kind": "imaging",
            "title": "Extra MRI: new leg numbness",
            "start_date": "2026-12-10",
            "end_date": "2026-12-10",
            "instructions": "Bring your previous scans.",
        },
    )
    assert response.status_code == 302
    (extra,) = [e for e in events_of(app, pid) if e.title.startswith("Extra MRI")]
    assert extra.overridden and extra.kind == "imaging"
    (row,) = audits(app, "add_event")
    assert row.details["before"] == {}
    assert row.details["after"]["start_date"] == "2026-12-10"
    with app.app_context():
        reminders = db.session.scalars(
            select(Reminder).where(Reminder.event_id == extra.id)
        ).all()
        assert {r.rule for r in reminders} == {"week_before", "day_before"}
    browser.submit(
        f"/timeline/{pid}/plan",
        {"surgery_date": "2026-11-18", "radiation_planned": "y"},
        form_url=f"/timeline/{pid}/plan",
    )
    (still,) = [e for e in events_of(app, pid) if e.id == extra.id]
    assert (still.start_date, still.status) == (date(2026, 12, 10), "upcoming")
    _, html = schedule(browser, "kind=imaging")
    assert "Extra MRI: new leg numbness" in html


def test_only_imaging_or_visits_can_be_added(app, browser, team):
    pid = team["chicago"].patient_id
    browser.login(team["clinician"])
    response = browser.submit(
        f"/timeline/{pid}/events/new",
        {
            "kind": "radiation_session",
            "title": "x",
            "start_date": "2026-12-03",
            "end_date": "2026-12-03",
        },
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


# -- Every change audited with before and after ------------------------------


def test_every_change_of_plan_or_event_records_before_and_after(app, browser, team):
    pid = team["chicago"].patient_id
    event = first_of(app, pid, "wound_check")
    browser.login(team["clinician"])
    browser.submit(
        f"/timeline/{pid}/plan",
        {
            "surgery_date": "2026-11-17",
            "radiation_planned": "y",
            "radiation_start_day": "14",
            "radiation_weeks": "2",
            "radiation_minutes_per_session": "15",
        },
        form_url=f"/timeline/{pid}/plan",
    )
    browser.submit(
        f"/timeline/{pid}/events/{event.id}/edit",
        {
            "start_date": "2026-12-01",
            "end_date": "2026-12-02",
            "title": "Wound check at the clinic",
            "instructions": "",
        },
    )
    browser.submit(
        f"/timeline/{pid}/events/{event.id}/complete",
        {},
        form_url=f"/patients/{pid}",
    )
    changes = {
        row.action: row.details
        for action in ("update_patient", "override_event", "complete_event")
        for row in audits(app, action)
    }
    assert changes["update_patient"]["before"] == {
        "surgery_date": "2026-11-16",
        "radiation_start_day": 10,
    }
    assert changes["update_patient"]["after"] == {
        "surgery_date": "2026-11-17",
        "radiation_start_day": 14,
    }
    assert changes["override_event"]["before"]["title"] != "Wound check at the clinic"
    assert changes["override_event"]["after"]["title"] == "Wound check at the clinic"
    assert changes["override_event"]["after"]["start_date"] == "2026-12-01"
    assert changes["complete_event"] == {
        "before": {"status": "upcoming"},
        "after": {"status": "done"},
    }


# -- Care-team scope ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/patients/{pid}/notes"),
        ("get", "/timeline/{pid}/recurrence"),
        ("get", "/timeline/{pid}/events/new"),
        ("get", "/timeline/{pid}/episodes/1"),
    ],
)
def test_clinician_outside_the_care_team_gets_403_and_it_is_audited(
    app, browser, team, make_user, method, path
):
    outsider = make_user("clinician")
    pid = team["chicago"].patient_id
    browser.login(outsider)
    url = path.format(pid=pid)
    if method == "post":
        token = csrf_from(browser.client.get("/clinician/").get_data(as_text=True))
        response = browser.client.post(url, data={"csrf_token": token, "body": "x"})
    else:
        response = browser.client.get(url)
    assert response.status_code == 403
    (row,) = audits(app, "access_denied")
    assert (row.actor_id, row.patient_id) == (outsider.id, pid)
    with app.app_context():
        assert db.session.scalars(select(ClinicalNote)).all() == []


# -- The audit log ---------------------------------------------------------------


def test_admin_views_filters_and_exports_the_audit_log(app, browser, team, make_user):
    pid = team["chicago"].patient_id
    clinician = Browser(app.test_client())
    clinician.login(team["clinician"])
    clinician.client.get(f"/patients/{pid}")
    clinician.client.get(f"/patients/{team['auckland'].patient_id}")
    browser.login(make_user("admin"))
    html = browser.client.get(
        f"/admin/audit?actor={team['clinician'].email}&patient_id={pid}"
    ).get_data(as_text=True)
    table = html[html.index("<tbody>") :]
    assert "view_patient" in table and team["clinician"].email in table
    assert f">{team['auckland'].patient_id}</a>" not in table
    response = browser.client.get(
        f"/admin/audit.csv?action=view_patient&patient_id={pid}"
    )
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and {r["action"] for r in rows} == {"view_patient"}
    assert {r["patient_id"] for r in rows} == {str(pid)}
    assert rows[0]["actor_email"] == team["clinician"].email
    assert rows[0]["ip"] == "127.0.0.1"
    assert audits(app, "export_audit_log")[0].details["filters"] == {
        "action": "view_patient",
        "patient_id": str(pid),
    }


def test_audit_log_is_for_admins_only_and_explains_bad_filters(
    browser, team, make_user
):
    browser.login(team["clinician"])
    assert browser.client.get("/admin/audit").status_code == 403
    admin = make_user("admin")
    browser.logout()
    browser.login(admin)
    response = browser.client.get(
        "/admin/audit?patient_id=abc&since=2026-12-01&until=2026-11-01"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a valid integer value." in html
    assert "Must not be before the start date." in html


def test_patients_see_who_viewed_their_record(app, browser, team):
    pid = team["chicago"].patient_id
    clinician = Browser(app.test_client())
    clinician.login(team["clinician"])
    clinician.client.get(f"/patients/{pid}")
    clinician.client.get(f"/patients/{team['auckland'].patient_id}")
    browser.login(team["chicago"])
    browser.client.get("/patients/me")  # their own reads are not listed
    html = browser.client.get("/patients/me/access").get_data(as_text=True)
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    assert "Dr Ada <small>(clinician)</small>" in rows
    assert "opened your record" in rows
    assert rows.count("<tr>") == 1  # only the clinician's one read of this record
    assert "Auck Land" not in html
    staff = Browser(app.test_client())
    staff.login(team["clinician"])
    assert staff.client.get("/patients/me/access").status_code == 403


def test_a_long_schedule_comes_in_pages(app, browser, make_user, make_patient):
    clinician = make_user("clinician")
    for n in range(8):
        account = make_patient(clinician, surgery_date=date(2026, 11, 2 + n))
        build_timeline(app, account.patient_id)
    browser.login(clinician)
    _, first = schedule(browser, "weeks=26")
    total = int(
        first.split(" items of your patients")[0].rsplit(">", 1)[-1].split()[-1]
    )
    assert total > 100
    assert first.count('class="kind-') == 100
    # The count decides "item" or "items", not the page number.
    assert f"Page 1 of 2 · {total} items, 100 a page" in first
    _, second = schedule(browser, "weeks=26&page=2")
    assert second.count('class="kind-') == total - 100
    ids = lambda html: set(re.findall(r'id="review-(\d+)"', html))  # noqa: E731
    assert not ids(first) & ids(second)
    # Every page, even one past the end, tells the same total.
    status, past = schedule(browser, "weeks=26&page=3")
    assert status == 200 and past.count('class="kind-') == 0
    for html in (second, past):
        assert f"{total} items of your patients" in html
