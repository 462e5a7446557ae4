"""Reminder planning: reminders as rows, planned from timelines and preferences.

Functions change rows and flush; the request, command or job commits once. The
rows are re-planned whenever a timeline, a preference or a care team changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Text,
    bindparam,
    cast,
    insert,
    select,
    update,
)

from recovery.auth.models import User
from recovery.domain.reminders import (
    SLACK,
    Preferences,
    ReminderEvent,
    event_window,
    plan_reminders,
)
from recovery.extensions import db
from recovery.orm import json_list
from recovery.patients.models import CareTeamMember, Patient
from recovery.reminders.models import (
    Reminder,
)
from recovery.symptoms.models import Alert
from recovery.timeline.models import TimelineEvent
from recovery.zones import local_day_bounds, local_today


def preferences(user: User) -> Preferences:
    """A person's channels, quiet hours and timezone."""
    channels = tuple(
        name
        for name, wanted in (
            ("in_app", user.notify_in_app),
            ("email", user.notify_email),
        )
        if wanted
    )
    return Preferences(user.timezone, channels, user.quiet_start, user.quiet_end)


def horizon() -> timedelta:
    """How far ahead reminders exist as rows; the nightly job extends it."""
    return timedelta(days=current_app.config["REMINDER_HORIZON_DAYS"])


# What the planner needs of one patient's events: (event id, event), by patient.
KnownEvents = dict[int, list[tuple[int, ReminderEvent]]]


def load_reminder_events(patient_ids: Sequence[int], now: datetime) -> KnownEvents:
    """The stored events of these patients that can have a reminder soon."""
    first, last = event_window(now, horizon())
    events: KnownEvents = defaultdict(list)
    for row in db.session.execute(
        select(
            TimelineEvent.id,
            TimelineEvent.patient_id,
            TimelineEvent.key,
            TimelineEvent.kind,
            TimelineEvent.title,
            TimelineEvent.start_date,
            TimelineEvent.status,
            cast(TimelineEvent.reminder_rules, Text).label("rules"),
        ).where(
            TimelineEvent.patient_id.in_(list(patient_ids)),
            TimelineEvent.start_date.between(first, last),
        )
    ):
        events[row.patient_id].append(
            (
                row.id,
                ReminderEvent(
                    row.key,
                    row.kind,
                    row.title,
                    row.start_date,
                    row.status,
                    json_list(row.rules),
                ),
            )
        )
    return events


