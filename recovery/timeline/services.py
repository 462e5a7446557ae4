"""Timeline use cases: build and recompute from the plan, complete, override.

Functions change rows and flush; the request, command or job commits once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Text, bindparam, cast, func, insert, select, text, update
from sqlalchemy.orm import selectinload

from recovery.audit.services import audit_values, record, record_many
from recovery.auth.models import User
from recovery.domain.checkins import asked_on
from recovery.domain.languages import SOURCE_LANGUAGE
from recovery.domain.plan import Plan
from recovery.domain.protocol import Education, Protocol, load_protocols
from recovery.domain.questionnaire import load_odi
from recovery.domain.timeline import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    PERIOD_KINDS,
    Course,
    Limits,
    PhaseBounds,
    PlannedEvent,
    StoredEvent,
    TimelineChanges,
    build,
    course_of,
    diff,
    done_refusal,
    education_on,
    limits_on,
    may_undo,
    parse_phase_bounds,
    phase_on,
)
from recovery.extensions import db
from recovery.i18n import current_language, stored_text, text_in, word
from recovery.orm import json_list, json_value
from recovery.patients.models import Patient, bump_versions
from recovery.reminders.planning import replan_reminders
from recovery.timeline import texts
from recovery.timeline.models import RADIATION_SESSION_SQL, TimelineEvent
from recovery.zones import local_today


class TimelineError(ValueError):
    """A refused change; the message is safe to show."""


def init_app(app: Flask) -> None:
    """Load the protocols and questionnaire texts once per process, parse the
    clinic's holidays and phase bounds: a bad one stops start-up, named."""
    # Every text a patient reads needs each enabled language (config LANGUAGES).
    languages = tuple(app.config["LANGUAGES"])
    app.extensions["protocols"] = load_protocols(
        Path(app.config["PROTOCOL_DIR"]), languages
    )
    app.extensions["clinic_holidays"] = parse_holidays(app.config["CLINIC_HOLIDAYS"])
    app.extensions["odi"] = load_odi(Path(app.config["ODI_FILE"]), languages)
    try:
        app.extensions["phase_bounds"] = parse_phase_bounds(
            app.config["PHASE_EARLY_RECOVERY_UNTIL"],
            app.config["PHASE_SURVEILLANCE_FROM"],
        )
    except ValueError as error:
        raise RuntimeError(str(error)) from error
    # For templates/timeline/_education.html, included by the patient's pages.
    app.jinja_env.globals["education_for"] = education_for
    app.jinja_env.globals["can_mark_done"] = can_mark_done
    texts.init_app(app)


def parse_holidays(text: str) -> frozenset[date]:
    """'2026-12-25, 2027-01-01' -> dates; a bad date stops start-up with its text."""
    days = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            days.add(date.fromisoformat(part))
        except ValueError as error:
            raise RuntimeError(
                f"CLINIC_HOLIDAYS: {part!r} is not a YYYY-MM-DD date"
            ) from error
    return frozenset(days)


def education_for(patient: Patient, today: date, page: str) -> list[Education]:
    """The leaflet's texts that apply to the patient on `today`, for one page, in
    the reader's language."""
    language = current_language()
    return [
        entry.in_language(language)
        for entry in education_on(protocol_for(patient), plan_for(patient), today, page)
    ]


def check_in_asked_on(patient: Patient, today: date) -> bool:
    """Whether the symptom check-in is asked of the patient on `today` (the
    protocol's cadence, the definition reminders and adherence use)."""
    cadence = protocol_for(patient).check_in
    before = [
        e.start_date
        for e in patient.events
        if e.kind in cadence.before_kinds
        and e.status != "cancelled"
        and e.episode == patient.episode
    ]
    return asked_on(patient.surgery_date, today, cadence, before)


def protocol_for(patient: Patient) -> Protocol:
    """The protocol of the patient's procedure."""
    protocols: dict[str, Protocol] = current_app.extensions["protocols"]
    return protocols[patient.procedure]


def plan_for(patient: Patient) -> Plan:
    """The patient's plan, with the clinic's holidays."""
    return replace(patient.plan(), holidays=current_app.extensions["clinic_holidays"])


