"""Notification preferences."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TimeField
from wtforms.validators import DataRequired, Optional, ValidationError

from recovery.zones import is_timezone


class PreferencesForm(FlaskForm):
    """Channels, quiet hours, timezone; staff also alerts and a daily digest."""

    notify_in_app = BooleanField("In the app (the inbox at the top of every page)")
    notify_email = BooleanField("By email")
    email_details = BooleanField(
        "Put the details (what and when) in emails; otherwise they only say "
        "that there is a message"
    )
    quiet_start = TimeField("Quiet from", validators=[Optional()])
    quiet_end = TimeField("Quiet until", validators=[Optional()])
    timezone = StringField(
        "Timezone", validators=[DataRequired("Enter a timezone such as Europe/Berlin.")]
    )
    alert_notifications = BooleanField("Tell me at once about my patients' alerts")
    daily_digest = BooleanField("A daily digest at 07:00")
    submit = SubmitField("Save")

    def validate_timezone(self, field: StringField) -> None:
        """An IANA zone name."""
        if not is_timezone((field.data or "").strip()):
            raise ValidationError("Unknown timezone: use a name like America/Chicago.")

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Both ends of the quiet hours, or neither (Optional stops field checks)."""
        valid = super().validate(extra_validators)
        if (self.quiet_start.data is None) != (self.quiet_end.data is None):
            self.quiet_end.errors = [
                *self.quiet_end.errors,
                "Give both the start and the end of quiet hours.",
            ]
            return False
        return valid
