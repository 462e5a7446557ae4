"""Reminder planning: which message goes out when, on which channel.

Pure: events, preferences and `now` in, planned reminders out. Local times are
turned into UTC instants with zoneinfo, so 08:00 stays 08:00 across daylight saving.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from recovery.domain.checkins import asked_dates
from recovery.domain.protocol import CheckInCadence
from recovery.domain.timeline import FINAL_STATUSES

CHANNELS = ("in_app", "email")

# rule -> (days from the event's first day, local time). Defaults from the issue:
# radiation the evening before and the morning of; imaging and visits 7 days and 1
# day before; questionnaires when due and again 2 days later if not done.
RULE_TIMES: dict[str, tuple[int, time]] = {
    "evening_before": (-1, time(18, 0)),
    "morning_of": (0, time(7, 30)),
    "week_before": (-7, time(9, 0)),
    "day_before": (-1, time(9, 0)),
    "when_due": (0, time(9, 0)),
    "again_after_2_days": (2, time(9, 0)),
}
# The symptom check-in reminder goes out at this local time on each day it is asked
# (recovery.domain.checkins, from the protocol's [check_in] cadence).
CHECK_IN_TIME = time(8, 0)
# How far a reminder's instant can stray from its local day: timezones and quiet
# hours move it by under a day; two days of slack either side cover both.
SLACK = timedelta(days=2)


@dataclass(frozen=True)
class Preferences:
    """How and when a person wants to be reached."""

    timezone: str = "UTC"
    channels: tuple[str, ...] = CHANNELS
    quiet_start: time | None = None
    quiet_end: time | None = None


class ReminderEvent(NamedTuple):
    """What the planner needs of a timeline event."""

    key: str
    kind: str
    title: str
    start_date: date
    status: str
    rules: tuple[str, ...]


class PlannedReminder(NamedTuple):
    """One message on one channel at one instant (UTC)."""

    dedupe_key: str
    event_key: str | None
    rule: str
    channel: str
    send_at: datetime


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Whether a local time falls in [start, end), a window that may pass midnight."""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def local_instant(day: date, at: time, prefs: Preferences) -> datetime:
    """The UTC instant of a local day and time, moved out of quiet hours."""
    zone = ZoneInfo(prefs.timezone)
    if (
        _quiet(prefs)
        and prefs.quiet_start is not None
        and prefs.quiet_end is not None
        and in_quiet_hours(at, prefs.quiet_start, prefs.quiet_end)
    ):
        # To the end of the quiet window: the same day, or the next when it wraps.
        if at >= prefs.quiet_end and prefs.quiet_start > prefs.quiet_end:
            day += timedelta(days=1)
        at = prefs.quiet_end
    local = datetime.combine(day, at, zone)
    # A time skipped by a spring-forward change does not exist: zoneinfo reads it
    # with the offset before the change, which lands just after the gap.
    return local.astimezone(UTC)


# Where a reminder goes when quiet hours would put it on the same minute as another
# reminder of the same event: this long before the quiet hours begin.
BEFORE_QUIET = timedelta(minutes=15)


def _quiet(prefs: Preferences) -> bool:
    return (
        prefs.quiet_start is not None
        and prefs.quiet_end is not None
        and prefs.quiet_start != prefs.quiet_end
    )


def before_quiet_instant(day: date, at: time, prefs: Preferences) -> datetime:
    """The UTC instant just before the quiet hours that hold a local day and time."""
    assert prefs.quiet_start is not None and prefs.quiet_end is not None
    if prefs.quiet_start > prefs.quiet_end and at < prefs.quiet_end:
        day -= timedelta(days=1)  # the morning part of a window that began last night
    start = datetime.combine(day, prefs.quiet_start, ZoneInfo(prefs.timezone))
    return (start - BEFORE_QUIET).astimezone(UTC)


