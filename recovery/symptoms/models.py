"""Symptom check-ins and the alerts raised from them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.db import utcnow
from recovery.extensions import db

if TYPE_CHECKING:
    from recovery.auth.models import User
    from recovery.patients.models import Patient


class SymptomLog(db.Model):
    """One symptom check-in; a patient may send more than one a day."""

    __tablename__ = "symptom_logs"
    __table_args__ = (
        Index("ix_symptom_logs_patient_recorded", "patient_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    back_pain: Mapped[int]
    leg_pain: Mapped[int | None]
    numbness: Mapped[bool | None]
    leg_weakness: Mapped[str | None] = mapped_column(String(10))
    coordination_loss: Mapped[bool | None]
    bladder_incontinence: Mapped[bool | None]
    bowel_incontinence: Mapped[bool | None]
    saddle_numbness: Mapped[bool | None]
    temperature_c: Mapped[float | None]
    wound: Mapped[str | None] = mapped_column(String(10))
    fatigue: Mapped[int | None]
    weight_kg: Mapped[float | None]
    notes: Mapped[str] = mapped_column(Text, default="")

    patient: Mapped[Patient] = relationship(back_populates="symptom_logs")


class Alert(db.Model):
    """A red flag or warning raised for the care team."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_patient", "status", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE")
    )
    symptom_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("symptom_logs.id", ondelete="SET NULL")
    )
    severity: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledge_note: Mapped[str] = mapped_column(Text, default="")

    patient: Mapped[Patient] = relationship(back_populates="alerts")
    acknowledged_by: Mapped[User | None] = relationship()
