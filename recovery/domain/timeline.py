"""The timeline: build(plan, protocol), the diff recompute applies, statuses, phases.

Pure functions: no Flask, no database, no clock. `today` is always an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from typing import Protocol as Structural

from recovery.domain.languages import fill
from recovery.domain.plan import Plan
from recovery.domain.protocol import Conditions, Education, Item, Protocol

SATURDAY = 5
# Periods complete themselves when they end; single events are missed instead.
PERIOD_KINDS = frozenset({"activity_restriction", "brace"})
# What an event may show: "due" is never stored, it is computed from today.
EVENT_STATUSES = ("upcoming", "due", "done", "missed", "cancelled")
FINAL_STATUSES = frozenset({"done", "cancelled"})
# Stored statuses of an item still to do (a missed one can still be done).
OPEN_STATUSES = ("upcoming", "missed")


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
    # A period with no end date: it lasts to the end of follow-up unless lifted.
    open_ended: bool = False


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


def next_working_day(day: date, holidays: frozenset[date]) -> date:
    """The day itself if the clinic works then, else the next weekday it is open."""
    day = next_weekday(day)
    while day in holidays:
        day = next_weekday(day + timedelta(days=1))
    return day


def radiation_dates(plan: Plan) -> list[date]:
    """Every radiation session: the prescribed 5 x weeks, on working days.

    The first session is on `start_day` after surgery, moved to the next working day;
    then one each working day. A clinic holiday moves its session to the next working
    day, so the course ends later and the prescribed count never drops.
    """
    if not plan.radiation.planned:
        return []
    start = plan.surgery_date + timedelta(days=plan.radiation.start_day)
    day = next_working_day(start, plan.holidays)
    dates: list[date] = []
    for _ in range(sessions_prescribed(plan)):
        dates.append(day)
        day = next_working_day(day + timedelta(days=1), plan.holidays)
    return dates


def sessions_prescribed(plan: Plan) -> int:
    """The radiation course as prescribed: five sessions a week."""
    return 5 * plan.radiation.weeks if plan.radiation.planned else 0


def _occurrences(
    item: Item, plan: Plan, open_end: int
) -> list[tuple[date, date, dict[str, object]]]:
    """(start, end, template values) of each occurrence of an item."""
    schedule = item.schedule
    surgery = plan.surgery_date
    if schedule.type == "on_pain_rise":
        return []  # opened by a pain warning, not by the plan

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
                surgery
                + timedelta(
                    days=open_end if schedule.end_day is None else schedule.end_day
                ),
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
        bool,
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
        PlannedEvent(k, i, kind, t, ins, surgery + s, surgery + e, a, na, r, o)
        for k, i, kind, t, ins, s, e, a, na, r, o in cached[1]
    ]


def follow_up_end(protocol: Protocol) -> int:
    """The last day any dated item of the protocol reaches: the end of follow-up."""
    last = 0
    for item in protocol.items:
        schedule = item.schedule
        if schedule.type == "days":
            last = max(last, schedule.days[-1] + schedule.window_after)
        elif schedule.type == "weekly":
            last = max(
                last,
                schedule.start_day + 7 * (schedule.count - 1) + schedule.window_after,
            )
        elif schedule.end_day is not None:
            last = max(last, schedule.end_day)
    return last


def _build(plan: Plan, protocol: Protocol) -> list[PlannedEvent]:
    """build() without the shape cache: the definition of a timeline."""
    events: list[PlannedEvent] = []
    open_end = follow_up_end(protocol)
    for item in protocol.items:
        if not applies(item.when, plan):
            continue
        occurrences = _occurrences(item, plan, open_end)
        for n, (start, end, values) in enumerate(occurrences):
            events.append(
                PlannedEvent(
                    key=f"{item.id}:{n}",
                    item_id=item.id,
                    kind=item.kind,
                    title=fill(item.title, values),
                    instructions=fill(item.instructions, values),
                    start_date=start,
                    end_date=end,
                    allowed=item.allowed,
                    not_allowed=item.not_allowed,
                    reminders=item.reminders,
                    open_ended=item.schedule.end_day is None,
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


# Kinds never marked done by a button: restrictions and the brace end by date, a
# questionnaire is done by answering it.
NOT_MARKED_DONE = frozenset({"activity_restriction", "brace", "questionnaire"})


def done_refusal(
    kind: str, status: str, by_patient: bool, patient_kinds: frozenset[str]
) -> str | None:
    """Why the Done button is not offered for this event, or None if it is.

    The page and the POST ask the same question, so a crafted POST can do only
    what the page offers: due or missed items, and for a patient only the kinds
    they do themselves (a setting: a clinic visit is the clinic's to record).
    """
    if status not in ("due", "missed"):
        return "status"
    if kind in NOT_MARKED_DONE or (by_patient and kind not in patient_kinds):
        return "kind"
    return None


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
    open_ended: bool = False


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
        or stored.open_ended != planned.open_ended
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


@dataclass(frozen=True)
class PhaseBounds:
    """Where the dashboard phases change, in days from surgery (settings).

    Without radiation, early recovery lasts to `early_recovery_until`; rehabilitation
    lasts until `surveillance_from`, where surveillance begins.
    """

    early_recovery_until: int
    surveillance_from: int


def parse_phase_bounds(early: object, surveillance: object) -> PhaseBounds:
    """The phase settings, refused with their names when they cannot be."""
    days = []
    for name, value in (
        ("PHASE_EARLY_RECOVERY_UNTIL", early),
        ("PHASE_SURVEILLANCE_FROM", surveillance),
    ):
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit():
            raise ValueError(f"{name}: {value!r} is not a whole number of days")
        days.append(int(text))
    bounds = PhaseBounds(*days)
    if not 0 <= bounds.early_recovery_until < bounds.surveillance_from:
        raise ValueError(
            "PHASE_EARLY_RECOVERY_UNTIL must be from 0 to below PHASE_SURVEILLANCE_FROM"
        )
    return bounds


def phase_on(
    surgery_date: date,
    today: date,
    radiation: tuple[date, date] | None = None,
    discharged: bool = False,
    *,
    bounds: PhaseBounds,
) -> str:
    """The patient's phase for dashboards, per ../shared/clinical.md.

    `radiation` is the (first, last) session date when radiation is planned;
    `bounds` come from the settings.
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
    elif day <= bounds.early_recovery_until:
        return "early_recovery"
    return "rehabilitation" if day < bounds.surveillance_from else "surveillance"


@dataclass(frozen=True)
class Limits:
    """What is allowed and not allowed today, from the periods in force.

    `lifted` names the periods whose limits a visit has lifted: only then may a page
    say there are no limits.
    """

    allowed: tuple[str, ...]
    not_allowed: tuple[str, ...]
    titles: tuple[str, ...]
    lifted: tuple[str, ...] = ()


class LimitEvent(DatedEvent, Structural):
    """An event that may carry activity limits."""

    item_id: str
    title: str
    status: str
    allowed: Sequence[str]
    not_allowed: Sequence[str]


def limits_on(
    events: Iterable[LimitEvent],
    today: date,
    lifted_by: Mapping[str, str] | None = None,
) -> Limits:
    """Activity limits and brace rules in force on `today` (not cancelled).

    `lifted_by` maps an item to the visit item that lifts its limits (from the
    protocol): once that visit is done, the period's "not yet" list no longer holds.
    """
    lifted_by = lifted_by or {}
    events = list(events)
    done = {e.item_id for e in events if e.status == "done"}
    allowed: list[str] = []
    not_allowed: list[str] = []
    titles: list[str] = []
    lifted: list[str] = []
    for event in events:
        if event.kind not in PERIOD_KINDS or event.status == "cancelled":
            continue
        if event.start_date <= today <= event.end_date:
            if lifted_by.get(event.item_id) in done:
                lifted.append(event.title)
                continue
            titles.append(event.title)
            allowed.extend(a for a in event.allowed if a not in allowed)
            not_allowed.extend(n for n in event.not_allowed if n not in not_allowed)
    return Limits(tuple(allowed), tuple(not_allowed), tuple(titles), tuple(lifted))


def education_on(
    protocol: Protocol, plan: Plan, today: date, page: str
) -> list[Education]:
    """The protocol's education texts that apply to this plan, day and page."""
    day = (today - plan.surgery_date).days
    return [
        entry
        for entry in protocol.education
        if page in entry.pages
        and applies(entry.when, plan)
        and (entry.from_day is None or day >= entry.from_day)
        and (entry.to_day is None or day <= entry.to_day)
    ]
