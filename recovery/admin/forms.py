"""Admin forms."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from recovery.auth.forms import email_field
from recovery.zones import is_timezone


class StaffForm(FlaskForm):
    """Create a member of staff; they receive an invitation by email."""

    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter the person's name."),
            Length(max=200, message="Use at most 200 characters."),
        ],
    )
    email = email_field()
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("coordinator", "Care coordinator"),
            SelectChoice("clinician", "Clinician"),
            SelectChoice("admin", "Administrator"),
        ],
    )
    timezone = StringField(
        "Timezone (IANA name)",
        default="UTC",
        validators=[DataRequired("Enter a timezone such as America/Chicago.")],
    )
    submit = SubmitField("Create and send invitation")

    def validate_timezone(self, field: StringField) -> None:
        """An IANA zone name such as Europe/Berlin."""
        if not is_timezone((field.data or "").strip()):
            raise ValidationError("Unknown timezone: use a name like America/Chicago.")


class AccountActionForm(FlaskForm):
    """A CSRF-protected button acting on one account."""

    submit = SubmitField("Apply")
