"""Timeline use cases: build and recompute from the plan, complete, override.

Functions change rows and flush; the request, command or job commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.domain.plan import Plan
from recovery.domain.protocol import Protocol, load_protocols
from recovery.domain.timeline import (
    Limits,
    PlannedEvent,
    StoredEvent,
    TimelineChanges,
    build,
    diff,
    limits_on,
)
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.timeline.models import TimelineEvent


class TimelineError(ValueError):
    """A refused change; the message is safe to show."""


def init_app(app: Flask) -> None:
    """Load the protocols once per process and parse the clinic's holidays."""
    app.extensions["protocols"] = load_protocols(Path(app.config["PROTOCOL_DIR"]))
    app.extensions["clinic_holidays"] = parse_holidays(app.config["CLINIC_HOLIDAYS"])


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


def protocol_for(patient: Patient) -> Protocol:
    """The protocol of the patient's procedure."""
    protocols: dict[str, Protocol] = current_app.extensions["protocols"]
    return protocols[patient.procedure]


def plan_for(patient: Patient) -> Plan:
    """The patient's plan, with the clinic's holidays."""
    return replace(patient.plan(), holidays=current_app.extensions["clinic_holidays"])


def _stored(event: TimelineEvent) -> StoredEvent:
    return StoredEvent(
        key=event.key,
        status=event.status,
        overridden=event.overridden,
        start_date=event.start_date,
        end_date=event.end_date,
        title=event.title,
        instructions=event.instructions,
        allowed=tuple(event.allowed),
        not_allowed=tuple(event.not_allowed),
    )


def _write(event: TimelineEvent, planned: PlannedEvent) -> None:
    event.start_date = planned.start_date
    event.end_date = planned.end_date
    event.title = planned.title
    event.instructions = planned.instructions
    event.allowed = list(planned.allowed)
    event.not_allowed = list(planned.not_allowed)
    event.reminder_rules = list(planned.reminders)
    if event.status == "missed":
        event.status = "upcoming"  # moved: the new window decides again


def recompute_timeline(patient: Patient) -> TimelineChanges:
    """Bring the stored timeline in line with the plan and protocol, by key.

    Adds new events, updates moved or reworded ones, cancels vanished ones, and never
    touches done events or clinicians' overrides. Flushes; the caller commits.
    """
    protocol = protocol_for(patient)
    planned = build(plan_for(patient), protocol)
    by_key = {event.key: event for event in patient.events}
    changes = diff((_stored(e) for e in by_key.values()), planned)
    for event in changes.added:
        row = TimelineEvent(
            key=event.key, item_id=event.item_id, kind=event.kind, status="upcoming"
        )
        _write(row, event)
        patient.events.append(row)
    for event in (*changes.updated, *changes.reactivated):
        row = by_key[event.key]
        if row.status == "cancelled":
            row.status = "upcoming"
        _write(row, event)
    for key in changes.cancelled:
        by_key[key].status = "cancelled"
    version_changed = (patient.protocol_id, patient.protocol_version) != (
        protocol.id,
        protocol.version,
    )
    patient.protocol_id = protocol.id
    patient.protocol_version = protocol.version
    if not changes.is_empty or version_changed:
        record(
            "recompute_timeline",
            patient_id=patient.id,
            details={
                **changes.counts(),
                "protocol": f"{protocol.id}@{protocol.version}",
            },
        )
    db.session.flush()
    return changes


def patients_in_batches(
    patient_ids: Iterable[int] | None = None, size: int = 500
) -> Iterator[list[Patient]]:
    """Patients with their events and accounts loaded, a batch at a time."""
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
                .options(selectinload(Patient.events), selectinload(Patient.user))
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


@dataclass(frozen=True)
class _Row:
    # A stored event seen through its status today, for limits_on.
    kind: str
    title: str
    status: str
    start_date: date
    end_date: date
    allowed: list[str]
    not_allowed: list[str]


def timeline_view(patient: Patient, today: date) -> TimelineView:
    """Split the patient's events around `today` (in their own timezone)."""
    past, current, upcoming = [], [], []
    rows = []
    for event in patient.events:
        status = event.status_on(today)
        rows.append(
            _Row(
                event.kind,
                event.title,
                status,
                event.start_date,
                event.end_date,
                event.allowed,
                event.not_allowed,
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
    return TimelineView(today, past, current, upcoming, limits_on(rows, today))


def find_event(patient: Patient, event_id: int) -> TimelineEvent | None:
    """One event of this patient (None when it belongs to someone else)."""
    event = db.session.get(TimelineEvent, event_id)
    if event is None or event.patient_id != patient.id:
        return None
    return event


def complete_event(event: TimelineEvent, actor: User, now: datetime) -> None:
    """Mark an event done."""
    if event.status == "cancelled":
        raise TimelineError("This event was cancelled and cannot be marked done.")
    if event.status == "done":
        return
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


EDITABLE_EVENT_FIELDS = ("start_date", "end_date", "title", "instructions")


def override_event(event: TimelineEvent, changes: dict[str, Any]) -> None:
    """A clinician's edit of one event; recompute leaves it alone from now on."""
    start = changes.get("start_date", event.start_date)
    end = changes.get("end_date", event.end_date)
    if end < start:
        raise TimelineError("The end date is before the start date.")
    before = {f: _jsonable(getattr(event, f)) for f in EDITABLE_EVENT_FIELDS}
    for field in EDITABLE_EVENT_FIELDS:
        if field in changes:
            setattr(event, field, changes[field])
    if event.status == "missed":
        event.status = "upcoming"
    event.overridden = True
    after = {f: _jsonable(getattr(event, f)) for f in EDITABLE_EVENT_FIELDS}
    record(
        "override_event",
        patient_id=event.patient_id,
        target=f"event:{event.id}",
        details={"before": before, "after": after},
    )
    db.session.flush()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
