"""Clinical notes: write, edit within the window, correct by appending; all audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.domain.notes import body_problem, edit_problem
from recovery.extensions import db
from recovery.notes.models import ClinicalNote
from recovery.patients.models import Patient


class NoteError(ValueError):
    """A refused note or change; the message is safe to show."""


def patient_notes(patient: Patient) -> list[ClinicalNote]:
    """The patient's notes, newest first, each with its corrections."""
    return list(
        db.session.scalars(
            select(ClinicalNote)
            .where(
                ClinicalNote.patient_id == patient.id,
                ClinicalNote.corrects_id.is_(None),
            )
            .options(
                selectinload(ClinicalNote.author),
                selectinload(ClinicalNote.corrections).selectinload(
                    ClinicalNote.author
                ),
            )
            .order_by(ClinicalNote.created_at.desc(), ClinicalNote.id.desc())
        )
    )


def add_note(
    patient: Patient,
    author: User,
    body: str,
    now: datetime,
    corrects: ClinicalNote | None = None,
) -> ClinicalNote:
    """A new note, or a correction appended to an earlier one."""
    problem = body_problem(body)
    if problem:
        raise NoteError(problem)
    if corrects is not None and (
        corrects.patient_id != patient.id or corrects.corrects_id is not None
    ):
        raise NoteError("Corrections are added to an original note of this patient.")
    note = ClinicalNote(
        patient_id=patient.id,
        author_id=author.id,
        body=body.strip(),
        created_at=now,
        corrects_id=corrects.id if corrects else None,
    )
    db.session.add(note)
    db.session.flush()
    record(
        "correct_note" if corrects else "add_note",
        patient_id=patient.id,
        target=f"note:{note.id}",
        details={"corrects": corrects.id} if corrects else {},
    )
    return note


def edit_note(note: ClinicalNote, editor: User, body: str, now: datetime) -> None:
    """Change a note's text: only its author, only within 24 hours; audited."""
    problem = edit_problem(note.author_id, editor.id, note.created_at, now)
    problem = problem or body_problem(body)
    if problem:
        raise NoteError(problem)
    before = note.body
    note.body, note.edited_at = body.strip(), now
    record(
        "edit_note",
        patient_id=note.patient_id,
        target=f"note:{note.id}",
        details={"before": {"body": before}, "after": {"body": note.body}},
    )
    db.session.flush()
