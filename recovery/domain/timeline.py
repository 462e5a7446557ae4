"""The timeline: build(plan, protocol), the diff recompute applies, statuses, phases.

Pure functions: no Flask, no database, no clock. `today` is always an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from typing import Protocol as Structural

from recovery.domain.plan import Plan
from recovery.domain.protocol import Conditions, Item, Protocol

SATURDAY = 5
# Periods complete themselves when they end; single events are missed instead.
PERIOD_KINDS = frozenset({"activity_restriction", "brace"})
FINAL_STATUSES = frozenset({"done", "cancelled"})
# Kinds that happen at the clinic: staff mark them done, the patient only sees them.
STAFF_MARKED_KINDS = frozenset({"follow_up_visit", "radiation_session", "imaging"})


def patient_marks_done(kind: str) -> bool:
    """Whether the patient themselves says this kind of event is done."""
    return kind not in PERIOD_KINDS and kind not in STAFF_MARKED_KINDS


def may_undo(completed_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """A patient's own "Done" can be taken back for a short while (a slip of the
    finger); after that it is part of the record and staff correct it."""
    return completed_at is not None and timedelta(0) <= now - completed_at <= window


def day_word(day: date, today: date) -> str:
    """A near day as people say it: today, tomorrow, Monday; later ones by date."""
    ahead = (day - today).days
    if ahead == 0:
        return "today"
    if ahead == 1:
        return "tomorrow"
    if 1 < ahead < 7:
        return day.strftime("%A")
    return day.strftime("%a %d %b")


@dataclass(frozen=True)
class Course:
    """A run of sessions (radiation) seen as one item: how far along it is."""

    total: int
    held: int
    first: date
    last: date
    next_date: date | None

    @property
    def next_number(self) -> int | None:
        """The number of the next session (1-based), None when the course is over."""
        return None if self.next_date is None else self.held + 1

    def state(self, today: date) -> str:
        """Where the course stands on `today`: upcoming, due (running) or done."""
        if today < self.first:
            return "upcoming"
        return "due" if self.next_date is not None else "done"


def course_of(sessions: Iterable[tuple[date, str]], today: date) -> Course | None:
    """The course of (date, status-on-today) sessions; cancelled ones do not count.

    A session is held once it is done or its day has passed; the next one is the
    first still to come (today's included)."""
    dated = sorted((day, status) for day, status in sessions if status != "cancelled")
    if not dated:
        return None
    held = sum(1 for day, status in dated if status == "done" or day < today)
    ahead = [day for day, status in dated if status != "done" and day >= today]
    return Course(
        len(dated), held, dated[0][0], dated[-1][0], ahead[0] if ahead else None
    )


class PlannedEvent(NamedTuple):
    """One dated event of a timeline, with a key that survives rebuilding.

    A NamedTuple rather than a dataclass: building thousands of timelines a second
    is mostly the cost of creating these.
    """

    key: str
    item_id: str
    kind: str
    title: str
    instructions: str
    start_date: date
    end_date: date
    allowed: tuple[str, ...] = ()
    not_allowed: tuple[str, ...] = ()
    reminders: tuple[str, ...] = ()


def applies(conditions: Conditions, plan: Plan) -> bool:
    """Whether an item's conditions hold for this plan."""
    if (
        conditions.radiation is not None
        and conditions.radiation != plan.radiation.planned
    ):
        return False
    if conditions.brace is not None and conditions.brace != plan.brace.required:
        return False
    if conditions.malignant is not None and conditions.malignant != plan.is_malignant:
        return False
    if (
        conditions.tumor_location
        and plan.tumor_location not in conditions.tumor_location
    ):
        return False
    return not (conditions.origin and plan.origin not in conditions.origin)


def next_weekday(day: date) -> date:
    """The day itself on Monday to Friday, else the Monday after."""
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def radiation_dates(plan: Plan) -> list[date]:
    """Every radiation session: weekdays from the start day for the planned weeks.

    The first session is on `start_day` after surgery, moved to the next weekday; the
    course then spans `weeks` weeks of weekdays, skipping (not making up) holidays.
    """
    if not plan.radiation.planned:
        return []
    day = next_weekday(plan.surgery_date + timedelta(days=plan.radiation.start_day))
    dates: list[date] = []
    for _ in range(5 * plan.radiation.weeks):
        if day not in plan.holidays:
            dates.append(day)
        day = next_weekday(day + timedelta(days=1))
    return dates


class _Keep(dict[str, object]):
    # For str.format_map: unknown {names} stay as they are.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, values: Mapping[str, object]) -> str:
    return text.format_map(_Keep(values)) if values and "{" in text else text


def _occurrences(item: Item, plan: Plan) -> list[tuple[date, date, dict[str, object]]]:
    """(start, end, template values) of each occurrence of an item."""
    schedule = item.schedule
    surgery = plan.surgery_date

    def window(day: int) -> tuple[date, date]:
        centre = surgery + timedelta(days=day)
        return (
            centre - timedelta(days=schedule.window_before),
            centre + timedelta(days=schedule.window_after),
        )

    if schedule.type == "span":
        return [
            (
                surgery + timedelta(days=schedule.start_day),
                surgery + timedelta(days=schedule.end_day),
                {},
            )
        ]
    if schedule.type == "days":
        return [(*window(day), {}) for day in schedule.days]
    if schedule.type == "weekly":
        return [
            (*window(schedule.start_day + 7 * n), {}) for n in range(schedule.count)
        ]
    if schedule.type == "brace":
        start = surgery + timedelta(days=schedule.start_day)
        end = start + timedelta(days=7 * plan.brace.weeks - 1)
        return [(start, end, {"weeks": plan.brace.weeks})]
    # radiation
    sessions = radiation_dates(plan)
    return [
        (
            day,
            day,
            {
                "n": n + 1,
                "total": len(sessions),
                "minutes": plan.radiation.minutes_per_session,
                "weeks": plan.radiation.weeks,
            },
        )
        for n, day in enumerate(sessions)
    ]


# Timelines of plans that differ only in their surgery date are the same events
# shifted, so build() keeps each shape's events as offsets from day 0. Radiation
# sessions depend on the weekday of surgery, and holidays on the calendar: a plan
# with both is built directly.
_Shape = tuple[object, ...]
_Offsets = list[
    tuple[
        str,
        str,
        str,
        str,
        str,
        timedelta,
        timedelta,
        tuple[str, ...],
        tuple[str, ...],
        tuple[str, ...],
    ]
]
_SHAPES: dict[_Shape, tuple[Protocol, _Offsets]] = {}
_MAX_SHAPES = 4096


def _shape(plan: Plan, protocol: Protocol) -> _Shape:
    weekday = plan.surgery_date.weekday() if plan.radiation.planned else None
    return (
        id(protocol),
        plan.radiation,
        plan.brace,
        plan.is_malignant,
        plan.tumor_location,
        plan.origin,
        weekday,
    )


def build(plan: Plan, protocol: Protocol) -> list[PlannedEvent]:
    """Every event of the plan's timeline, ordered by start date then key."""
    if plan.holidays and plan.radiation.planned:
        return _build(plan, protocol)
    shape = _shape(plan, protocol)
    cached = _SHAPES.get(shape)
    if cached is None or cached[0] is not protocol:
        day0 = plan.surgery_date
        offsets: _Offsets = [
            (*e[:5], e.start_date - day0, e.end_date - day0, *e[7:])
            for e in _build(plan, protocol)
        ]
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        cached = _SHAPES[shape] = (protocol, offsets)
    surgery = plan.surgery_date
    return [
        PlannedEvent(k, i, kind, t, ins, surgery + s, surgery + e, a, na, r)
        for k, i, kind, t, ins, s, e, a, na, r in cached[1]
    ]


def _build(plan: Plan, protocol: Protocol) -> list[PlannedEvent]:
    """build() without the shape cache: the definition of a timeline."""
    events: list[PlannedEvent] = []
    for item in protocol.items:
        if not applies(item.when, plan):
            continue
        for n, (start, end, values) in enumerate(_occurrences(item, plan)):
            events.append(
                PlannedEvent(
                    key=f"{item.id}:{n}",
                    item_id=item.id,
                    kind=item.kind,
                    title=_fill(item.title, values),
                    instructions=_fill(item.instructions, values),
                    start_date=start,
                    end_date=end,
                    allowed=item.allowed,
                    not_allowed=item.not_allowed,
                    reminders=item.reminders,
                )
            )
    events.sort(key=lambda e: (e.start_date, e.key))
    return events


def status_on(stored: str, kind: str, start: date, end: date, today: date) -> str:
    """What an event's status is on `today` in the patient's own calendar."""
    if stored in FINAL_STATUSES:
        return stored
    if today < start:
        return "upcoming"
    if today <= end:
        return "due"
    return "done" if kind in PERIOD_KINDS else "missed"


class StoredEvent(NamedTuple):
    """What recompute needs to know of an event already in the database."""

    key: str
    status: str
    overridden: bool
    start_date: date
    end_date: date
    title: str
    instructions: str
    allowed: tuple[str, ...] = ()
    not_allowed: tuple[str, ...] = ()
    reminders: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimelineChanges:
    """What recompute must do: add, update (move or reword), reactivate, cancel."""

    added: tuple[PlannedEvent, ...] = ()
    updated: tuple[PlannedEvent, ...] = ()
    reactivated: tuple[PlannedEvent, ...] = ()
    cancelled: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to do."""
        return not (self.added or self.updated or self.reactivated or self.cancelled)

    def counts(self) -> dict[str, int]:
        """How many of each change, for the audit log and the CLI."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "reactivated": len(self.reactivated),
            "cancelled": len(self.cancelled),
        }


