"""Reminders as rows: planned from the timeline, claimed and sent once by dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.db import utcnow
from recovery.extensions import db

if TYPE_CHECKING:
    from recovery.patients.models import Patient

REMINDER_STATUSES = ("pending", "sending", "sent", "failed", "expired", "cancelled")


class Reminder(db.Model):
    """One message to send on one channel at one instant."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_send_at", "status", "send_at"),
        Index("ix_reminders_inbox", "user_id", "channel", "status"),
    )

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
