"""The note form (new note, correction or edit)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired

from recovery.domain.notes import MAX_NOTE_LENGTH
from recovery.validation import at_most


class NoteForm(FlaskForm):
    """Plain text, up to 10,000 characters."""

    body = TextAreaField(
        _l("Note"),
        validators=[
            DataRequired(_l("Write the note.")),
            at_most(MAX_NOTE_LENGTH),
        ],
    )
    submit = SubmitField(_l("Save note"))