# The columns recompute reads: plain rows, not ORM objects, so that recomputing every
# patient of a clinic stays fast (bench/timeline.py).
_STORED_COLUMNS = (
    TimelineEvent.id,
    TimelineEvent.patient_id,
    TimelineEvent.key,
    TimelineEvent.kind,
    TimelineEvent.status,
    TimelineEvent.overridden,
    TimelineEvent.start_date,
    TimelineEvent.end_date,
    TimelineEvent.title,
    TimelineEvent.instructions,
    # JSON lists as their text: the few distinct texts are decoded once (json_list).
    cast(TimelineEvent.allowed, Text).label("allowed"),
    cast(TimelineEvent.not_allowed, Text).label("not_allowed"),
    cast(TimelineEvent.reminder_rules, Text).label("reminder_rules"),
    TimelineEvent.open_ended,
)


def _values(event: PlannedEvent) -> dict[str, Any]:
    return {
        "start_date": event.start_date,
        "end_date": event.end_date,
        "title": event.title,
        "instructions": event.instructions,
        "allowed": list(event.allowed),
        "not_allowed": list(event.not_allowed),
        "reminder_rules": list(event.reminders),
        "open_ended": event.open_ended,
    }


def _current(row: Any, column: str) -> Any:
    """A stored value in the shape _values() gives it."""
    value = getattr(row, column)
    return list(json_list(value)) if column in _LIST_COLUMNS else value


_LIST_COLUMNS = frozenset({"allowed", "not_allowed", "reminder_rules"})


def recompute_timeline(patient: Patient, now: datetime) -> TimelineChanges:
    """Bring one patient's stored timeline in line with their plan and protocol."""
    return recompute_timelines([patient], now)[patient.id]


def recompute_timelines(
    patients: Sequence[Patient], now: datetime
) -> dict[int, TimelineChanges]:
    """Recompute several timelines in the caller's transaction, diffing by key.

    Adds new events, updates moved or reworded ones, reactivates those the plan
    brings back, cancels vanished ones; never touches done events or clinicians'
    overrides. Writes with bulk statements and flushes; the caller commits.
    """
    ids = [patient.id for patient in patients]
    stored: dict[int, dict[str, Any]] = {pid: {} for pid in ids}
    for row in db.session.execute(
        select(*_STORED_COLUMNS)
        .join(Patient, Patient.id == TimelineEvent.patient_id)
        .where(
            TimelineEvent.patient_id.in_(ids),
            # Earlier episodes are history: recompute never touches them.
            TimelineEvent.episode == Patient.episode,
        )
    ):
        stored[row.patient_id][row.key] = row
    inserts: list[dict[str, Any]] = []
    # Updates grouped by the columns they change: most moves change only dates.
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    cancels: list[int] = []
    audits: list[dict[str, Any]] = []
    results: dict[int, TimelineChanges] = {}
    for patient in patients:
        protocol = protocol_for(patient)
        rows = stored[patient.id]
        changes = diff(
            (
                StoredEvent(
                    r.key,
                    r.status,
                    r.overridden,
                    r.start_date,
                    r.end_date,
                    r.title,
                    r.instructions,
                    json_list(r.allowed),
                    json_list(r.not_allowed),
                    json_list(r.reminder_rules),
                    bool(r.open_ended),
                )
                for r in rows.values()
            ),
            planned_events(patient, protocol),
        )
        results[patient.id] = changes
        for event in changes.added:
            inserts.append(
                {
                    "patient_id": patient.id,
                    "key": event.key,
                    "item_id": event.item_id,
                    "kind": event.kind,
                    "status": "upcoming",
                    "episode": patient.episode,
                    **_values(event),
                }
            )
        for event in (*changes.updated, *changes.reactivated):
            row = rows[event.key]
            values = {k: v for k, v in _values(event).items() if _current(row, k) != v}
            if row.status in ("missed", "cancelled"):
                # A moved or returning event is judged again against its new window.
                values["status"] = "upcoming"
            # Bound names must differ from column names in an executemany UPDATE.
            params = {f"new_{k}": v for k, v in values.items()}
            params["event_id"] = row.id
            updates.setdefault(tuple(sorted(values)), []).append(params)
        cancels.extend(rows[key].id for key in changes.cancelled)
        version = (protocol.id, protocol.version)
        if (
            not changes.is_empty
            or (patient.protocol_id, patient.protocol_version) != version
        ):
            patient.protocol_id, patient.protocol_version = version
            audits.append(
                audit_values(
                    "recompute_timeline",
                    patient_id=patient.id,
                    details={**changes.counts(), "protocol": "@".join(version)},
                )
            )
    table = TimelineEvent.__table__
    if inserts:
        db.session.execute(insert(TimelineEvent), inserts)
    for columns, batch in updates.items():
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("event_id"))
            .values({**{c: bindparam(f"new_{c}") for c in columns}, "updated_at": now}),
            batch,
        )
    for start in range(0, len(cancels), 500):
        db.session.execute(
            update(table)
            .where(table.c.id.in_(cancels[start : start + 500]))
            .values(status="cancelled", updated_at=now)
        )
    record_many(audits)
    _forget_loaded_events(set(ids))
    db.session.flush()
    refresh_radiation_windows([p for p in patients if not results[p.id].is_empty])
    bump_versions(p.id for p in patients if not results[p.id].is_empty)
    # Reminders follow the timeline in the same transaction.
    changed = [p for p in patients if not results[p.id].is_empty]
    replan_reminders(changed, now)
    return results


