"""Reminder dispatch: due rows claimed and sent once, whatever the number of
dispatchers.

Dispatch owns its transactions: it claims a batch (on PostgreSQL the next one is
claimed and loaded in a second thread while this one is sent), then journals each
reminder right after sending it (one committed line in `reminder_deliveries`), so a
dispatcher killed mid-batch repeats at most the one message it was sending. A batch's
lines are folded into `reminders` when it ends; a dead dispatcher's, when its claims
are taken over.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    Text,
    and_,
    any_,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import aliased

from recovery.auth.models import User
from recovery.domain.reminders import (
    retry_delay,
)
from recovery.extensions import db
from recovery.i18n import stored_text, text_in
from recovery.notify.channels import Channel, Message, render_messages
from recovery.orm import among, json_list
from recovery.patients.models import Patient
from recovery.reminders.models import (
    PENDING,
    SENDING,
    Reminder,
    ReminderDelivery,
)
from recovery.symptoms.models import Alert
from recovery.timeline.models import TimelineEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


EXPIRE_AFTER = timedelta(hours=12)


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

    Due means sending with a lapsed lease (a dispatcher died; what it journaled
    as sent is recorded as sent here, not taken again), then pending and due.
    Returns None when nothing is due for this dispatcher, an empty list when it
    only recorded a dead dispatcher's sends (there may be more).
    """
    held_for = lease() if held_for is None else held_for
    token = secrets.token_hex(8)
    pending = and_(PENDING, Reminder.send_at <= now)
    lapsed = and_(SENDING, Reminder.lease_until < now)
    values = {
        "status": "sending",
        "claim_token": token,
        "lease_until": now + held_for,
        "attempts": Reminder.attempts + 1,
    }

    def take(which: Any, *due: Any) -> list[int]:
        # SQLite locks no rows: the guard repeats "due", so of two dispatchers
        # that chose the same rows the second finds them taken.
        return list(
            db.session.scalars(
                update(Reminder)
                .where(which, *due)
                .values(values)
                .returning(Reminder.id),
                execution_options={"synchronize_session": False},
            )
        )

    ids: list[int] = []
    # Each lookup in its own small partial index: one OR would scan the table.
    # PostgreSQL skips rows another transaction holds (a dispatcher, a re-plan)
    # rather than waiting on them, which could deadlock; SQLite has one writer.
    lapsed_ids = db.session.scalars(
        select(Reminder.id)
        .where(lapsed)
        .order_by(Reminder.lease_until, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if lapsed_ids:
        sent = fold_journaled(lapsed_ids)
        retaken = [rid for rid in lapsed_ids if rid not in sent]
        if retaken:
            ids += take(among(Reminder.id, retaken), lapsed)
    if len(ids) < limit:
        # One statement chooses and takes: no id list goes back and forth.
        chosen = (
            select(Reminder.id)
            .where(pending)
            .order_by(Reminder.send_at, Reminder.id)
            .limit(limit - len(ids))
            .with_for_update(skip_locked=True)
        )
        if db.engine.dialect.name == "postgresql":
            # The chosen rows are locked as they are chosen, due: ARRAY(…) takes
            # them by primary key. IN (…) repeating "due" was planned as a join
            # over every pending row, most of a claim (bench/reminders.py).
            ids += take(Reminder.id == any_(func.array(chosen.scalar_subquery())))
        else:
            ids += take(Reminder.id.in_(chosen.scalar_subquery()), pending)
    db.session.commit()
    # Nothing taken and nothing folded: nothing is due that another transaction
    # does not hold; the pass ends (the next run finds what they release).
    return token, None if not ids and not lapsed_ids else sorted(ids)


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

    Measured against the plain way (an SQLAlchemy connection, INSERT and commit
    per message, synchronous_commit on), bench/reminders.py on a quiet machine,
    one dispatcher: PostgreSQL 3,280-3,546 sent/s against 872-1,267, SQLite
    7,404-7,522 against 5,595-6,024 (50,000 and 100,000 due). The plain way
    falls to about APScheduler's own rate on PostgreSQL. With the batch work
    trimmed since and done in a second thread there (`_dispatch_loop`), this
    line is most of what is left on PostgreSQL: 85-100 us a message, where a
    bare SELECT 1 round trip takes 70-90 us on this machine.
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
                among(Reminder.id, marker.sent),
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
    journals again). The caller commits; rows are updated in id order, so two
    dispatchers folding the same lapsed claims wait for each other, never deadlock.
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
        .order_by(line.reminder_id)
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
    messages: Sequence[Message],
    channels: Mapping[str, Channel],
    now: datetime,
    result: DispatchResult,
) -> None:
    """Send each claimed reminder and record it at once: sent, retried or failed.

    Sent ones are journaled one by one, then folded into `reminders` together.
    """
    marker = _SentMarker(token, now)
    try:
        _send_each(token, messages, channels, now, result, marker)
    finally:
        marker.close()
        fold_own(marker)


