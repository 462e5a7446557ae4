"""Caregiver forms: invite someone, and the buttons of the caregivers page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired

from recovery.auth.forms import email_field
from recovery.validation import NAME_MAX, at_most


class InviteForm(FlaskForm):
    """Invite a caregiver by name and email."""

    name = StringField(
        _l("Their name"),
        validators=[
            DataRequired(_l("Enter their name.")),
            at_most(NAME_MAX),
        ],
    )
    email = email_field("Their email")
    submit = SubmitField(_l("Send the invitation"))


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class RemindersForm(FlaskForm):
    """Whether a caregiver also gets the patient's reminders."""

    receives_reminders = BooleanField(_l("Also send them my reminders"))
    submit = SubmitField(_l("Save"))