def planned_events(patient: Patient, protocol: Protocol) -> list[PlannedEvent]:
    """The plan's events for the current episode.

    Keys of later episodes carry the episode ("e2/wound_check:0"), so they never
    meet an earlier episode's event or its reminders.
    """
    events = build(plan_for(patient), protocol)
    if patient.episode == 1:
        return events
    prefix = f"e{patient.episode}/"
    return [event._replace(key=prefix + event.key) for event in events]


def _forget_loaded_events(patient_ids: set[int]) -> None:
    """The bulk statements bypass the ORM: reload these patients' events on access."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Patient) and obj.id in patient_ids:
            db.session.expire(obj, ["events"])
        elif isinstance(obj, TimelineEvent) and obj.patient_id in patient_ids:
            db.session.expire(obj)


def patients_in_batches(
    patient_ids: Iterable[int] | None = None, size: int = 1000
) -> Iterator[list[Patient]]:
    """Patients with their accounts loaded, a batch at a time."""
    query = select(Patient.id).order_by(Patient.id)
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    ids = list(db.session.scalars(query))
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield list(
            db.session.scalars(
                select(Patient)
                .where(Patient.id.in_(chunk))
                .options(selectinload(Patient.user))
                .order_by(Patient.id)
            )
        )


@dataclass(frozen=True)
class TimelineView:
    """A timeline as pages show it: past, today and next, and today's limits."""

    today: date
    past: list[tuple[TimelineEvent, str]]
    current: list[tuple[TimelineEvent, str]]
    upcoming: list[tuple[TimelineEvent, str]]
    limits: Limits
    # The radiation sessions as one course, for the patient's own pages.
    radiation: Course | None = None

    def next_of(self, kind: str) -> TimelineEvent | None:
        """The next event of a kind that is not done (today's counts)."""
        for event, status in (*self.current, *self.upcoming):
            if event.kind == kind and status in ("due", "upcoming"):
                return event
        return None


@dataclass(frozen=True)
class _Row:
    # A stored event seen through its status today, for limits_on.
    item_id: str
    kind: str
    title: str
    status: str
    start_date: date
    end_date: date
    allowed: list[str]
    not_allowed: list[str]


def timeline_view(
    patient: Patient, today: date, language: str = SOURCE_LANGUAGE
) -> TimelineView:
    """Split the patient's events around `today` (in their own timezone); today's
    limits in `language` (events themselves: the `event_text` filter)."""
    past, current, upcoming = [], [], []
    rows = []
    for event in sorted(patient.events, key=lambda e: (e.start_date, e.key)):
        status = event.status_on(today)
        if event.episode == patient.episode:
            text = stored_text(
                event.title, event.instructions, event.allowed, event.not_allowed
            )
            if event.kind in PERIOD_KINDS:
                text = text_in(patient.procedure, event.item_id, text, language)
            rows.append(
                _Row(
                    event.item_id,
                    event.kind,
                    text.title,
                    status,
                    event.start_date,
                    event.end_date,
                    list(text.allowed),
                    list(text.not_allowed),
                )
            )
        if status == "cancelled":
            continue
        if event.end_date < today:
            past.append((event, status))
        elif event.start_date <= today:
            current.append((event, status))
        else:
            upcoming.append((event, status))
    radiation = course_of(
        ((r.start_date, r.status) for r in rows if r.kind == "radiation_session"), today
    )
    lifted_by = {i.id: i.lifted_by for i in protocol_for(patient).items if i.lifted_by}
    return TimelineView(
        today, past, current, upcoming, limits_on(rows, today, lifted_by), radiation
    )


