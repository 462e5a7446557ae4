"""Reminders through the real stack: planning, dispatch, channels, the scheduler."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from recovery.auth.models import User
from recovery.extensions import db
from recovery.notify.channels import EmailChannel, InAppChannel
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders import dispatch as reminder_dispatch
from recovery.reminders.dispatch import (
    DispatchResult,
    claim,
    dispatch_due,
    load_messages,
    send_claimed,
)
from recovery.reminders.models import Reminder, ReminderDelivery
from recovery.scheduler import JOBS, create_scheduler, plan_ahead, start_in_process
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers
from tests.integration.test_smtp import smtp_server  # noqa: F401 - a fixture

NY = ZoneInfo("America/New_York")


class Counting:
    """A channel that counts what it was asked to send (thread-safe)."""

    transactional = False  # an outside service, like email

    def __init__(self, fail_on: int | None = None, die_on: int | None = None):
        self.sent: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.fail_on = fail_on
        self.die_on = die_on

    def send(self, message):
        with self.lock:
            self.sent[message.reminder_id] += 1
            calls = sum(self.sent.values())
        if self.die_on is not None and calls == self.die_on:
            raise SystemExit("dispatcher killed mid-send")
        if self.fail_on is not None:
            raise ConnectionError("smtp down")


def both(channel):
    return {"in_app": channel, "email": channel}


@pytest.fixture
def radiation_patient(app, make_user, make_patient):
    """Surgery 20 Oct 2026 in New York, radiation from day 10 for 2 weeks."""
    coordinator = make_user("coordinator")
    account = make_patient(
        coordinator,
        surgery_date=date(2026, 10, 20),
        timezone="America/New_York",
        radiation_planned=True,
        radiation_start_day=10,
        radiation_weeks=2,
    )
    with (
        time_machine.travel("2026-10-19 12:00 +0000", tick=False),
        app.test_request_context(),
    ):
        recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
        db.session.commit()
    return account, coordinator


def reminders(app, **where):
    with app.app_context():
        query = select(Reminder).order_by(Reminder.send_at, Reminder.id)
        for key, value in where.items():
            query = query.where(getattr(Reminder, key) == value)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def test_enrolment_plans_reminders_at_local_times(app, radiation_patient):
    account, _ = radiation_patient
    rows = reminders(app, patient_id=account.patient_id, channel="in_app")
    by_rule = {}
    for row in rows:
        by_rule.setdefault(row.rule, []).append(row.send_at.astimezone(NY))
    assert {t.time() for t in by_rule["check_in"]} == {time(8, 0)}
    # The check-in is asked from the day of surgery (day 0).
    assert by_rule["check_in"][0].date() == date(2026, 10, 20)
    # Radiation from day 10 = Friday 30 October: the evening before and the morning of.
    assert by_rule["evening_before"][0].replace(tzinfo=None) == datetime(
        2026, 10, 29, 18, 0
    )
    assert by_rule["morning_of"][0].replace(tzinfo=None) == datetime(
        2026, 10, 30, 7, 30
    )
    assert all(
        r.send_at <= datetime(2026, 10, 19, 12, tzinfo=UTC) + timedelta(days=14)
        for r in rows
    )
    assert {r.channel for r in reminders(app, patient_id=account.patient_id)} == {
        "in_app",
        "email",
    }


def test_moving_the_surgery_date_replans_pending_reminders(
    app, client, radiation_patient
):
    account, coordinator = radiation_patient
    with time_machine.travel("2026-10-19 13:00 +0000", tick=False):
        headers = bearer_headers(client, coordinator)
        response = client.patch(
            f"/api/v1/patients/{account.patient_id}",
            json={"surgery_date": "2026-10-27"},
            headers=headers,
        )
        assert response.status_code == 200
        listed = client.get(
            f"/api/v1/patients/{account.patient_id}/reminders", headers=headers
        )
    pending = [
        r
        for r in listed.get_json()
        if r["status"] == "pending" and r["rule"] == "check_in"
    ]
    first = min(datetime.fromisoformat(r["send_at"]) for r in pending)
    assert first.astimezone(NY).date() == date(2026, 10, 27)  # day 0 of the new date
    cancelled = [r for r in listed.get_json() if r["status"] == "cancelled"]
    assert any(r["rule"] == "evening_before" for r in cancelled)


def test_completing_an_event_cancels_its_pending_reminders(
    app, client, radiation_patient
):
    account, coordinator = radiation_patient
    with app.app_context():
        session_id = db.session.scalar(
            select(TimelineEvent.id).where(
                TimelineEvent.patient_id == account.patient_id,
                TimelineEvent.key == "radiation:0",
            )
        )
    with time_machine.travel("2026-10-19 13:00 +0000", tick=False):
        headers = bearer_headers(client, coordinator)
        url = f"/api/v1/patients/{account.patient_id}/events/{session_id}/complete"
        assert client.post(url, headers=headers).status_code == 200
    statuses = {r.status for r in reminders(app, event_id=session_id)}
    assert statuses == {"cancelled"}


def test_dispatch_sends_due_in_app_reminders_to_the_inbox(app, radiation_patient):
    account, _ = radiation_patient
    with time_machine.travel("2026-10-21 12:01 +0000", tick=False):
        with app.app_context():
            result = dispatch_due(
                {"in_app": InAppChannel(), "email": Counting()}, utcnow()
            )
        assert result.sent == 2  # the first check-in, on both channels
        browser = Browser(app.test_client())
        browser.login(account)
        home = browser.client.get("/patients/me").get_data(as_text=True)
        assert 'aria-label="1 unread"' in home
        inbox = browser.client.get("/reminders/inbox").get_data(as_text=True)
        assert "Time for your symptom check-in" in inbox
        assert 'aria-label="1 unread"' not in browser.client.get(
            "/patients/me"
        ).get_data(as_text=True)


def test_a_second_dispatch_sends_nothing_again(app, radiation_patient):
    channel = Counting()
    with time_machine.travel("2026-10-21 12:01 +0000", tick=False), app.app_context():
        dispatch_due(both(channel), utcnow())
        dispatch_due(both(channel), utcnow())
    assert set(channel.sent.values()) == {1}


def test_email_reaches_a_real_smtp_server_without_clinical_details(
    app,
    radiation_patient,
    smtp_server,  # noqa: F811 - the fixture imported above
):
    account, _ = radiation_patient
    with time_machine.travel("2026-10-29 22:01 +0000", tick=False), app.app_context():
        db.session.execute(select(Reminder))
        result = dispatch_due(
            {"in_app": InAppChannel(), "email": EmailChannel()}, utcnow()
        )
    assert result.failed == 0 and result.retried == 0
    mails = [message_from_bytes(e.original_content) for e in smtp_server.messages]
    assert mails, "no email arrived"
    assert all(e.rcpt_tos == [account.email] for e in smtp_server.messages)
    bodies = " ".join(
        part.get_payload(decode=True).decode()
        for mail in mails
        for part in mail.walk()
        if not part.is_multipart()
    )
    assert "Radiation" not in bodies  # details only when the patient opts in
    assert "You have a new message in Recovery" in bodies


def test_smtp_down_retries_then_fails_and_nothing_is_lost(app, radiation_patient):
    _, coordinator = radiation_patient
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9)
    from recovery.extensions import mail

    mail.init_app(app)
    try:
        start = datetime(2026, 10, 21, 12, 1, tzinfo=UTC)
        with app.app_context():
            for minutes in (0, 1, 3, 7, 15):
                result = dispatch_due(
                    {"in_app": InAppChannel(), "email": EmailChannel()},
                    start + timedelta(minutes=minutes),
                )
                assert result.errors or result.sent == 0
    finally:
        app.config.update(MAIL_BACKEND="locmem")
        mail.init_app(app)
    first_day = "2026-10-21"  # retries move send_at; the key keeps the day
    emails = [
        r
        for r in reminders(app, rule="check_in", channel="email")
        if r.dedupe_key.endswith(first_day)
    ]
    assert [(r.status, r.attempts) for r in emails] == [("failed", 5)]
    assert (
        "ConnectionRefusedError" in emails[0].last_error
        or "Errno" in emails[0].last_error
    )
    in_app = [
        r
        for r in reminders(app, rule="check_in", channel="in_app")
        if r.dedupe_key.endswith(first_day)
    ]
    assert [r.status for r in in_app] == ["sent"]
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        browser = Browser(app.test_client())
        browser.login(coordinator)
        page = browser.client.get("/cohorts/").get_data(as_text=True)
    # The failed email, and the day-0 check-in (both channels) that expired while
    # dispatch first ran a day late.
    assert "Reminders that did not go out (3)" in page


def test_reminders_long_overdue_expire_instead_of_spamming(app, radiation_patient):
    channel = Counting()
    # The scheduler was down from 20 to 23 October.
    with app.app_context():
        result = dispatch_due(both(channel), datetime(2026, 10, 23, 12, 30, tzinfo=UTC))
    assert result.expired == 6  # check-ins of 20, 21 and 22 October, both channels
    assert result.sent == 2  # 23 October at 08:00 local is 30 minutes ago: still sent
    assert {
        r.status
        for r in reminders(app, rule="check_in")
        if r.send_at.day in (20, 21, 22)
    } == {"expired"}


def test_urgent_symptom_alert_reaches_the_care_team_in_one_dispatch(
    app, client, radiation_patient
):
    account, coordinator = radiation_patient
    with time_machine.travel("2026-10-22 15:00 +0000", tick=False):
        headers = bearer_headers(client, account)
        client.post(
            f"/api/v1/patients/{account.patient_id}/symptoms",
            json={"back_pain": 5, "saddle_numbness": True},
            headers=headers,
        )
        channel = Counting()
        with app.app_context():
            dispatch_due({"in_app": InAppChannel(), "email": channel}, utcnow())
        staff = [r for r in reminders(app, user_id=coordinator.id)]
        assert {(r.rule, r.channel, r.status) for r in staff} == {
            ("alert_urgent", "in_app", "sent"),
            ("alert_urgent", "email", "sent"),
        }
        browser = Browser(app.test_client())
        browser.login(coordinator)
        inbox = browser.client.get("/reminders/inbox").get_data(as_text=True)
        assert "URGENT alert for a patient in your care team" in inbox
        assert "saddle" in inbox


def test_check_in_today_cancels_todays_check_in_reminder(
    app, client, radiation_patient
):
    account, _ = radiation_patient
    with time_machine.travel("2026-10-22 10:00 +0000", tick=False):  # 06:00 in New York
        headers = bearer_headers(client, account)
        client.post(
            f"/api/v1/patients/{account.patient_id}/symptoms",
            json={"back_pain": 3},
            headers=headers,
        )
    today = [
        r
        for r in reminders(app, rule="check_in")
        if r.send_at.astimezone(NY).date() == date(2026, 10, 22)
    ]
    assert {r.status for r in today} == {"cancelled"}


def test_two_dispatchers_at_once_send_each_reminder_exactly_once(app, make_user):
    patient_user = make_user("clinician")  # any account can receive
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    with app.app_context():
        db.session.execute(
            Reminder.__table__.insert(),
            [
                {
                    "user_id": patient_user.id,
                    "rule": "digest",
                    "channel": "in_app",
                    "send_at": now - timedelta(minutes=n % 60),
                    "status": "pending",
                    "attempts": 0,
                    "dedupe_key": f"load:{n}",
                    "body": "x",
                    "last_error": "",
                    "created_at": now,
                }
                for n in range(2000)
            ],
        )
        db.session.commit()
    channel = Counting()
    errors = []

    def run():
        try:
            with app.app_context():
                dispatch_due(both(channel), now, batch=50)
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(channel.sent) == 2000
    assert set(channel.sent.values()) == {1}
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(Reminder.status == "sent"))
            == 2000
        )


def add_due(app, account, count, now):
    """`count` due in-app messages for one account."""
    with app.app_context():
        db.session.add_all(
            Reminder(
                user_id=account.id,
                rule="digest",
                channel="in_app",
                send_at=now,
                status="pending",
                dedupe_key=f"due:{now.isoformat()}:{n}",
                body="x",
            )
            for n in range(count)
        )
        db.session.commit()


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_repeats_only_the_in_flight(
    app, make_user, monkeypatch
):
    user = make_user("clinician")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    add_due(app, user, 50, now)
    with app.app_context():
        dying = Counting(die_on=11)
        token, ids = claim(now, 50)
        assert len(ids) == 50
        # Killed: the batch's journal is never folded (no `finally` runs).
        with monkeypatch.context() as killed:
            killed.setattr(reminder_dispatch, "fold_own", lambda marker: 0)
            with pytest.raises(SystemExit):
                send_claimed(
                    token, load_messages(ids), both(dying), now, DispatchResult()
                )
        db.session.rollback()
        # Before the lease ends nobody else takes the rows...
        assert dispatch_due(both(Counting()), now + timedelta(minutes=1)).sent == 0
        # ...after it, the rest go out.
        rescuer = Counting()
        result = dispatch_due(both(rescuer), now + timedelta(minutes=6))
        # What the dead dispatcher journaled is recorded sent; the journal is empty.
        statuses = Counter(db.session.scalars(select(Reminder.status)))
        assert statuses == {"sent": 50}
        assert db.session.scalar(select(func.count(ReminderDelivery.id))) == 0
    assert result.sent == 40
    total = dying.sent + rescuer.sent
    assert set(total) == set(ids)  # none lost
    assert [rid for rid, count in total.items() if count > 1] == [
        ids[10]
    ]  # the in-flight one


def test_a_batch_claimed_ahead_goes_back_to_the_queue_when_sending_stops(
    app, make_user
):
    """On PostgreSQL dispatch claims the next batch while it sends one: when
    sending stops with an error, that batch is not left to wait out a lease (on
    SQLite, which goes batch by batch, nothing was claimed ahead)."""
    user = make_user("clinician")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    add_due(app, user, 30, now)
    dying = Counting(die_on=5)
    with app.app_context():
        with pytest.raises(SystemExit):
            dispatch_due(both(dying), now, batch=10)
        db.session.rollback()
        rows = db.session.execute(select(Reminder.status, Reminder.attempts)).all()
        # The first batch: four journaled and sent; the one in flight and the rest
        # keep their claim (a killed dispatcher's). The batch ahead, and the one
        # after it, are due again, their attempt not counted.
        assert Counter(status for status, _ in rows) == {
            "sent": 4,
            "sending": 6,
            "pending": 20,
        }
        assert {n for status, n in rows if status == "pending"} == {0}
        rescuer = Counting()
        assert dispatch_due(both(rescuer), now, batch=10).sent == 20
        assert not set(rescuer.sent) & set(dying.sent)


def test_a_long_pass_leases_each_batch_from_its_own_moment(app, make_user, monkeypatch):
    """Behind a slow mail server a pass outlasts a lease: a batch claimed late
    must still hold its rows for a whole lease, or a second dispatcher takes
    them over while they are being sent."""
    user = make_user("clinician")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    add_due(app, user, 3, now)
    clock = {"seconds": 0.0}  # the pass's own stopwatch, 200 s a message
    monkeypatch.setattr(
        reminder_dispatch, "time", SimpleNamespace(monotonic=lambda: clock["seconds"])
    )
    leases: list[datetime] = []

    class Slow(Counting):
        def send(self, message):
            super().send(message)
            leases.append(
                db.session.scalar(
                    select(Reminder.lease_until).where(
                        Reminder.id == message.reminder_id
                    )
                )
            )
            clock["seconds"] += 200

    channel = Slow()
    with app.app_context():
        lease = reminder_dispatch.lease()
        assert dispatch_due(both(channel), now, batch=1).sent == 3
        assert Counter(db.session.scalars(select(Reminder.status))) == {"sent": 3}
    assert leases[0] == now + lease
    # The last batch was claimed at least one message in: its lease runs from then.
    assert leases[-1] >= now + timedelta(seconds=200) + lease


def test_a_journal_line_from_a_lapsed_claim_taken_over_does_not_count(
    app, make_user, monkeypatch
):
    """A slow dispatcher's line written after its claim lapsed and another took the
    row: the row is the new holder's to send, and the stale line is dropped."""
    user = make_user("clinician")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    add_due(app, user, 1, now)
    with app.app_context():
        slow_token, ids = claim(now, 1)
        later = now + timedelta(minutes=6)
        assert claim(later, 1)[1] == ids  # lapsed: taken over by a new claim
        db.session.add(
            ReminderDelivery(reminder_id=ids[0], claim_token=slow_token, sent_at=later)
        )
        db.session.commit()
        # The new holder dies before sending; once its lease lapses too, the row
        # is due again: the slow claim's line does not make it "sent".
        rescuer = Counting()
        dispatch_due(both(rescuer), later + timedelta(minutes=6))
        assert rescuer.sent == {ids[0]: 1}
        assert db.session.scalar(select(Reminder.status)) == "sent"
        assert db.session.scalar(select(func.count(ReminderDelivery.id))) == 0


