"""Notification preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TimeField
from wtforms.validators import DataRequired, Optional, ValidationError

from recovery.i18n import language_choices
from recovery.zones import is_timezone


class PreferencesForm(FlaskForm):
    """Channels, quiet hours, timezone; staff also alerts and a daily digest."""

    notify_in_app = BooleanField(_l("In the app (the inbox at the top of every page)"))
    notify_email = BooleanField(_l("By email"))
    email_details = BooleanField(
        _l(
            "Put the details (what and when) in emails; otherwise they only say "
            "that there is a message"
        )
    )
    quiet_start = TimeField(_l("Quiet from"), validators=[Optional()])
    quiet_end = TimeField(_l("Quiet until"), validators=[Optional()])
    timezone = StringField(
        _l("Timezone"),
        validators=[DataRequired(_l("Enter a timezone such as Europe/Berlin."))],
    )
    language = SelectField(_l("Language"))
    alert_notifications = BooleanField(_l("Tell me at once about my patients' alerts"))
    daily_digest = BooleanField(_l("A daily digest at 07:00"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()

    def validate_timezone(self, field: StringField) -> None:
        """An IANA zone name."""
        if not is_timezone((field.data or "").strip()):
            raise ValidationError(
                _l("Unknown timezone: use a name like America/Chicago.")
            )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Both ends of the quiet hours, or neither (Optional stops field checks)."""
        valid = super().validate(extra_validators)
        if (self.quiet_start.data is None) != (self.quiet_end.data is None):
            self.quiet_end.errors = [
                *self.quiet_end.errors,
                _l("Give both the start and the end of quiet hours."),
            ]
            return False
        return valid