def find_event(patient: Patient, event_id: int) -> TimelineEvent | None:
    """One event of this patient (None when it belongs to someone else)."""
    event = db.session.get(TimelineEvent, event_id)
    if event is None or event.patient_id != patient.id:
        return None
    return event


class CompletionRefused(TimelineError):
    """A Done the page does not offer: 403 for the kind, 409 for the status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


# Who acts on the patient's side: a caregiver marks done what the patient may.
PATIENT_SIDE = ("patient", "caregiver")


def can_mark_done(event: TimelineEvent, status: str) -> bool:
    """Whether the page offers the signed-in user a Done button for this event."""
    from flask_login import current_user

    by_patient = current_user.role in PATIENT_SIDE
    return done_refusal(event.kind, status, by_patient, patient_done_kinds()) is None


def patient_done_kinds() -> frozenset[str]:
    """The kinds of item patients mark done themselves (PATIENT_DONE_KINDS)."""
    text = current_app.config["PATIENT_DONE_KINDS"]
    return frozenset(k.strip() for k in text.split(",") if k.strip())


def complete_event(event: TimelineEvent, actor: User, now: datetime) -> None:
    """Mark an event done, if the actor's page offers it (a refusal is audited);
    a questionnaire is done only by answering it."""
    if event.status == "cancelled":
        raise TimelineError(_("This event was cancelled and cannot be marked done."))
    if event.kind == "questionnaire" and event.status != "done":
        raise TimelineError(
            _("A questionnaire is done when it is answered: fill it in instead.")
        )
    if event.status == "done":
        return
    # Staff record what happened (a visit held early included); a patient's
    # Done is held to what their page offers.
    today = local_today(event.patient.user.timezone, now)
    status = event.status_on(today)
    why = None
    if actor.role in PATIENT_SIDE:
        why = done_refusal(event.kind, status, True, patient_done_kinds())
    if why is not None:
        record(
            "complete_refused",
            patient_id=event.patient_id,
            target=f"event:{event.id}",
            details={"kind": event.kind, "status": status, "reason": why},
        )
        if why == "status":
            raise CompletionRefused(
                _(
                    "“%(title)s” is %(status)s: only due or missed items can be "
                    "marked done.",
                    title=texts.event_text_filter(event).title,
                    status=word(status),
                ),
                409,
            )
        raise CompletionRefused(
            _(
                "Your care team marks this done when it has happened (“%(title)s”).",
                title=texts.event_text_filter(event).title,
            ),
            403,
        )
    mark_done(event, actor, now)


def mark_done(event: TimelineEvent, actor: User, now: datetime) -> None:
    """Store an event as done: the one way any feature marks one (a button, an
    answered questionnaire). Audited; the version moves so the timeline's ETag
    changes; the event's reminders are re-planned away."""
    before = event.status
    event.status = "done"
    event.completed_at = now
    event.completed_by_id = actor.id
    record(
        "complete_event",
        patient_id=event.patient_id,
        target=f"event:{event.id}",
        details={"before": {"status": before}, "after": {"status": "done"}},
    )
    db.session.flush()
    bump_versions([event.patient_id])
    replan_reminders([event.patient], now)


def can_undo(event: TimelineEvent, actor: User, now: datetime) -> bool:
    """Whether `actor` may still take back their own "Done" on this event."""
    window = timedelta(minutes=current_app.config["DONE_UNDO_MINUTES"])
    return (
        event.status == "done"
        and event.completed_by_id == actor.id
        and may_undo(event.completed_at, now, window)
    )


def undo_completion(event: TimelineEvent, actor: User, now: datetime) -> None:
    """Take back one's own "Done" within the undo window; the event is open again."""
    if not can_undo(event, actor, now):
        raise TimelineError(
            _("This can no longer be undone here; ask your care team to correct it.")
        )
    event.status = "upcoming"  # status_on() turns it into due or missed again
    event.completed_at = None
    event.completed_by_id = None
    record(
        "undo_complete_event",
        patient_id=event.patient_id,
        target=f"event:{event.id}",
        details={"before": {"status": "done"}, "after": {"status": "upcoming"}},
    )
    db.session.flush()
    bump_versions([event.patient_id])
    replan_reminders([event.patient], now)