def test_six_weeks_of_check_ins_stay_at_eight_local_through_dst_and_quiet_hours(
    app, radiation_patient
):
    account, _ = radiation_patient
    with app.app_context():
        user = db.session.get(User, account.id)
        user.notify_email = False
        db.session.commit()
    channel = Counting()
    sent_days = []
    day = date(2026, 10, 21)
    while day <= date(2026, 12, 1):  # across 1 November, when New York leaves DST
        if day == date(2026, 11, 15):
            with app.app_context():  # the patient sets quiet hours until 08:30
                user = db.session.get(User, account.id)
                user.quiet_start, user.quiet_end = time(21, 0), time(8, 30)
                db.session.commit()
        at_night = datetime.combine(day, time(2, 15), NY)
        with time_machine.travel(at_night, tick=False), app.app_context():
            plan_ahead()
        for local in (time(8, 0, 30), time(8, 30, 30)):
            morning = datetime.combine(day, local, NY)
            with time_machine.travel(morning, tick=False), app.app_context():
                dispatch_due(both(channel), utcnow())
        day += timedelta(days=1)
    with app.app_context():
        rows = db.session.scalars(
            select(Reminder).where(
                Reminder.rule == "check_in", Reminder.status == "sent"
            )
        ).all()
        for row in rows:
            sent_days.append(
                (row.send_at.astimezone(NY).date(), row.send_at.astimezone(NY).time())
            )
    by_day = dict(sent_days)
    assert len(sent_days) == len(by_day) == 42  # days 1-42, one each, none doubled
    assert by_day[date(2026, 10, 31)] == time(8, 0)  # EDT
    assert by_day[date(2026, 11, 2)] == time(8, 0)  # EST
    assert by_day[date(2026, 11, 14)] == time(8, 0)
    assert by_day[date(2026, 11, 16)] == time(8, 30)  # moved out of quiet hours
    assert set(channel.sent.values()) == {1}