def replan_reminders(patients: Sequence[Patient], now: datetime) -> int:
    """Bring pending reminders in line with the timelines; returns rows changed.

    New reminders are added, those of moved, done or cancelled events are
    cancelled (or moved back), sent and failed ones stay as they are. The events
    are read here, recompute included: handing recompute's own in-memory copy
    over (70 lines) did not make recomputing faster (bench/timeline.py).
    """
    if not patients:
        return 0
    ids = [patient.id for patient in patients]
    known = load_reminder_events(ids, now)
    events = {pid: [event for _, event in known.get(pid, [])] for pid in ids}
    event_ids = {
        (pid, event.key): event_id
        for pid in ids
        for event_id, event in known.get(pid, [])
    }
    existing: dict[str, Any] = {
        row.dedupe_key: row
        for row in db.session.execute(
            select(
                Reminder.id,
                Reminder.dedupe_key,
                Reminder.status,
                Reminder.send_at,
                Reminder.attempts,
            ).where(
                Reminder.patient_id.in_(ids),
                Reminder.alert_id.is_(None),
                # Quiet hours can move a reminder by under a day: rows from just
                # before now may share a key with one planned just after it.
                Reminder.send_at > now - SLACK,
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    keep: set[str] = set()
    caregivers = reminded_caregivers(ids)
    # The patient, then the caregivers the patient chose: the same reminders, on
    # each person's own channels and quiet hours; revoking one cancels theirs.
    recipients = [
        (patient, person, prefix)
        for patient in patients
        for person, prefix in (
            (patient.user, f"p{patient.id}:"),
            *((c, f"p{patient.id}:c{c.id}:") for c in caregivers.get(patient.id, [])),
        )
    ]
    for patient, recipient, prefix in recipients:
        plan = plan_reminders(
            events.get(patient.id, []),
            patient.surgery_date,
            preferences(recipient),
            now,
            horizon(),
            key_prefix=prefix,
            cadence=current_app.extensions["protocols"][patient.procedure].check_in,
        )
        for planned in plan:
            keep.add(planned.dedupe_key)
            old = existing.get(planned.dedupe_key)
            if old is None:
                inserts.append(
                    {
                        "patient_id": patient.id,
                        "user_id": recipient.id,
                        "event_id": event_ids.get(
                            (patient.id, planned.event_key or "")
                        ),
                        "rule": planned.rule,
                        "channel": planned.channel,
                        "send_at": planned.send_at,
                        "status": "pending",
                        "attempts": 0,
                        "dedupe_key": planned.dedupe_key,
                        "body": "",
                        "last_error": "",
                    }
                )
            elif old.status == "cancelled" or (
                # A reminder waiting for a retry keeps its back-off and attempts.
                old.status == "pending"
                and old.attempts == 0
                and old.send_at != planned.send_at
            ):
                moves.append({"rid": old.id, "new_send_at": planned.send_at})
    cancels = [
        row.id
        for key, row in existing.items()
        # A reminder already tried is finishing its retries: it is not re-planned.
        if row.status == "pending"
        and row.attempts == 0
        and row.send_at > now
        and key not in keep
    ]
    if inserts:
        db.session.execute(insert(Reminder), inserts)
    if moves:
        db.session.execute(
            update(Reminder.__table__)
            .where(Reminder.__table__.c.id == bindparam("rid"))
            .values(status="pending", attempts=0, send_at=bindparam("new_send_at")),
            moves,
        )
    for start in range(0, len(cancels), 500):
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(cancels[start : start + 500]))
            .values(status="cancelled"),
            execution_options={"synchronize_session": False},
        )
    db.session.flush()
    return len(inserts) + len(moves) + len(cancels)


def reminded_caregivers(patient_ids: Sequence[int]) -> dict[int, list[User]]:
    """Active caregivers who asked for these patients' reminders, by patient."""
    from recovery.caregivers.models import Caregiver

    found: dict[int, list[User]] = defaultdict(list)
    for patient_id, user in db.session.execute(
        select(Caregiver.patient_id, User)
        .join(User, User.id == Caregiver.user_id)
        .where(
            Caregiver.patient_id.in_(list(patient_ids)),
            Caregiver.status == "active",
            Caregiver.receives_reminders.is_(True),
            User.active.is_(True),
        )
        .order_by(Caregiver.id)
    ):
        found[patient_id].append(user)
    return found


def skip_todays_check_in_reminders(patient: Patient, now: datetime) -> None:
    """The patient just checked in: today's check-in reminder is not needed."""
    start, end = local_day_bounds(
        patient.user.timezone, local_today(patient.user.timezone, now)
    )
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.rule == "check_in",
            Reminder.status == "pending",
            Reminder.send_at >= max(start, now),
            Reminder.send_at < end,
        )
        .values(status="cancelled"),
        execution_options={"synchronize_session": False},
    )


def notify_care_team(alert: Alert, now: datetime) -> int:
    """Queue an alert for each member of the care team who wants alerts.

    Urgent alerts go on every channel the person chose, now, quiet hours or not;
    warnings wait for the in-app inbox.
    """
    staff = db.session.scalars(
        select(User)
        .join(CareTeamMember, CareTeamMember.user_id == User.id)
        .where(
            CareTeamMember.patient_id == alert.patient_id,
            User.active.is_(True),
            User.alert_notifications.is_(True),
        )
    ).all()
    rows = []
    for user in staff:
        channels = preferences(user).channels
        if alert.severity != "urgent":
            channels = tuple(c for c in channels if c == "in_app")
        for channel in channels:
            rows.append(
                {
                    "patient_id": alert.patient_id,
                    "user_id": user.id,
                    "alert_id": alert.id,
                    "rule": f"alert_{alert.severity}",
                    "channel": channel,
                    "send_at": now,
                    "status": "pending",
                    "attempts": 0,
                    # Each report of an open alert tells the team again.
                    "dedupe_key": f"alert:{alert.id}:{user.id}:{channel}"
                    + (f":{alert.reports}" if alert.reports > 1 else ""),
                    "body": "",
                    "last_error": "",
                }
            )
    if rows:
        db.session.execute(insert(Reminder), rows)
    return len(rows)


def queue_digest(user: User, text: str, now: datetime) -> bool:
    """Queue one daily digest for a member of staff (once per local day)."""
    key = f"digest:{user.id}:{local_today(user.timezone, now).isoformat()}"
    if db.session.scalar(select(Reminder.id).where(Reminder.dedupe_key == key)):
        return False
    db.session.add(
        Reminder(
            user_id=user.id,
            rule="digest",
            channel="email" if user.notify_email else "in_app",
            send_at=now,
            status="pending",
            dedupe_key=key,
            body=text,
        )
    )
    db.session.flush()
    return True
