"""Reminders as rows: planned from timelines, claimed and sent once by dispatch.

Planning changes rows and flushes (the caller commits). Dispatch owns its
transactions: it claims a batch, then journals each reminder right after sending it
(one committed line in `reminder_deliveries`), so a dispatcher killed mid-batch
repeats at most the one message it was sending. A batch's lines are folded into
`reminders` when it ends; a dead dispatcher's, when its claims are taken over.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased, joinedload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.db import json_list
from recovery.domain.reminders import (
    Preferences,
    ReminderEvent,
    event_window,
    plan_reminders,
    retry_delay,
)
from recovery.extensions import db
from recovery.notify.channels import Channel, Message, render_message
from recovery.patients.models import CareTeamMember, Patient
from recovery.reminders.models import (
    IN_INBOX,
    NEEDS_ATTENTION,
    PENDING,
    SENDING,
    Reminder,
    ReminderDelivery,
)
from recovery.symptoms.models import Alert
from recovery.timeline.models import TimelineEvent
from recovery.zones import local_day_bounds, local_today

MAX_ATTEMPTS = 5
EXPIRE_AFTER = timedelta(hours=12)


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


# What a person sets on "Notification settings" (besides their timezone).
PREFERENCE_FIELDS = (
    "notify_in_app",
    "notify_email",
    "email_details",
    "quiet_start",
    "quiet_end",
    "alert_notifications",
    "daily_digest",
)


def update_preferences(user: User, values: dict[str, Any], now: datetime) -> None:
    """Store a person's channels, quiet hours and timezone, audited; a patient's
    pending reminders move to the new hours and zone. The caller commits."""
    for name in PREFERENCE_FIELDS:
        setattr(user, name, values[name])
    user.timezone = values["timezone"]
    record("update_preferences", target=f"user:{user.id}")
    if user.patient is not None:
        replan_reminders([user.patient], now)


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


def replan_reminders(
    patients: Sequence[Patient], now: datetime, known: KnownEvents | None = None
) -> int:
    """Bring pending reminders in line with the timelines; returns rows changed.

    New reminders are added, those of moved, done or cancelled events are
    cancelled (or moved back), sent and failed ones stay as they are. `known`
    spares reading events a caller (recompute) already has in hand.
    """
    if not patients:
        return 0
    ids = [patient.id for patient in patients]
    known = load_reminder_events(ids, now) if known is None else known
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
                Reminder.send_at > now - timedelta(days=2),
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


# -- dispatch -----------------------------------------------------------------------


@dataclass
class DispatchResult:
    """What one dispatch pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def expire_overdue(now: datetime) -> int:
    """Reminders whose moment passed long ago (the scheduler was down) expire."""
    result = db.session.execute(
        update(Reminder)
        .where(PENDING, Reminder.send_at < now - EXPIRE_AFTER)
        .values(status="expired"),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount or 0


def lease() -> timedelta:
    """How long a claim holds its rows before another dispatcher may take them
    (REMINDER_LEASE_SECONDS, the one setting)."""
    return timedelta(seconds=current_app.config["REMINDER_LEASE_SECONDS"])


def claim(
    now: datetime, limit: int, held_for: timedelta | None = None
) -> tuple[str, list[int] | None]:
    """Atomically take up to `limit` due reminders for this dispatcher.

    Due means pending and due, or sending with a lapsed lease (a dispatcher died;
    what it journaled as sent is recorded as sent here, not taken again).
    PostgreSQL skips rows another dispatcher has locked; SQLite serialises writers,
    and the status guard in the UPDATE keeps a row from being taken twice. Returns
    None when nothing is due, an empty list when another dispatcher was faster.
    """
    held_for = lease() if held_for is None else held_for
    token = secrets.token_hex(8)
    pending = and_(PENDING, Reminder.send_at <= now)
    lapsed = and_(SENDING, Reminder.lease_until < now)
    # Two lookups, each in its own small partial index, rather than one OR, which
    # would scan the table on every batch and slow dispatch down as rows pile up.
    ids: list[int] = []
    for condition, order in (
        (lapsed, Reminder.lease_until),
        (pending, Reminder.send_at),
    ):
        if len(ids) >= limit:
            break
        found = db.session.scalars(
            select(Reminder.id)
            .where(condition)
            .order_by(order, Reminder.id)
            .limit(limit - len(ids))
            .with_for_update(skip_locked=True)
        ).all()
        if condition is lapsed and found:
            # A dead dispatcher's journaled messages went out: record, not resend.
            sent = fold_journaled(found)
            found = [rid for rid in found if rid not in sent]
        ids += found
    if not ids:
        db.session.commit()
        return token, None
    rows = db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids), or_(pending, lapsed))
        .values(
            status="sending",
            claim_token=token,
            lease_until=now + held_for,
            attempts=Reminder.attempts + 1,
        )
        .returning(Reminder.id),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    return token, sorted(row.id for row in rows)


