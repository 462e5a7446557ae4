"""Timeline forms: a clinician's change of plan or of one event; marking done."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from recovery.domain.plan import (
    BRACE_WEEKS,
    PROCEDURES,
    RADIATION_START_DAYS,
    RADIATION_WEEKS,
    surgery_date_problem,
)
from recovery.validation import BoundedIntegerField, in_date_range


def _range(bounds: tuple[int, int], what: str) -> NumberRange:
    low, high = bounds
    return NumberRange(low, high, message=f"{what} must be from {low} to {high}.")


class PlanForm(FlaskForm):
    """Surgery date, radiation and brace: what the timeline is built from."""

    surgery_date = DateField(
        "Surgery date",
        validators=[InputRequired("Enter the surgery date."), in_date_range],
    )
    radiation_planned = BooleanField("Radiation planned")
    radiation_start_day = BoundedIntegerField(
        "First radiation session, days after surgery",
        validators=[Optional(), _range(RADIATION_START_DAYS, "The start day")],
    )
    radiation_weeks = BoundedIntegerField(
        "Weeks of radiation", validators=[Optional(), _range(RADIATION_WEEKS, "Weeks")]
    )
    radiation_minutes_per_session = BoundedIntegerField(
        "Minutes per session",
        # The accepted range is the protocol's: the service checks it.
        validators=[
            Optional(),
            NumberRange(1, 600, "Enter a whole number of minutes."),
        ],
    )
    brace_required = BooleanField("Brace or corset required")
    brace_weeks = BoundedIntegerField(
        "Weeks of brace", validators=[Optional(), _range(BRACE_WEEKS, "Weeks of brace")]
    )
    submit = SubmitField("Save plan and update the timeline")

    def __init__(self, *args, today: date, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._today = today

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Planned radiation needs its numbers, a required brace its weeks.

        Checked after every field: before its own turn a field's errors are
        WTForms' read-only tuple, and a message appended there was a 500.
        """
        valid = super().validate(extra_validators)
        needed = []
        if self.radiation_planned.data:
            needed += [
                (sub, "Needed when radiation is planned.")
                for sub in (
                    self.radiation_start_day,
                    self.radiation_weeks,
                    self.radiation_minutes_per_session,
                )
            ]
        if self.brace_required.data:
            needed.append((self.brace_weeks, "Needed when a brace is required."))
        for sub, message in needed:
            if sub.data is None and not sub.errors:
                sub.errors = [*sub.errors, message]
                valid = False
        return valid

    def changes(self) -> dict[str, object]:
        """The plan fields that were filled in (blank numbers keep their values)."""
        return {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("csrf_token", "submit") and field.data is not None
        }

    def validate_surgery_date(self, field: DateField) -> None:
        """Not more than a year ahead nor past the follow-up period."""
        if field.data is not None:
            problem = surgery_date_problem(field.data, self._today)
            if problem:
                raise ValidationError(problem)


class EventForm(FlaskForm):
    """Reschedule or reword one event."""

    start_date = DateField(
        "From", validators=[DataRequired("Enter a start date."), in_date_range]
    )
    end_date = DateField(
        "Until", validators=[DataRequired("Enter an end date."), in_date_range]
    )
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title."),
            Length(max=200, message="Use at most 200 characters."),
        ],
    )
    instructions = TextAreaField(
        "Instructions for the patient",
        validators=[Length(max=5000, message="Use at most 5000 characters.")],
    )
    submit = SubmitField("Save this event")

    def validate_end_date(self, field: DateField) -> None:
        """Not before the start."""
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date is before the start date.")


class CompleteForm(FlaskForm):
    """The one-tap "done" button."""

    submit = SubmitField("Done")


class ReviewForm(FlaskForm):
    """A clinician's sign-off of one follow-up item."""

    note = StringField(
        "Review note",
        validators=[Length(max=1000, message="Use at most 1000 characters.")],
    )
    submit = SubmitField("Mark reviewed")


class ExtraEventForm(EventForm):
    """An extra imaging or visit, outside the protocol."""

    kind = SelectField(
        "What",
        choices=[
            SelectChoice("imaging", "Imaging (MRI or CT)"),
            SelectChoice("follow_up_visit", "Visit"),
        ],
        validators=[InputRequired("Choose imaging or visit.")],
    )
    submit = SubmitField("Add to the timeline")


class RecurrenceForm(PlanForm):
    """Tumor regrowth: the plan of the next episode, and why."""

    reason = StringField(
        "What happened",
        default="Tumor regrowth: repeat removal",
        validators=[
            DataRequired("Say why a new episode starts."),
            Length(max=500, message="Use at most 500 characters."),
        ],
    )
    procedure = SelectField(
        "Procedure of the new surgery",
        choices=[SelectChoice(p, p.replace("_", " ").capitalize()) for p in PROCEDURES],
        validators=[InputRequired("Choose the procedure.")],
    )
    submit = SubmitField("Start the new episode")
