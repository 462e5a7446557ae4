"""Reminder planning: rules, horizon, quiet hours and daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from recovery.domain.protocol import REMINDER_RULES, load_protocols
from recovery.domain.reminders import (
    Preferences,
    ReminderEvent,
    in_quiet_hours,
    local_instant,
    plan_reminders,
    retry_delay,
)

NY = ZoneInfo("America/New_York")
SURGERY = date(2026, 10, 20)
CADENCE = load_protocols()["open_resection"].check_in


def event(
    key="radiation:0",
    kind="radiation_session",
    day=date(2026, 10, 30),
    status="upcoming",
    rules=("evening_before", "morning_of"),
):
    return ReminderEvent(key, kind, "Radiation session 1 of 10", day, status, rules)


def test_radiation_session_the_evening_before_and_the_morning_of():
    prefs = Preferences("America/New_York", ("in_app",))
    now = datetime(2026, 10, 28, tzinfo=UTC)
    planned = [r for r in plan_reminders([event()], SURGERY, prefs, now) if r.event_key]
    local = [(r.rule, r.send_at.astimezone(NY).replace(tzinfo=None)) for r in planned]
    assert local == [
        ("evening_before", datetime(2026, 10, 29, 18, 0)),
        ("morning_of", datetime(2026, 10, 30, 7, 30)),
    ]


def test_one_reminder_per_channel_with_stable_keys():
    prefs = Preferences("UTC", ("in_app", "email"))
    now = datetime(2026, 10, 28, tzinfo=UTC)
    first = plan_reminders([event()], SURGERY, prefs, now)
    assert first == plan_reminders([event()], SURGERY, prefs, now)
    keys = [r.dedupe_key for r in first if r.event_key]
    assert keys == [
        "radiation:0:evening_before:email:2026-10-29",
        "radiation:0:evening_before:in_app:2026-10-29",
        "radiation:0:morning_of:email:2026-10-30",
        "radiation:0:morning_of:in_app:2026-10-30",
    ]


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_finished_events_get_no_reminders(status):
    prefs = Preferences()
    now = datetime(2026, 10, 28, tzinfo=UTC)
    assert not [
        r
        for r in plan_reminders([event(status=status)], SURGERY, prefs, now)
        if r.event_key
    ]


def test_only_the_future_within_the_horizon():
    prefs = Preferences("UTC", ("in_app",))
    now = datetime(2026, 10, 30, 0, 0, tzinfo=UTC)  # after the evening before
    planned = plan_reminders([event()], SURGERY, prefs, now, horizon=timedelta(days=2))
    assert [r.rule for r in planned if r.event_key] == ["morning_of"]
    assert all(now < r.send_at <= now + timedelta(days=2) for r in planned)


def test_imaging_week_and_day_before_and_questionnaire_again_after_two_days():
    prefs = Preferences("UTC", ("email",))
    mri = ReminderEvent(
        "imaging:0",
        "imaging",
        "MRI",
        date(2027, 1, 20),
        "upcoming",
        ("week_before", "day_before"),
    )
    odi = ReminderEvent(
        "odi:0",
        "questionnaire",
        "ODI",
        date(2027, 1, 20),
        "upcoming",
        ("when_due", "again_after_2_days"),
    )
    now = datetime(2027, 1, 1, tzinfo=UTC)
    planned = plan_reminders(
        [mri, odi], SURGERY, prefs, now, horizon=timedelta(days=30)
    )
    days = {(r.event_key, r.rule): r.send_at.date() for r in planned if r.event_key}
    assert days == {
        ("imaging:0", "week_before"): date(2027, 1, 13),
        ("imaging:0", "day_before"): date(2027, 1, 19),
        ("odi:0", "when_due"): date(2027, 1, 20),
        ("odi:0", "again_after_2_days"): date(2027, 1, 22),
    }


def test_check_in_daily_from_day_0_to_42_weekly_to_90_then_before_visits_and_mri():
    prefs = Preferences("UTC", ("in_app",))
    now = datetime(2026, 10, 1, tzinfo=UTC)
    mri = event("imaging:1", "imaging", SURGERY + timedelta(days=168), rules=())
    visit = event("extra:1", "follow_up_visit", SURGERY + timedelta(days=120), rules=())
    therapy = event("therapy:9", "therapy", SURGERY + timedelta(days=150), rules=())
    planned = plan_reminders(
        [mri, visit, therapy],
        SURGERY,
        prefs,
        now,
        horizon=timedelta(days=200),
        cadence=CADENCE,
    )
    days = [(r.send_at.date() - SURGERY).days for r in planned if r.rule == "check_in"]
    assert days[:43] == list(range(43))
    assert days[43:] == [49, 56, 63, 70, 77, 84, 118, 119, 166, 167]


def test_check_in_stays_at_eight_local_across_the_autumn_clock_change():
    # New York leaves daylight saving on Sunday 1 November 2026.
    prefs = Preferences("America/New_York", ("in_app",))
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    planned = plan_reminders(
        [], SURGERY, prefs, now, horizon=timedelta(days=42), cadence=CADENCE
    )
    local_times = {r.send_at.astimezone(NY).time() for r in planned}
    assert local_times == {time(8, 0)}
    by_day = {r.send_at.astimezone(NY).date(): r.send_at for r in planned}
    assert by_day[date(2026, 10, 31)].hour == 12  # 08:00 EDT = 12:00 UTC
    assert by_day[date(2026, 11, 1)].hour == 13  # 08:00 EST = 13:00 UTC


@pytest.mark.parametrize(
    ("at", "start", "end", "quiet"),
    [
        (time(23, 0), time(22, 0), time(7, 0), True),
        (time(6, 59), time(22, 0), time(7, 0), True),
        (time(7, 0), time(22, 0), time(7, 0), False),
        (time(13, 0), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
    ],
)
def test_quiet_hours_window(at, start, end, quiet):
    assert in_quiet_hours(at, start, end) is quiet


def test_reminders_move_out_of_quiet_hours():
    prefs = Preferences(
        "America/New_York", ("in_app",), quiet_start=time(21, 0), quiet_end=time(8, 30)
    )
    morning = local_instant(date(2026, 10, 30), time(7, 30), prefs).astimezone(NY)
    assert morning.replace(tzinfo=None) == datetime(2026, 10, 30, 8, 30)
    late = Preferences(
        "UTC", ("in_app",), quiet_start=time(17, 0), quiet_end=time(7, 0)
    )
    evening = local_instant(date(2026, 10, 29), time(18, 0), late)
    assert evening == datetime(2026, 10, 30, 7, 0, tzinfo=UTC)  # the next morning


def test_retry_backs_off():
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]


def test_events_outside_the_window_could_not_have_a_reminder():
    from recovery.domain.reminders import event_window

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    first, last = event_window(now, timedelta(days=14))
    prefs = Preferences("Pacific/Kiritimati", ("in_app",), time(0, 0), time(23, 59))
    rules = REMINDER_RULES  # every rule an event can have
    for offset in range(-30, 60):
        day = now.date() + timedelta(days=offset)
        planned = plan_reminders([event(day=day, rules=rules)], SURGERY, prefs, now)
        if any(r.event_key for r in planned):
            assert first <= day <= last, day


@pytest.mark.parametrize(
    ("quiet", "expected"),
    [
        # No quiet hours: 18:00 the evening before, 07:30 the morning of.
        (None, [(29, time(18, 0)), (30, time(7, 30))]),
        # 17:00-09:00: both would land at 09:00 on the day; the evening one goes
        # back to just before quiet hours.
        ((time(17, 0), time(9, 0)), [(29, time(16, 45)), (30, time(9, 0))]),
        # 22:00-08:00: only the morning one moves; no clash.
        ((time(22, 0), time(8, 0)), [(29, time(18, 0)), (30, time(8, 0))]),
        # 12:00-19:00 (a daytime window): the evening one moves to 19:00.
        ((time(12, 0), time(19, 0)), [(29, time(19, 0)), (30, time(7, 30))]),
        # 18:00-07:30: both would land at 07:30 on the day.
        ((time(18, 0), time(7, 30)), [(29, time(17, 45)), (30, time(7, 30))]),
    ],
)
def test_quiet_hours_never_put_two_reminders_of_one_event_on_one_minute(
    quiet, expected
):
    start, end = quiet or (None, None)
    prefs = Preferences(
        "America/New_York", ("in_app", "email"), quiet_start=start, quiet_end=end
    )
    now = datetime(2026, 10, 28, tzinfo=UTC)
    planned = [r for r in plan_reminders([event()], SURGERY, prefs, now) if r.event_key]
    local = sorted(
        {
            (r.send_at.astimezone(NY).day, r.send_at.astimezone(NY).time())
            for r in planned
        }
    )
    assert local == expected
    # One reminder per rule and channel, keys as before.
    assert len(planned) == 4
    for channel in ("in_app", "email"):
        minutes = [r.send_at for r in planned if r.channel == channel]
        assert len(set(minutes)) == len(minutes)
