"""Timeline events: each step of a patient's recovery, built from their plan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.domain.timeline import OPEN_STATUSES, PERIOD_KINDS, status_on
from recovery.extensions import db
from recovery.orm import TimestampMixin
from recovery.validation import NAME_MAX

if TYPE_CHECKING:
    from recovery.auth.models import User
    from recovery.patients.models import Patient


def _sql_list(values: Iterable[str]) -> str:
    """('a', 'b'): a SQL list of the names, for a partial index's predicate."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


# Radiation sessions that count for the patient's phase.
RADIATION_SESSION_SQL = "kind = 'radiation_session' AND status <> 'cancelled'"
# Follow-up items still to do: not periods (limits, brace), not done or cancelled.
# Built from the domain's names, so the index and the rule cannot drift apart; the
# kinds are sorted so the text (which queries repeat, and the migration holds)
# never changes with a set's order.
OPEN_ITEM_SQL = (
    f"status IN {_sql_list(OPEN_STATUSES)} "
    f"AND kind NOT IN {_sql_list(sorted(PERIOD_KINDS))}"
)


class TimelineEvent(TimestampMixin, db.Model):
    """One event of a patient's timeline, identified by a stable key."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("patient_id", "key"),
        Index("ix_timeline_events_patient_start", "patient_id", "start_date"),
        # Partial indexes for the cohort dashboard's per-patient look-ups over
        # 10,000 patients: the radiation window (phase) and open follow-up items
        # (next event, overdue). Queries must repeat the predicate's exact text.
        Index(
            "ix_timeline_events_radiation",
            "patient_id",
            "start_date",
            sqlite_where=text(RADIATION_SESSION_SQL),
            postgresql_where=text(RADIATION_SESSION_SQL),
        ),
        Index(
            "ix_timeline_events_open_item",
            "patient_id",
            "end_date",
            "start_date",
            sqlite_where=text(OPEN_ITEM_SQL),
            postgresql_where=text(OPEN_ITEM_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE")
    )
    # item_id + occurrence index: survives a rebuild, so recompute can diff by it.
    key: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(NAME_MAX))
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
    # A period with no end date in its protocol (it lasts until a visit lifts it);
    # end_date is then the end of follow-up.
    open_ended: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Which treatment episode of the patient this belongs to (a recurrence starts
    # the next one; the old events stay, readable).
    episode: Mapped[int] = mapped_column(default=1, server_default="1")
    # A clinician's sign-off of this follow-up item.
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    def status_on(self, today: date) -> str:
        """The status on the patient's `today`."""
        return status_on(self.status, self.kind, self.start_date, self.end_date, today)

    patient: Mapped[Patient] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class Episode(db.Model):
    """A finished treatment episode: the plan it followed, kept when a recurrence
    starts the next one. The current episode's plan lives on the patient."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("patient_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    surgery_date: Mapped[date]
    procedure: Mapped[str] = mapped_column(String(40))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    ended_at: Mapped[datetime]
    ended_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")

    ended_by: Mapped[User | None] = relationship()