def _finish(rid: int, token: str, values: dict[str, Any]) -> None:
    # Only the holder of the claim may finish it.
    db.session.execute(
        update(Reminder)
        .where(Reminder.id == rid, Reminder.claim_token == token)
        .values(claim_token=None, lease_until=None, **values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


class _SentMarker:
    """Journals each sent message in its own committed transaction, cheaply.

    This runs once per message, so it talks to the driver directly and appends a
    line to `reminder_deliveries` rather than updating the reminder (its row and
    two indexes): a dispatcher killed after sending repeats only that message. On
    PostgreSQL the lines do not wait for the disk (synchronous_commit off): a
    database crash could forget the last ones, which means a repeated reminder,
    never a lost one.
    """

    def __init__(self, token: str, now: datetime) -> None:
        self.token = token
        self.now = now
        self.sent: list[int] = []  # journaled and committed
        self.connection = db.engine.raw_connection()
        self.sqlite = db.engine.dialect.name == "sqlite"
        # Fixed text with the driver's own parameter marks: no value is spliced in.
        self.sql = (
            "INSERT INTO reminder_deliveries (reminder_id, claim_token, sent_at) "
            "VALUES (?, ?, ?)"
        )
        if not self.sqlite:
            self.sql = self.sql.replace("?", "%s")
        # SQLite keeps instants as text in SQLAlchemy's format (UTCDateTime).
        self.sent_at: Any = (
            now.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            if self.sqlite
            else now
        )
        # Autocommit: each INSERT is its own transaction, one round trip.
        self.driver = self.connection.dbapi_connection
        if self.sqlite:
            self.driver.isolation_level = None
        else:
            self.driver.autocommit = True
            self.driver.execute("SET synchronous_commit = off")
        self.cursor = self.driver.cursor()

    def mark(self, rid: int, journal: bool = True) -> None:
        """Sent now, under this claim: journaled at once unless the row itself
        is the delivery (then the batch's fold is the send)."""
        if journal:
            self.cursor.execute(self.sql, (rid, self.token, self.sent_at))
        self.sent.append(rid)

    def close(self) -> None:
        """Restore the connection's defaults and give it back to the pool."""
        self.cursor.close()
        if self.sqlite:
            self.driver.isolation_level = ""
        else:
            self.driver.execute("SET synchronous_commit = on")
            self.driver.autocommit = False
        self.connection.close()


def fold_own(marker: _SentMarker) -> int:
    """After a batch: what it journaled goes into `reminders`, in one transaction."""
    line = ReminderDelivery
    folded = 0
    if marker.sent:
        folded = db.session.execute(
            update(Reminder)
            .where(
                Reminder.id.in_(marker.sent),
                Reminder.claim_token == marker.token,
                Reminder.status == "sending",
            )
            .values(
                status="sent", sent_at=marker.now, claim_token=None, lease_until=None
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
    db.session.execute(
        delete(line).where(line.claim_token == marker.token),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return folded or 0


def fold_journaled(ids: Sequence[int]) -> set[int]:
    """Of these lapsed claims, marks sent those their dead dispatcher journaled.

    Only a line written under the reminder's current claim counts: one from an
    earlier claim that lapsed and was taken over is stale (the new holder sends and
    journals again). The caller holds the rows' locks and commits.
    """
    line = ReminderDelivery
    lines = db.session.execute(
        select(line.reminder_id, line.sent_at)
        .join(
            Reminder,
            and_(
                Reminder.id == line.reminder_id,
                Reminder.claim_token == line.claim_token,
            ),
        )
        .where(line.reminder_id.in_(list(ids)), Reminder.status == "sending")
    ).all()
    if not lines:
        return set()
    sent = {row.reminder_id: row.sent_at for row in lines}
    # ORM bulk UPDATE by primary key: one executemany.
    db.session.execute(
        update(Reminder),
        [
            {
                "id": rid,
                "status": "sent",
                "sent_at": at,
                "claim_token": None,
                "lease_until": None,
            }
            for rid, at in sent.items()
        ],
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(line).where(line.reminder_id.in_(list(sent))),
        execution_options={"synchronize_session": False},
    )
    return set(sent)


def drop_stale_lines() -> int:
    """Drops journal lines no claim holds any more (taken over after a lapse, or
    the reminder deleted): folding ignores them; this keeps the journal small."""
    line = ReminderDelivery
    held = (
        select(Reminder.id)
        .where(
            Reminder.id == line.reminder_id,
            Reminder.claim_token == line.claim_token,
            Reminder.status == "sending",
        )
        .exists()
    )
    dropped = db.session.execute(
        delete(line).where(~held), execution_options={"synchronize_session": False}
    ).rowcount
    db.session.commit()
    return dropped or 0


def send_claimed(
    token: str,
    ids: Sequence[int],
    channels: Mapping[str, Channel],
    now: datetime,
    result: DispatchResult,
) -> None:
    """Send each claimed reminder and record it at once: sent, retried or failed.

    Sent ones are journaled one by one, then folded into `reminders` together.
    """
    marker = _SentMarker(token, now)
    try:
        _send_each(token, ids, channels, now, result, marker)
    finally:
        marker.close()
        fold_own(marker)


def _send_each(
    token: str,
    ids: Sequence[int],
    channels: Mapping[str, Channel],
    now: datetime,
    result: DispatchResult,
    marker: _SentMarker,
) -> None:
    for message in load_messages(ids):
        channel = channels.get(message.channel)
        try:
            if message.obsolete:
                _finish(message.reminder_id, token, {"status": "cancelled"})
                result.skipped += 1
                continue
            if channel is None:
                raise RuntimeError(f"no channel {message.channel!r}")
            channel.send(message)
        except Exception as error:  # any failure of a channel is retried
            reason = f"{type(error).__name__}: {error}"[:500]
            if message.attempts >= MAX_ATTEMPTS:
                _finish(
                    message.reminder_id,
                    token,
                    {"status": "failed", "last_error": reason},
                )
                result.failed += 1
            else:
                _finish(
                    message.reminder_id,
                    token,
                    {
                        "status": "pending",
                        "send_at": now + retry_delay(message.attempts),
                        "last_error": reason,
                    },
                )
                result.retried += 1
            result.errors.append(reason)
        else:
            marker.mark(message.reminder_id, journal=not channel.transactional)
            result.sent += 1


def dispatch_due(
    channels: Mapping[str, Channel],
    now: datetime,
    batch: int = 200,
    workers: int = 1,
) -> DispatchResult:
    """One pass: expire the long overdue, then claim and send until nothing is due.

    With several workers, each is a dispatcher of its own (its own session and
    claims), as several scheduler processes would be: sending is mostly waiting on
    the mail server or the database, so they overlap.
    """
    result = DispatchResult(expired=expire_overdue(now))
    drop_stale_lines()
    if workers <= 1:
        _dispatch_loop(channels, now, batch, result)
        return result
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results = [DispatchResult() for _ in range(workers)]

    def work(mine: DispatchResult) -> None:
        with app.app_context():
            try:
                _dispatch_loop(channels, now, batch, mine)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(r,)) for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for part in results:
        result.sent += part.sent
        result.retried += part.retried
        result.failed += part.failed
        result.skipped += part.skipped
        result.errors.extend(part.errors)
    return result


def _dispatch_loop(
    channels: Mapping[str, Channel], now: datetime, batch: int, result: DispatchResult
) -> None:
    while True:
        token, ids = claim(now, batch, lease())
        if ids is None:
            return
        if ids:
            send_claimed(token, ids, channels, now, result)


def load_messages(ids: Sequence[int]) -> list[Message]:
    """Everything needed to send these reminders, in one query."""
    if not ids:
        return []
    patient_user = aliased(User)
    rows = db.session.execute(
        select(
            Reminder.id,
            Reminder.rule,
            Reminder.channel,
            Reminder.attempts,
            Reminder.send_at,
            Reminder.body,
            Reminder.patient_id,
            User.email,
            User.name,
            User.email_details,
            User.timezone,
            User.active,
            TimelineEvent.title,
            TimelineEvent.instructions,
            TimelineEvent.start_date,
            TimelineEvent.status.label("event_status"),
            Alert.message.label("alert_message"),
            Alert.severity,
            Alert.reports.label("alert_reports"),
            # Whom an alert is about: staff read it in the app and act on it.
            patient_user.name.label("patient_name"),
            Patient.mrn.label("patient_mrn"),
            Patient.phone.label("patient_phone"),
        )
        .join(User, User.id == Reminder.user_id)
        .outerjoin(TimelineEvent, TimelineEvent.id == Reminder.event_id)
        .outerjoin(Alert, Alert.id == Reminder.alert_id)
        .outerjoin(Patient, Patient.id == Alert.patient_id)
        .outerjoin(patient_user, patient_user.id == Patient.user_id)
        .where(Reminder.id.in_(list(ids)))
        .order_by(Reminder.send_at, Reminder.id)
    )
    public_url = current_app.config["PUBLIC_URL"]
    return [render_message(row, public_url) for row in rows]


def reminders_needing_attention(user: User, since: datetime) -> list[Reminder]:
    """Failed and expired reminders of this person's patients (admins: all)."""
    query = select(Reminder).where(NEEDS_ATTENTION, Reminder.send_at >= since)
    if user.role != "admin":
        query = query.join(
            CareTeamMember,
            and_(
                CareTeamMember.patient_id == Reminder.patient_id,
                CareTeamMember.user_id == user.id,
            ),
        )
    query = query.options(joinedload(Reminder.patient).joinedload(Patient.user))
    return list(db.session.scalars(query.order_by(Reminder.send_at.desc()).limit(100)))


def inbox(user: User, limit: int = 100) -> list[Reminder]:
    """The person's in-app messages, newest first (reading changes nothing)."""
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.user_id == user.id, IN_INBOX)
            .order_by(Reminder.sent_at.desc(), Reminder.id.desc())
            .limit(limit)
        )
    )


def mark_read(rows: Sequence[Reminder], now: datetime) -> None:
    """Mark these in-app messages read, now; the caller commits."""
    for row in rows:
        if row.read_at is None:
            row.read_at = now


def unread_count(user: User) -> int:
    """How many in-app messages the person has not seen."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.user_id == user.id, IN_INBOX, Reminder.read_at.is_(None))
        )
        or 0
    )