def event_instants(
    event: ReminderEvent, prefs: Preferences
) -> list[tuple[str, date, datetime]]:
    """(rule, local day, UTC instant) of each reminder of one event.

    Quiet hours move a reminder to their end; when that puts two reminders of the
    event on the same minute ("the evening before" and "the morning of" both at
    09:00), the earlier one goes back to just before the quiet hours instead.
    """
    nominal = sorted(
        (
            event.start_date + timedelta(days=RULE_TIMES[rule][0]),
            RULE_TIMES[rule][1],
            rule,
        )
        for rule in event.rules
        if rule in RULE_TIMES
    )
    instants = [(rule, day, local_instant(day, at, prefs)) for day, at, rule in nominal]
    taken: set[datetime] = set()
    result: list[tuple[str, date, datetime]] = []
    for index, (rule, day, instant) in enumerate(instants):
        later = {i for _, _, i in instants[index + 1 :]}
        if instant in later and _quiet(prefs):
            instant = before_quiet_instant(day, nominal[index][1], prefs)
        if instant in taken:
            continue  # nothing left to tell apart: one reminder is enough
        taken.add(instant)
        result.append((rule, day, instant))
    return result


def check_in_days(
    surgery_date: date, cadence: CheckInCadence, events: Iterable[ReminderEvent] = ()
) -> list[date]:
    """The days a check-in reminder goes out: the days the check-in is asked."""
    before = [
        e.start_date
        for e in events
        if e.kind in cadence.before_kinds and e.status != "cancelled"
    ]
    return asked_dates(surgery_date, cadence, before)


def plan_reminders(
    events: Iterable[ReminderEvent],
    surgery_date: date,
    prefs: Preferences,
    now: datetime,
    horizon: timedelta = timedelta(days=14),
    key_prefix: str = "",
    cadence: CheckInCadence | None = None,
) -> list[PlannedReminder]:
    """Every reminder due after `now` and within the horizon, ordered by instant.

    Events done or cancelled get none. Each reminder's key names the event, rule,
    channel and local day, so planning twice gives the same keys. With a check-in
    `cadence`, the check-in reminders of the days it is asked are planned too.
    """
    events = list(events)
    until = now + horizon
    channels = [c for c in prefs.channels if c in CHANNELS]
    planned: list[PlannedReminder] = []
    # Days that cannot fall in (now, until] in any timezone or quiet-hours shift are
    # skipped before the costlier local-time arithmetic.
    first_day = (now - SLACK).date()
    last_day = (until + SLACK).date()

    def add(
        event_key: str | None,
        rule: str,
        day: date,
        at: time,
        send_at: datetime | None = None,
    ) -> None:
        if not first_day <= day <= last_day:
            return
        if send_at is None:
            send_at = local_instant(day, at, prefs)
        if now < send_at <= until:
            name = event_key or "check_in"
            for channel in channels:
                key = f"{key_prefix}{name}:{rule}:{channel}:{day.isoformat()}"
                planned.append(PlannedReminder(key, event_key, rule, channel, send_at))

    for event in events:
        if event.status in FINAL_STATUSES:
            continue
        if not any(
            first_day <= event.start_date + timedelta(days=RULE_TIMES[r][0]) <= last_day
            for r in event.rules
            if r in RULE_TIMES
        ):
            continue
        for rule, day, send_at in event_instants(event, prefs):
            add(event.key, rule, day, RULE_TIMES[rule][1], send_at)
    if cadence is not None:
        for day in check_in_days(surgery_date, cadence, events):
            add(None, "check_in", day, CHECK_IN_TIME)
    planned.sort(key=lambda r: (r.send_at, r.dedupe_key))
    return planned


def event_window(now: datetime, horizon: timedelta) -> tuple[date, date]:
    """First days of the events that can have a reminder in (now, now + horizon]."""
    offsets = [offset for offset, _ in RULE_TIMES.values()]
    first = (now - timedelta(days=max(offsets)) - SLACK).date()
    last = (now + horizon + timedelta(days=-min(offsets)) + SLACK).date()
    return first, last


def retry_delay(attempts: int) -> timedelta:
    """Back-off before the next try: 1, 2, 4, 8 minutes..."""
    return timedelta(minutes=2 ** max(0, attempts - 1))
