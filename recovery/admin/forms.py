"""Admin forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from recovery.auth.forms import email_field
from recovery.validation import (
    MAX_ID,
    NAME_MAX,
    PHONE,
    PHONE_MAX,
    BoundedIntegerField,
    at_most,
    in_date_range,
)
from recovery.zones import is_timezone


class StaffForm(FlaskForm):
    """Create a member of staff; they receive an invitation by email."""

    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter the person's name.")),
            at_most(NAME_MAX),
        ],
    )
    email = email_field()
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("coordinator", _l("Care coordinator")),
            SelectChoice("clinician", _l("Clinician")),
            SelectChoice("admin", _l("Administrator")),
        ],
    )
    timezone = StringField(
        _l("Timezone (IANA name)"),
        default="UTC",
        validators=[DataRequired(_l("Enter a timezone such as America/Chicago."))],
    )
    care_team_phone = StringField(
        _l("Care team phone"),
        validators=[
            at_most(PHONE_MAX),
            Regexp(PHONE.regex, message=PHONE.error),
        ],
    )
    submit = SubmitField(_l("Create and send invitation"))

    def validate_timezone(self, field: StringField) -> None:
        """An IANA zone name such as Europe/Berlin."""
        if not is_timezone((field.data or "").strip()):
            raise ValidationError(
                _l("Unknown timezone: use a name like America/Chicago.")
            )


class AccountActionForm(FlaskForm):
    """A CSRF-protected button acting on one account."""

    submit = SubmitField(_l("Apply"))


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField(
        _l("Who (email or user id)"),
        validators=[Optional(), Length(max=254, message=_l("Too long."))],
    )
    action = StringField(
        _l("Action"), validators=[Optional(), Length(max=64, message=_l("Too long."))]
    )
    patient_id = BoundedIntegerField(
        _l("Patient id"),
        validators=[
            Optional(),
            NumberRange(1, MAX_ID, message=_l("Not a patient id.")),
        ],
    )
    since = DateField(_l("From"), validators=[Optional(), in_date_range])
    until = DateField(_l("Until"), validators=[Optional(), in_date_range])

    def validate_until(self, field: DateField) -> None:
        """Not before the start."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("Must not be before the start date."))
