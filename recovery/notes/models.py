"""Clinical notes: plain text, authored and timestamped; corrections are appended."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.extensions import db
from recovery.orm import utcnow

if TYPE_CHECKING:
    from recovery.auth.models import User


class ClinicalNote(db.Model):
    """A note on a patient. After the edit window it is never changed again: a
    correction is a new note pointing at the one it corrects."""

    __tablename__ = "clinical_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinical_notes.id", ondelete="CASCADE"), index=True
    )

    author: Mapped[User | None] = relationship()
    corrections: Mapped[list[ClinicalNote]] = relationship(
        order_by="ClinicalNote.created_at", viewonly=True
    )
