"""Symptom check-ins and the alerts raised from them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.domain.symptoms import CheckIn
from recovery.extensions import db
from recovery.orm import utcnow

if TYPE_CHECKING:
    from recovery.auth.models import User
    from recovery.patients.models import Patient


class SymptomLog(db.Model):
    """One symptom check-in; a patient may send more than one a day."""

    __tablename__ = "symptom_logs"
    __table_args__ = (
        # A patient's check-ins in time order, ties by id (how the latest score
        # is read), holding the back pain score too: the cohort summary reads
        # the first 26 weeks of 1,000,000 check-ins from the index alone, no
        # table row (SQLite 0.5 s -> 0.25 s, PostgreSQL 0.48 s -> 0.32 s;
        # bench/cohort.py).
        Index(
            "ix_symptom_logs_patient_recorded_pain",
            "patient_id",
            "recorded_at",
            "id",
            "back_pain",
        ),
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
    urinary_retention: Mapped[bool | None]
    saddle_numbness: Mapped[bool | None]
    temperature_c: Mapped[float | None]
    wound: Mapped[str | None] = mapped_column(String(10))
    fatigue: Mapped[int | None]
    weight_kg: Mapped[float | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    patient: Mapped[Patient] = relationship(back_populates="symptom_logs")

    def as_check_in(self) -> CheckIn:
        """The domain view the red-flag rules read."""
        return CheckIn(
            recorded_at=self.recorded_at,
            back_pain=self.back_pain,
            leg_pain=self.leg_pain,
            numbness=self.numbness,
            leg_weakness=self.leg_weakness,
            coordination_loss=self.coordination_loss,
            bladder_incontinence=self.bladder_incontinence,
            bowel_incontinence=self.bowel_incontinence,
            urinary_retention=self.urinary_retention,
            saddle_numbness=self.saddle_numbness,
            temperature_c=self.temperature_c,
            wound=self.wound,
            fatigue=self.fatigue,
            weight_kg=self.weight_kg,
        )


class QuestionnaireResponse(db.Model):
    """A completed questionnaire (the ODI), with its answers and score."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        Index(
            "ix_questionnaire_responses_patient_recorded", "patient_id", "recorded_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE")
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("timeline_events.id", ondelete="SET NULL")
    )
    questionnaire: Mapped[str] = mapped_column(String(20), default="odi")
    answers: Mapped[list[int | None]] = mapped_column(JSON)
    score_percent: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    # A sign reported again while its alert is open adds to it (and tells the care
    # team again) instead of opening another: how often, when last, by which log.
    reports: Mapped[int] = mapped_column(default=1, server_default="1")
    last_reported_at: Mapped[datetime | None]
    last_symptom_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("symptom_logs.id", ondelete="SET NULL")
    )

    patient: Mapped[Patient] = relationship(back_populates="alerts")
    acknowledged_by: Mapped[User | None] = relationship()