def _differs(stored: StoredEvent, planned: PlannedEvent) -> bool:
    return (
        stored.start_date != planned.start_date
        or stored.end_date != planned.end_date
        or stored.title != planned.title
        or stored.instructions != planned.instructions
        or tuple(stored.allowed) != planned.allowed
        or tuple(stored.not_allowed) != planned.not_allowed
        or tuple(stored.reminders) != planned.reminders
    )


def diff(
    stored: Iterable[StoredEvent], planned: Sequence[PlannedEvent]
) -> TimelineChanges:
    """Compare stored events with a fresh build, by key.

    Done events and clinicians' overrides are never touched: not moved, not
    cancelled. Cancelled events that the plan brings back are reactivated.
    """
    by_key = {event.key: event for event in stored}
    planned_keys = {event.key for event in planned}
    added: list[PlannedEvent] = []
    updated: list[PlannedEvent] = []
    reactivated: list[PlannedEvent] = []
    for event in planned:
        old = by_key.get(event.key)
        if old is None:
            added.append(event)
        elif old.status == "done" or old.overridden:
            continue
        elif old.status == "cancelled":
            reactivated.append(event)
        elif _differs(old, event):
            updated.append(event)
    cancelled = [
        old.key
        for old in by_key.values()
        if old.key not in planned_keys
        and old.status not in FINAL_STATUSES
        and not old.overridden
    ]
    return TimelineChanges(
        tuple(added), tuple(updated), tuple(reactivated), tuple(sorted(cancelled))
    )