EDITABLE_EVENT_FIELDS = ("start_date", "end_date", "title", "instructions")


def override_event(
    event: TimelineEvent, changes: dict[str, Any], now: datetime
) -> None:
    """A clinician's edit of one event; recompute leaves it alone from now on."""
    start = changes.get("start_date", event.start_date)
    end = changes.get("end_date", event.end_date)
    if end < start:
        raise TimelineError(_("The end date is before the start date."))
    before = {f: json_value(getattr(event, f)) for f in EDITABLE_EVENT_FIELDS}
    for field in EDITABLE_EVENT_FIELDS:
        if field in changes:
            setattr(event, field, changes[field])
    if event.status == "missed":
        event.status = "upcoming"
    event.overridden = True
    after = {f: json_value(getattr(event, f)) for f in EDITABLE_EVENT_FIELDS}
    record(
        "override_event",
        patient_id=event.patient_id,
        target=f"event:{event.id}",
        details={"before": before, "after": after},
    )
    db.session.flush()
    bump_versions([event.patient_id])
    if event.kind == "radiation_session":
        refresh_radiation_windows([event.patient])
    replan_reminders([event.patient], now)


def refresh_radiation_windows(patients: Sequence[Patient]) -> None:
    """Store each patient's first and last radiation session from their events."""

    def session(bound: Any) -> Any:
        return (
            select(bound(TimelineEvent.start_date))
            .where(
                TimelineEvent.patient_id == Patient.__table__.c.id,
                TimelineEvent.episode == Patient.__table__.c.episode,
                text(RADIATION_SESSION_SQL),
            )
            .scalar_subquery()
        )

    table = Patient.__table__
    ids = [patient.id for patient in patients]
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(table)
            .where(table.c.id.in_(ids[start : start + 500]))
            .values(
                radiation_first_session=session(func.min),
                radiation_last_session=session(func.max),
            )
        )
    for patient in patients:
        db.session.expire(
            patient, ["radiation_first_session", "radiation_last_session"]
        )


# Phase names for people, in the reader's language (lazy: made when shown).
PHASE_NAMES = {
    "pre_op": _l("Before surgery"),
    "early_recovery": _l("Early recovery"),
    "radiation": _l("Radiation"),
    "rehabilitation": _l("Rehabilitation"),
    "surveillance": _l("Follow-up"),
    "completed": _l("Completed"),
}


def phase_of(patient: Patient, today: date) -> str:
    """The patient's phase today, from their stored radiation sessions."""
    sessions = sorted(
        e.start_date
        for e in patient.events
        if e.kind == "radiation_session" and e.status != "cancelled"
    )
    return phase_on(
        patient.surgery_date,
        today,
        (sessions[0], sessions[-1]) if sessions else None,
        discharged=patient.discharged_at is not None,
        bounds=phase_bounds(),
    )


def phase_bounds() -> PhaseBounds:
    """Where the dashboard phases change (settings, checked at start-up)."""
    bounds: PhaseBounds = current_app.extensions["phase_bounds"]
    return bounds


def review_event(
    event: TimelineEvent, reviewer: User, note: str, now: datetime
) -> None:
    """A clinician's sign-off of a follow-up item, with their note; audited."""
    if event.status == "cancelled":
        raise TimelineError(_("A cancelled item cannot be signed off."))
    before = {
        "reviewed_at": json_value(event.reviewed_at),
        "reviewed_by_id": event.reviewed_by_id,
        "review_note": event.review_note,
    }
    event.reviewed_at, event.reviewed_by_id, event.review_note = now, reviewer.id, note
    record(
        "review_event",
        patient_id=event.patient_id,
        target=f"event:{event.id}",
        details={
            "before": before,
            "after": {
                "reviewed_at": now.isoformat(),
                "reviewed_by_id": reviewer.id,
                "review_note": note,
            },
        },
    )
    db.session.flush()
    bump_versions([event.patient_id])


# The warnings of recovery.domain.symptoms that mean "pain up".
PAIN_RISING_RULES = frozenset({"back_pain_rising", "leg_pain_rising"})


