"""The staff's small form on a patient's page: the patient's phone number."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Regexp

from recovery.validation import PHONE, PHONE_MAX, at_most


class PhoneForm(FlaskForm):
    """The number the care team calls the patient on (empty: none known)."""

    phone = StringField(
        _l("Patient's phone"),
        validators=[
            at_most(PHONE_MAX),
            # The API's rule, so a number valid in one is valid in the other.
            Regexp(PHONE.regex, message=PHONE.error),
        ],
    )
    submit = SubmitField(_l("Save phone"))
