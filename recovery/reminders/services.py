"""Reminders as a person sees them: preferences, the in-app inbox, what needs
staff attention. Planning is in `planning.py`, sending in `dispatch.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    func,
    select,
)
from sqlalchemy.orm import joinedload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.extensions import db
from recovery.patients.models import CareTeamMember, Patient
from recovery.reminders.models import (
    IN_INBOX,
    NEEDS_ATTENTION,
    Reminder,
)
from recovery.reminders.planning import replan_reminders

# What a person sets on "Notification settings" (besides their timezone).
PREFERENCE_FIELDS = (
    "notify_in_app",
    "notify_email",
    "email_details",
    "quiet_start",
    "quiet_end",
    "alert_notifications",
    "daily_digest",
    "language",
)


def update_preferences(user: User, values: dict[str, Any], now: datetime) -> None:
    """Store a person's channels, quiet hours and timezone, audited; a patient's
    pending reminders move to the new hours and zone. The caller commits."""
    for name in PREFERENCE_FIELDS:
        setattr(user, name, values[name])
    user.timezone = values["timezone"]
    record("update_preferences", target=f"user:{user.id}")
    if user.patient is not None:
        replan_reminders([user.patient], now)


def reminders_needing_attention(user: User, since: datetime) -> list[Reminder]:
    """Failed and expired reminders of this person's patients (admins: all)."""
    query = select(Reminder).where(NEEDS_ATTENTION, Reminder.send_at >= since)
    if user.role != "admin":
        query = query.join(
            CareTeamMember,
            and_(
                CareTeamMember.patient_id == Reminder.patient_id,
                CareTeamMember.user_id == user.id,
            ),
        )
    query = query.options(joinedload(Reminder.patient).joinedload(Patient.user))
    return list(db.session.scalars(query.order_by(Reminder.send_at.desc()).limit(100)))


def inbox(user: User, limit: int = 100) -> list[Reminder]:
    """The person's in-app messages, newest first (reading changes nothing)."""
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.user_id == user.id, IN_INBOX)
            .order_by(Reminder.sent_at.desc(), Reminder.id.desc())
            .limit(limit)
        )
    )


def mark_read(rows: Sequence[Reminder], now: datetime) -> None:
    """Mark these in-app messages read, now; the caller commits."""
    for row in rows:
        if row.read_at is None:
            row.read_at = now


def unread_count_of(user_id: Any) -> Any:
    """The count of a person's unseen in-app messages, as a subquery (the id a
    value or a bound parameter)."""
    return (
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.user_id == user_id, IN_INBOX, Reminder.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(user: User) -> int:
    """How many in-app messages the person has not seen."""
    return int(db.session.scalar(select(unread_count_of(user.id))) or 0)
