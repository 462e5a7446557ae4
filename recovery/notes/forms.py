"""The note form (new note, correction or edit)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from recovery.domain.notes import MAX_NOTE_LENGTH


class NoteForm(FlaskForm):
    """Plain text, up to 10,000 characters."""

    body = TextAreaField(
        "Note",
        validators=[
            DataRequired("Write the note."),
            Length(
                max=MAX_NOTE_LENGTH,
                message=f"Use at most {MAX_NOTE_LENGTH} characters.",
            ),
        ],
    )
    submit = SubmitField("Save note")
