"""Reminders as rows: planned from the timeline, claimed and sent once by dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, and_, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.extensions import db
from recovery.orm import utcnow

if TYPE_CHECKING:
    from recovery.patients.models import Patient

REMINDER_STATUSES = ("pending", "sending", "sent", "failed", "expired", "cancelled")


class Reminder(db.Model):
    """One message to send on one channel at one instant."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a member of staff's own messages (the daily digest).
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("timeline_events.id", ondelete="CASCADE"), index=True
    )
    # Who receives it: the patient, or a member of the care team for an alert.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE")
    )
    rule: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # Makes planning idempotent: the same reminder is never inserted twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # A claim by one dispatcher: its token and until when it holds the row.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    # Text fixed when queued (a staff digest); reminders render theirs when sent.
    body: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]  # in-app messages: when the inbox showed it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient | None] = relationship()


def _status(*values: str) -> Any:
    # Values as SQL literals, not parameters: a query must repeat a partial
    # index's condition literally for the planner to use the index.
    literals = [literal_column(f"'{value}'") for value in values]
    if len(literals) == 1:
        return Reminder.status == literals[0]
    return Reminder.status.in_(literals)


# Conditions of the partial indexes below, for the queries that use them.
PENDING = _status("pending")
SENDING = _status("sending")
IN_INBOX = and_(Reminder.channel == literal_column("'in_app'"), _status("sent"))
NEEDS_ATTENTION = _status("failed", "expired")

# Each index holds only the rows its reader looks for: the queue indexes stay the
# size of the queue however many sent reminders pile up behind it, and claiming or
# sending a reminder touches no index that holds history.
# In the order a claim takes the queue (send_at, id): the first rows are read off
# the index however stale the planner's statistics (a sort of every pending row
# was most of a claim on a freshly filled table, bench/reminders.py).
Index(
    "ix_reminders_pending",
    Reminder.send_at,
    Reminder.id,
    sqlite_where=PENDING,
    postgresql_where=PENDING,
)
Index(
    "ix_reminders_sending",
    Reminder.lease_until,
    sqlite_where=SENDING,
    postgresql_where=SENDING,
)
Index(
    "ix_reminders_inbox",
    Reminder.user_id,
    Reminder.sent_at,
    sqlite_where=IN_INBOX,
    postgresql_where=IN_INBOX,
)
Index(
    "ix_reminders_attention",
    Reminder.send_at,
    sqlite_where=NEEDS_ATTENTION,
    postgresql_where=NEEDS_ATTENTION,
)


class ReminderDelivery(db.Model):
    """A journal line: this claim sent this reminder (folded into `reminders` soon).

    Dispatch writes one line per message the moment it is sent, so a dispatcher
    killed mid-batch repeats at most the message it was sending. A line is an
    append to a small table, several times cheaper than updating the reminder row
    and its indexes; each batch's lines are folded into `reminders` in one
    transaction. No foreign key: checking it would cost a lookup per message, and
    a line whose reminder is gone is dropped at the next dispatch pass.
    """

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int]
    claim_token: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime]
