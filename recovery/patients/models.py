"""Patients with their surgery plan, and the care team that follows each one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from recovery.domain.plan import (
    MALIGNANCIES,
    ORIGINS,
    PROCEDURES,
    TUMOR_LOCATIONS,
    BracePlan,
    Plan,
    RadiationPlan,
)
from recovery.extensions import db
from recovery.orm import TimestampMixin, allowed, utcnow
from recovery.validation import NAME_MAX, PHONE_MAX

if TYPE_CHECKING:
    from recovery.auth.models import User
    from recovery.symptoms.models import Alert, SymptomLog
    from recovery.timeline.models import Episode, TimelineEvent


class Patient(TimestampMixin, db.Model):
    """A patient after lumbar spinal tumor surgery; name and email live on the user."""

    __tablename__ = "patients"
    __table_args__ = (
        allowed("procedure", PROCEDURES),
        allowed("tumor_location", TUMOR_LOCATIONS),
        allowed("malignancy", MALIGNANCIES),
        allowed("origin", ORIGINS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    date_of_birth: Mapped[date]
    surgery_date: Mapped[date] = mapped_column(index=True)
    procedure: Mapped[str] = mapped_column(String(40), index=True)
    tumor_location: Mapped[str] = mapped_column(String(40), index=True)
    tumor_type: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    malignancy: Mapped[str] = mapped_column(String(20), index=True)
    origin: Mapped[str] = mapped_column(String(20), default="unknown")
    # The patient's own number, so the care team can call back after a red flag.
    phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="", server_default="")
    radiation_planned: Mapped[bool] = mapped_column(default=False)
    radiation_start_day: Mapped[int] = mapped_column(default=14)
    radiation_weeks: Mapped[int] = mapped_column(default=2)
    radiation_minutes_per_session: Mapped[int] = mapped_column(default=15)
    brace_required: Mapped[bool] = mapped_column(default=False)
    brace_weeks: Mapped[int] = mapped_column(default=6)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    coordinator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True
    )
    protocol_id: Mapped[str | None] = mapped_column(String(64))
    protocol_version: Mapped[str | None] = mapped_column(String(32))
    discharged_at: Mapped[datetime | None]
    # First and last radiation session not cancelled, kept by the timeline services
    # (refresh_radiation_windows) so the cohort's phase is a plain row expression.
    radiation_first_session: Mapped[date | None]
    radiation_last_session: Mapped[date | None]
    # The current treatment episode (1 until a recurrence starts a new one).
    episode: Mapped[int] = mapped_column(default=1, server_default="1")
    # Bumped by every change of the record or its timeline: the API's ETags, and
    # If-Match claims it atomically (UPDATE ... WHERE version = expected).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The private calendar feed: only a hash of its secret is kept; None = no feed.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    user: Mapped[User] = relationship(back_populates="patient", foreign_keys=[user_id])
    clinician: Mapped[User | None] = relationship(foreign_keys=[clinician_id])
    coordinator: Mapped[User | None] = relationship(foreign_keys=[coordinator_id])
    care_team: Mapped[list[CareTeamMember]] = relationship(
        back_populates="patient", cascade="all, delete-orphan"
    )
    # The current episode's events; events are written by the timeline services'
    # bulk statements and removed with the patient by the database's cascade.
    events: Mapped[list[TimelineEvent]] = relationship(
        primaryjoin="and_(Patient.id == foreign(TimelineEvent.patient_id), "
        "Patient.episode == foreign(TimelineEvent.episode))",
        viewonly=True,
        order_by="TimelineEvent.start_date",
    )
    # Every episode's events, for reading a finished episode.
    all_events: Mapped[list[TimelineEvent]] = relationship(
        viewonly=True, order_by="(TimelineEvent.episode, TimelineEvent.start_date)"
    )
    episodes: Mapped[list[Episode]] = relationship(
        viewonly=True, order_by="Episode.number"
    )
    symptom_logs: WriteOnlyMapped[SymptomLog] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )
    alerts: WriteOnlyMapped[Alert] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def name(self) -> str:
        """The patient's name, from their account."""
        return self.user.name

    def plan(self) -> Plan:
        """The domain view of this patient's plan."""
        return Plan(
            surgery_date=self.surgery_date,
            procedure=self.procedure,
            tumor_location=self.tumor_location,
            tumor_type=self.tumor_type,
            malignancy=self.malignancy,
            origin=self.origin,
            radiation=RadiationPlan(
                planned=self.radiation_planned,
                start_day=self.radiation_start_day,
                weeks=self.radiation_weeks,
                minutes_per_session=self.radiation_minutes_per_session,
            ),
            brace=BracePlan(required=self.brace_required, weeks=self.brace_weeks),
            timezone=self.user.timezone,
        )


class CareTeamMember(db.Model):
    """A member of staff who follows a patient; staff see only these patients."""

    __tablename__ = "care_team_members"
    __table_args__ = (UniqueConstraint("patient_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="care_team")
    user: Mapped[User] = relationship()


def bump_versions(patient_ids: Iterable[int]) -> None:
    """Mark these patients' records changed (new ETags); the caller commits."""
    from sqlalchemy import update

    table = Patient.__table__
    ids = sorted(set(patient_ids))
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(table)
            .where(table.c.id.in_(ids[start : start + 500]))
            .values(version=table.c.version + 1)
        )
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Patient) and obj.id in ids:
            db.session.expire(obj, ["version"])