def open_pain_review(patient: Patient, now: datetime) -> TimelineEvent | None:
    """A pain warning fired: put the protocol's pain review on the timeline.

    The sheet's "again whenever pain rises": due from today for the protocol's
    window; one that is still open is not opened twice. Recompute leaves it alone
    (it is not from the plan). Flushes; None when the protocol has no such item.
    """
    from recovery.zones import local_today

    item = protocol_for(patient).pain_rise_review()
    if item is None:
        return None
    today = local_today(patient.user.timezone, now)
    earlier = [
        e
        for e in patient.events
        if e.item_id == item.id and e.episode == patient.episode
    ]
    for event in earlier:
        if event.status not in FINAL_STATUSES and event.end_date >= today:
            return event
    prefix = "" if patient.episode == 1 else f"e{patient.episode}/"
    event = TimelineEvent(
        patient_id=patient.id,
        episode=patient.episode,
        key=f"{prefix}{item.id}:{len(earlier)}",
        item_id=item.id,
        kind=item.kind,
        title=item.title,
        instructions=item.instructions,
        start_date=today - timedelta(days=item.schedule.window_before),
        end_date=today + timedelta(days=item.schedule.window_after),
        status="upcoming",
        overridden=True,  # not from the plan: recompute leaves it alone
        reminder_rules=list(item.reminders),
    )
    db.session.add(event)
    db.session.flush()
    record(
        "open_pain_review",
        patient_id=patient.id,
        target=f"event:{event.id}",
        details={"before": {}, "after": {"key": event.key, "kind": event.kind}},
    )
    _forget_loaded_events({patient.id})
    bump_versions([patient.id])
    replan_reminders([patient], now)
    return event


# What a clinician may add by hand: an extra scan or visit.
EXTRA_KINDS = {"imaging": "Extra imaging", "follow_up_visit": "Extra visit"}


def add_event(
    patient: Patient, kind: str, values: dict[str, Any], now: datetime
) -> TimelineEvent:
    """Add an extra imaging or visit to the current episode; recompute keeps it."""
    if kind not in EXTRA_KINDS:
        raise TimelineError(_("Only an extra imaging or visit can be added."))
    if values["end_date"] < values["start_date"]:
        raise TimelineError(_("The end date is before the start date."))
    event = TimelineEvent(
        patient_id=patient.id,
        episode=patient.episode,
        key=f"{'' if patient.episode == 1 else f'e{patient.episode}/'}"
        f"extra:{secrets.token_hex(6)}",
        item_id="extra",
        kind=kind,
        title=values["title"],
        instructions=values.get("instructions", ""),
        start_date=values["start_date"],
        end_date=values["end_date"],
        status="upcoming",
        overridden=True,  # not from the plan: recompute leaves it alone
        # As the protocols remind of imaging and visits: a week and a day before.
        reminder_rules=["week_before", "day_before"],
    )
    db.session.add(event)
    db.session.flush()
    record(
        "add_event",
        patient_id=patient.id,
        target=f"event:{event.id}",
        details={
            "before": {},
            "after": {
                "kind": kind,
                **{f: json_value(getattr(event, f)) for f in EDITABLE_EVENT_FIELDS},
            },
        },
    )
    _forget_loaded_events({patient.id})
    bump_versions([patient.id])
    replan_reminders([patient], now)
    return event


def cancel_open_events(patient: Patient, episode: int, now: datetime) -> int:
    """Cancel the episode's open items (a new episode starts); returns how many."""
    table = TimelineEvent.__table__
    closed = db.session.execute(
        update(table)
        .where(
            table.c.patient_id == patient.id,
            table.c.episode == episode,
            table.c.status.in_(OPEN_STATUSES),
        )
        .values(status="cancelled", updated_at=now)
    ).rowcount
    _forget_loaded_events({patient.id})
    return closed


def mark_missed_events(now: datetime) -> int:
    """Store 'missed' on single events whose window ended (periods are done instead)."""
    # A day of margin: the end date is local to each patient, now is UTC.
    cutoff = (now - timedelta(days=1)).date()
    result = db.session.execute(
        update(TimelineEvent)
        .where(
            TimelineEvent.status == "upcoming",
            TimelineEvent.end_date < cutoff,
            TimelineEvent.kind.not_in(PERIOD_KINDS),
        )
        .values(status="missed"),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
