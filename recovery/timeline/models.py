"""Timeline events: each step of a patient's recovery, built from their plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.db import TimestampMixin
from recovery.domain.timeline import status_on
from recovery.extensions import db

if TYPE_CHECKING:
    from recovery.patients.models import Patient


class TimelineEvent(TimestampMixin, db.Model):
    """One event of a patient's timeline, identified by a stable key."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("patient_id", "key"),
        Index("ix_timeline_events_patient_start", "patient_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE")
    )
    # item_id + occurrence index: survives a rebuild, so recompute can diff by it.
    key: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    # Stored: upcoming, done, missed or cancelled; "due" and "missed" are also
    # computed from the patient's today (recovery.domain.timeline.status_on).
    status: Mapped[str] = mapped_column(String(16), default="upcoming")
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # A clinician's edit: recompute never moves or cancels this event again.
    overridden: Mapped[bool] = mapped_column(default=False)
    allowed: Mapped[list[str]] = mapped_column(JSON, default=list)
    not_allowed: Mapped[list[str]] = mapped_column(JSON, default=list)
    reminder_rules: Mapped[list[str]] = mapped_column(JSON, default=list)

    def status_on(self, today: date) -> str:
        """The status on the patient's `today`."""
        return status_on(self.status, self.kind, self.start_date, self.end_date, today)

    patient: Mapped[Patient] = relationship(back_populates="events")