def test_scheduler_declares_its_jobs_and_starts_once(app):
    scheduler = create_scheduler(app)
    scheduler.start(paused=True)  # jobs get their defaults when the scheduler starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {job_id for job_id, _, _ in JOBS}
        assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    finally:
        scheduler.shutdown(wait=False)
    assert start_in_process(app) is None  # SCHEDULER_ENABLED is off in tests
    app.config["SCHEDULER_ENABLED"] = True
    try:
        started = start_in_process(app)
        assert started is not None and started.running
        assert start_in_process(app) is started  # not twice
        started.shutdown(wait=False)
    finally:
        app.config["SCHEDULER_ENABLED"] = False
        app.extensions.pop("scheduler", None)


def test_dispatch_command_runs_one_pass(runner, radiation_patient):
    with time_machine.travel("2026-10-21 12:01 +0000", tick=False):
        result = runner.invoke(args=["reminders", "dispatch"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output


def test_preferences_page_validates_and_replans(app, radiation_patient):
    account, _ = radiation_patient
    with time_machine.travel("2026-10-19 13:00 +0000", tick=False):
        browser = Browser(app.test_client())
        browser.login(account)
        bad = browser.submit(
            "/reminders/preferences",
            {
                "notify_in_app": "y",
                "quiet_start": "21:00",
                "timezone": "America/New_York",
            },
        )
        assert "Give both the start and the end of quiet hours." in bad.get_data(
            as_text=True
        )
        browser.submit(
            "/reminders/preferences",
            {
                "notify_in_app": "y",
                "quiet_start": "21:00",
                "quiet_end": "09:00",
                "timezone": "America/New_York",
            },
        )
    pending = [
        r
        for r in reminders(app, patient_id=account.patient_id)
        if r.status == "pending"
    ]
    assert {r.channel for r in pending} == {"in_app"}  # email switched off
    assert all(
        r.send_at.astimezone(NY).time() >= time(9, 0)
        for r in pending
        if r.rule == "check_in"
    )


def test_several_dispatchers_at_once_send_each_reminder_once(app, make_user):
    # As several scheduler processes would: each its own session and claims.
    user = make_user("clinician")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    add_due(app, user, 300, now)
    channel = Counting()
    sent: list[int] = []

    def dispatcher() -> None:
        with app.app_context():
            try:
                sent.append(dispatch_due(both(channel), now, batch=20).sent)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 300 and len(sent) == 3
    assert len(channel.sent) == 300 and set(channel.sent.values()) == {1}


def test_staff_digest_at_seven_local_once_a_day(app, make_user, radiation_patient):
    _, coordinator = radiation_patient
    with app.app_context():
        user = db.session.get(User, coordinator.id)
        user.daily_digest, user.timezone = True, "Europe/Berlin"
        db.session.commit()
    from recovery.scheduler import staff_digests

    for moment in (
        "2026-10-22 05:02 +0000",
        "2026-10-22 06:02 +0000",
        "2026-10-22 06:40 +0000",
    ):
        with time_machine.travel(moment, tick=False), app.app_context():
            staff_digests()  # 07:02 and 07:40 in Berlin: only one digest
    digests = reminders(app, rule="digest")
    assert len(digests) == 1
    assert digests[0].user_id == coordinator.id
    assert "Open alerts: 0" in digests[0].body


def test_missed_events_are_stored_as_missed(app, radiation_patient):
    from recovery.scheduler import mark_missed_events

    account, _ = radiation_patient
    with time_machine.travel("2026-12-20 10:00 +0000", tick=False), app.app_context():
        mark_missed_events()
        statuses = dict(
            db.session.execute(
                select(TimelineEvent.key, TimelineEvent.status).where(
                    TimelineEvent.patient_id == account.patient_id
                )
            ).all()
        )
    assert statuses["wound_check:0"] == "missed"
    assert statuses["activity_1:0"] == "upcoming"  # periods are never "missed"
    assert statuses["imaging_benign:0"] == "upcoming"  # still ahead


def test_replanning_keeps_a_retry_back_off_and_survives_quiet_hours_changes(
    app, radiation_patient
):
    account, _ = radiation_patient
    from recovery.reminders.planning import replan_reminders

    first = datetime(2026, 10, 21, 12, 1, tzinfo=UTC)
    with app.app_context():
        dispatch_due({"in_app": InAppChannel(), "email": Counting(fail_on=1)}, first)
        # The patient moves quiet hours so today's 08:00 falls inside them.
        user = db.session.get(User, account.id)
        user.quiet_start, user.quiet_end = time(21, 0), time(8, 30)
        replan_reminders([db.session.get(Patient, account.patient_id)], first)
        db.session.commit()
    email = next(
        r
        for r in reminders(app, rule="check_in", channel="email")
        if r.dedupe_key.endswith("2026-10-21")
    )
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.send_at == first + timedelta(minutes=1)  # its back-off, not 08:30


def test_a_retry_survives_replanning_after_its_planned_moment(app, radiation_patient):
    account, _ = radiation_patient
    from recovery.reminders.planning import replan_reminders

    first = datetime(2026, 10, 21, 12, 1, tzinfo=UTC)  # 08:01 in New York
    with app.app_context():
        dispatch_due({"in_app": InAppChannel(), "email": Counting(fail_on=1)}, first)
        # 08:00 is past: the planner no longer plans it, the retry must stay.
        replan_reminders(
            [db.session.get(Patient, account.patient_id)], first + timedelta(seconds=30)
        )
        db.session.commit()
        result = dispatch_due(
            {"in_app": InAppChannel(), "email": InAppChannel()},
            first + timedelta(minutes=2),
        )
    assert result.sent == 1
    email = next(
        r
        for r in reminders(app, rule="check_in", channel="email")
        if r.dedupe_key.endswith("2026-10-21")
    )
    assert (email.status, email.attempts) == ("sent", 2)


def test_no_reminder_goes_to_a_deactivated_account(app, radiation_patient):
    account, _ = radiation_patient
    with app.app_context():
        db.session.get(User, account.id).active = False
        db.session.commit()
        channel = Counting()
        result = dispatch_due(both(channel), datetime(2026, 10, 21, 12, 1, tzinfo=UTC))
    assert channel.sent == Counter() and result.skipped == 2


def test_switching_every_channel_off_asks_first_and_saves_nothing(
    app, radiation_patient
):
    account, _ = radiation_patient
    with time_machine.travel("2026-10-19 13:00 +0000", tick=False):
        browser = Browser(app.test_client())
        browser.login(account)
        form = browser.client.get("/reminders/preferences").get_data(as_text=True)
        # The timezone is picked from the list of zones, as on enrolment.
        assert 'list="zones"' in form and '<option value="Europe/Berlin">' in form
        before = len(reminders(app, patient_id=account.patient_id, status="pending"))
        warned = browser.submit(
            "/reminders/preferences",
            {"timezone": "Europe/Berlin", "quiet_start": "", "quiet_end": ""},
        )
        page = warned.get_data(as_text=True)
        assert warned.status_code == 200
        assert "you will get no reminders" in page
        assert 'value="Europe/Berlin"' in page  # what was typed is kept
        with app.app_context():
            user = db.session.get(User, account.id)
            assert user.notify_in_app and user.timezone == "America/New_York"
        assert (
            len(reminders(app, patient_id=account.patient_id, status="pending"))
            == before
        )
        browser.submit(
            "/reminders/preferences",
            {"timezone": "Europe/Berlin", "confirm_all_off": "y"},
        )
    with app.app_context():
        user = db.session.get(User, account.id)
        assert not user.notify_in_app and not user.notify_email
        assert user.timezone == "Europe/Berlin"
