"""A caregiver's link to one patient: invited, active or revoked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.extensions import db
from recovery.orm import TimestampMixin, allowed

if TYPE_CHECKING:
    from recovery.auth.models import User
    from recovery.patients.models import Patient

CAREGIVER_STATUSES = ("invited", "active", "revoked")


class Caregiver(TimestampMixin, db.Model):
    """One person (role `caregiver`) who helps one patient; a person may help many."""

    __tablename__ = "caregivers"
    __table_args__ = (
        UniqueConstraint("patient_id", "user_id"),
        allowed("status", CAREGIVER_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="invited")
    # The patient's choice: this caregiver also gets the patient's reminders.
    receives_reminders: Mapped[bool] = mapped_column(default=False)
    # Carried by the emailed link; cleared on acceptance or revocation, so a link
    # works once and a new invitation makes the previous one useless.
    invitation_nonce: Mapped[str | None] = mapped_column(String(32))
    invited_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    patient: Mapped[Patient] = relationship()
    user: Mapped[User] = relationship()
