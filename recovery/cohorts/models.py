"""Saved cohorts: a named set of dashboard filters, kept per member of staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recovery.extensions import db
from recovery.orm import utcnow


class SavedCohort(db.Model):
    """A bookmark of the dashboard: its name and the filters' query string."""

    __tablename__ = "saved_cohorts"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Only validated filter names and values, re-encoded: never free text from a URL.
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
