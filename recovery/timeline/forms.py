"""Timeline forms: a clinician's change of plan or of one event; marking done."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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
    NumberRange,
    Optional,
    ValidationError,
)

from recovery.domain.plan import (
    BRACE_WEEKS,
    MALIGNANCIES,
    ORIGINS,
    PROCEDURES,
    RADIATION_START_DAYS,
    RADIATION_WEEKS,
    TUMOR_LOCATIONS,
    surgery_date_problem,
)
from recovery.i18n import labelled
from recovery.validation import (
    INSTRUCTIONS_MAX,
    NAME_MAX,
    NOTE_MAX,
    REASON_MAX,
    BoundedIntegerField,
    at_most,
    in_date_range,
)


def _range(bounds: tuple[int, int], what: LazyString) -> NumberRange:
    low, high = bounds
    return NumberRange(
        low,
        high,
        message=_l(
            "%(what)s must be from %(low)s to %(high)s.", what=what, low=low, high=high
        ),
    )


class PlanForm(FlaskForm):
    """Surgery date, radiation and brace: what the timeline is built from."""

    surgery_date = DateField(
        _l("Surgery date"),
        validators=[InputRequired(_l("Enter the surgery date.")), in_date_range],
    )
    radiation_planned = BooleanField(_l("Radiation planned"))
    radiation_start_day = BoundedIntegerField(
        _l("First radiation session, days after surgery"),
        validators=[Optional(), _range(RADIATION_START_DAYS, _l("The start day"))],
    )
    radiation_weeks = BoundedIntegerField(
        _l("Weeks of radiation"),
        validators=[Optional(), _range(RADIATION_WEEKS, _l("Weeks"))],
    )
    radiation_minutes_per_session = BoundedIntegerField(
        _l("Minutes per session"),
        # The accepted range is the protocol's: the service checks it.
        validators=[
            Optional(),
            NumberRange(1, 600, _l("Enter a whole number of minutes.")),
        ],
    )
    brace_required = BooleanField(_l("Brace or corset required"))
    brace_weeks = BoundedIntegerField(
        _l("Weeks of brace"),
        validators=[Optional(), _range(BRACE_WEEKS, _l("Weeks of brace"))],
    )
    submit = SubmitField(_l("Save plan and update the timeline"))

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
                (sub, _l("Needed when radiation is planned."))
                for sub in (
                    self.radiation_start_day,
                    self.radiation_weeks,
                    self.radiation_minutes_per_session,
                )
            ]
        if self.brace_required.data:
            needed.append((self.brace_weeks, _l("Needed when a brace is required.")))
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


def _choices(values: tuple[str, ...], table: str) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in labelled(values, table)]


class ChangePlanForm(PlanForm):
    """The whole plan a clinician may change: surgery, tumor, care team, radiation,
    brace. Staff choices are set by the view (`set_staff`); a field left out of
    the post keeps the patient's value, a value off the list is refused."""

    procedure = SelectField(
        _l("Procedure"),
        choices=_choices(PROCEDURES, "procedure"),
    )
    tumor_location = SelectField(
        _l("Tumor location"),
        choices=_choices(TUMOR_LOCATIONS, "location"),
    )
    tumor_type = StringField(
        _l("Tumor type"),
        validators=[at_most(NAME_MAX)],
    )
    malignancy = SelectField(
        _l("Malignancy"),
        choices=_choices(MALIGNANCIES, "malignancy"),
    )
    origin = SelectField(_l("Origin"), choices=_choices(ORIGINS, "origin"))
    clinician_id = SelectField(_l("Clinician"), coerce=int, validate_choice=True)
    coordinator_id = SelectField(_l("Coordinator"), coerce=int, validate_choice=True)

    def set_staff(
        self, clinicians: list[tuple[int, str]], coordinators: list[tuple[int, str]]
    ) -> None:
        """The active staff who can be on the care team; 0 is "no one yet"."""
        self.clinician_id.choices = [(0, _l("None yet")), *clinicians]
        self.coordinator_id.choices = [(0, _l("None yet")), *coordinators]

    def changes(self) -> dict[str, object]:
        """As PlanForm, "no one" leaving the care team as it is, the type trimmed."""
        values = super().changes()
        for name in ("clinician_id", "coordinator_id"):
            if values.get(name) == 0:
                values.pop(name)  # the care team keeps whoever is on it
        if isinstance(values.get("tumor_type"), str):
            values["tumor_type"] = values["tumor_type"].strip()
        return values


class EventForm(FlaskForm):
    """Reschedule or reword one event."""

    start_date = DateField(
        _l("From"), validators=[DataRequired(_l("Enter a start date.")), in_date_range]
    )
    end_date = DateField(
        _l("Until"), validators=[DataRequired(_l("Enter an end date.")), in_date_range]
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            at_most(NAME_MAX),
        ],
    )
    instructions = TextAreaField(
        _l("Instructions for the patient"),
        validators=[at_most(INSTRUCTIONS_MAX)],
    )
    submit = SubmitField(_l("Save this event"))

    def validate_end_date(self, field: DateField) -> None:
        """Not before the start."""
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date is before the start date."))


class CompleteForm(FlaskForm):
    """The one-tap "done" button."""

    submit = SubmitField(_l("Done"))


class ReviewForm(FlaskForm):
    """A clinician's sign-off of one follow-up item."""

    note = StringField(
        _l("Review note"),
        validators=[at_most(NOTE_MAX)],
    )
    submit = SubmitField(_l("Mark reviewed"))


class ExtraEventForm(EventForm):
    """An extra imaging or visit, outside the protocol."""

    kind = SelectField(
        _l("What"),
        choices=[
            SelectChoice("imaging", _l("Imaging (MRI or CT)")),
            SelectChoice("follow_up_visit", _l("Visit")),
        ],
        validators=[InputRequired(_l("Choose imaging or visit."))],
    )
    submit = SubmitField(_l("Add to the timeline"))


class RecurrenceForm(PlanForm):
    """Tumor regrowth: the plan of the next episode, and why."""

    reason = StringField(
        _l("What happened"),
        default="Tumor regrowth: repeat removal",
        validators=[
            DataRequired(_l("Say why a new episode starts.")),
            at_most(REASON_MAX),
        ],
    )
    procedure = SelectField(
        _l("Procedure of the new surgery"),
        choices=_choices(PROCEDURES, "procedure"),
        validators=[InputRequired(_l("Choose the procedure."))],
    )
    submit = SubmitField(_l("Start the new episode"))