class DatedEvent(Structural):
    """Anything with the fields the page helpers read (stored or planned events)."""

    kind: str
    start_date: date
    end_date: date


def phase_on(
    surgery_date: date,
    today: date,
    radiation: tuple[date, date] | None = None,
    discharged: bool = False,
) -> str:
    """The patient's phase for dashboards, per ../shared/clinical.md.

    `radiation` is the (first, last) session date when radiation is planned.
    """
    if discharged:
        return "completed"
    day = (today - surgery_date).days
    if day < 0:
        return "pre_op"
    if radiation is not None:
        first, last = radiation
        if today < first:
            return "early_recovery"
        if today <= last:
            return "radiation"
    elif day <= 42:
        return "early_recovery"
    return "rehabilitation" if day < 90 else "surveillance"


@dataclass(frozen=True)
class Limits:
    """What is allowed and not allowed today, from the periods in force."""

    allowed: tuple[str, ...]
    not_allowed: tuple[str, ...]
    titles: tuple[str, ...]


class LimitEvent(DatedEvent, Structural):
    """An event that may carry activity limits."""

    title: str
    status: str
    allowed: Sequence[str]
    not_allowed: Sequence[str]


def limits_on(events: Iterable[LimitEvent], today: date) -> Limits:
    """Activity limits and brace rules in force on `today` (not cancelled)."""
    allowed: list[str] = []
    not_allowed: list[str] = []
    titles: list[str] = []
    for event in events:
        if event.kind not in PERIOD_KINDS or event.status == "cancelled":
            continue
        if event.start_date <= today <= event.end_date:
            titles.append(event.title)
            allowed.extend(a for a in event.allowed if a not in allowed)
            not_allowed.extend(n for n in event.not_allowed if n not in not_allowed)
    return Limits(tuple(allowed), tuple(not_allowed), tuple(titles))
