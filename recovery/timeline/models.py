"""Timeline events: each step of a patient's recovery, built from their plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.db import TimestampMixin
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
    status: Mapped[str] = mapped_column(String(16), default="upcoming")
    completed_at: Mapped[datetime | None]
    overridden: Mapped[bool] = mapped_column(default=False)

    patient: Mapped[Patient] = relationship(back_populates="events")