def _send_each(
    token: str,
    messages: Sequence[Message],
    channels: Mapping[str, Channel],
    now: datetime,
    result: DispatchResult,
    marker: _SentMarker,
) -> None:
    for message in messages:
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
    channels: Mapping[str, Channel], now: datetime, batch: int = 200
) -> DispatchResult:
    """One pass: expire the long overdue, then claim and send until nothing is due.

    Several dispatchers may run at once (several scheduler processes): each
    claims its own rows, so none sends a reminder another has claimed.
    """
    result = DispatchResult(expired=expire_overdue(now))
    drop_stale_lines()
    _dispatch_loop(channels, now, batch, result)
    return result


Claimed = tuple[str, list[Message]]


def _dispatch_loop(
    channels: Mapping[str, Channel], now: datetime, batch: int, result: DispatchResult
) -> None:
    """Claims, loads and sends batch after batch until nothing is due.

    On PostgreSQL a second thread claims and loads the next batch while one is
    sent: sending waits on the database once a message (its journal line), and
    the batch work fills those waits. One thread doing both sent 5,990-6,120 a
    second, 4.6-4.7x APScheduler, under issue 21's 5x floor; overlapped,
    7,960-9,230, 6.5-7.0x (bench/reminders.py, 50,000 and 100,000 due). At most
    one batch is claimed ahead; if sending stops with an error, it goes back to
    the queue at once rather than after its lease. SQLite has one writer: a claim
    beside the journal's writes only waits for them (13,300 against 16,000 sent/s
    there), so it goes batch by batch.
    """
    started = time.monotonic()

    def moment() -> datetime:
        # The pass's clock moves on as it runs (in whole seconds): a long pass,
        # behind a slow mail server, must not claim rows with a lease already
        # spent, nor put a retry in the past.
        return now + timedelta(seconds=int(time.monotonic() - started))

    if db.engine.dialect.name != "postgresql":
        while (claimed := _next_batch(moment(), batch)) is not None:
            send_claimed(claimed[0], claimed[1], channels, moment(), result)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch") as ahead:
        upcoming = ahead.submit(_next_batch_in, app, moment(), batch)
        while (claimed := upcoming.result()) is not None:
            upcoming = ahead.submit(_next_batch_in, app, moment(), batch)
            try:
                send_claimed(claimed[0], claimed[1], channels, moment(), result)
            except BaseException:
                _release(upcoming)
                raise


def _next_batch(now: datetime, batch: int) -> Claimed | None:
    """The next batch, claimed and ready to send; None when nothing is due."""
    token, ids = claim(now, batch, lease())
    return None if ids is None else (token, load_messages(ids))


def _next_batch_in(app: Flask, now: datetime, batch: int) -> Claimed | None:
    """The next batch, from the look-ahead thread: in an app context (and a
    session) of its own."""
    with app.app_context():
        return _next_batch(now, batch)


def _release(upcoming: Future[Claimed | None]) -> None:
    """A batch claimed ahead of a send that failed goes back to the queue."""
    try:
        claimed = upcoming.result()
    except Exception:  # the send's own error is the one to raise
        return
    if claimed is None:
        return
    try:
        db.session.rollback()
        db.session.execute(
            update(Reminder)
            .where(SENDING, Reminder.claim_token == claimed[0])
            .values(
                status="pending",
                claim_token=None,
                lease_until=None,
                attempts=Reminder.attempts - 1,
            ),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
    except Exception:  # the database is gone too: the lease frees them later
        log.warning("a batch claimed ahead waits out its lease", exc_info=True)


def load_messages(ids: Sequence[int]) -> list[Message]:
    """Everything needed to send these reminders, in one query."""
    if not ids:
        return []
    patient_user = aliased(User)
    event_patient = aliased(Patient)
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
            User.language,
            User.active,
            TimelineEvent.title,
            TimelineEvent.instructions,
            TimelineEvent.start_date,
            TimelineEvent.status.label("event_status"),
            # To name the event in the person's language (recovery.i18n.text_in).
            TimelineEvent.item_id,
            cast(TimelineEvent.allowed, Text).label("allowed"),
            cast(TimelineEvent.not_allowed, Text).label("not_allowed"),
            event_patient.procedure.label("event_procedure"),
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
        .outerjoin(event_patient, event_patient.id == TimelineEvent.patient_id)
        .outerjoin(Alert, Alert.id == Reminder.alert_id)
        .outerjoin(Patient, Patient.id == Alert.patient_id)
        .outerjoin(patient_user, patient_user.id == Patient.user_id)
        .where(among(Reminder.id, ids))
        .order_by(Reminder.send_at, Reminder.id)
    )
    public_url = current_app.config["PUBLIC_URL"]
    return render_messages([_in_language(row) for row in rows], public_url)


def _in_language(row: Any) -> Any:
    """The row with its event's title and instructions in the person's language."""
    if row.title is None or row.event_procedure is None:
        return row
    text = text_in(
        row.event_procedure,
        row.item_id,
        stored_text(
            row.title,
            row.instructions,
            json_list(row.allowed),
            json_list(row.not_allowed),
        ),
        row.language,
    )
    return SimpleNamespace(
        **{**row._asdict(), "title": text.title, "instructions": text.instructions}
    )
