"""The symptom check-in and the ODI questionnaire, as forms that work without JS."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from recovery.domain.scoring import ODI_MAX_ANSWER, ODI_SECTIONS
from recovery.domain.symptoms import NOTES_MAX, SCALE, TEMPERATURE_C, WEIGHT_KG
from recovery.domain.units import (
    temperature_range,
    to_celsius,
    to_kg,
    weight_range,
)
from recovery.validation import NOTE_MAX, FiniteDecimalField, at_most

ZERO_TO_TEN = [SelectChoice(n, str(n)) for n in range(SCALE[0], SCALE[1] + 1)]
# The form's own fields that are not answers: the units the numbers were typed in.
UNIT_FIELDS = ("temperature", "temperature_unit", "weight", "weight_unit")


def _scale(
    label: LazyString, out_of_range: LazyString, missing: LazyString | None = None
) -> RadioField:
    """A 0-10 scale as large radio buttons (`missing`: the answer is required)."""
    first = InputRequired(missing) if missing is not None else Optional()
    return RadioField(
        label,
        choices=ZERO_TO_TEN,
        coerce=int,
        validate_choice=False,  # NumberRange gives a clearer message
        validators=[first, NumberRange(*SCALE, out_of_range)],
    )


def _check_measure(
    field: FiniteDecimalField,
    unit: str,
    limits: tuple[float, float],
    to_stored: Callable[[float, str], float],
    limits_in: Callable[[str], tuple[float, float]],
    message: LazyString,
) -> None:
    """A number typed in `unit` must lie within `limits` (in °C or kg); the
    refusal gives the limits in the unit the patient typed."""
    if field.data is None:
        return
    low, high = limits
    if not low <= to_stored(float(field.data), unit) <= high:
        low, high = limits_in(unit)
        values = {"low": f"{low:g}", "high": f"{high:g}", "unit": unit}
        raise ValidationError(str(message) % values)


class CheckInForm(FlaskForm):
    """Every field of the symptom check-in; only back pain is required."""

    back_pain = _scale(
        _l("Back pain now (0 = no pain, 10 = worst imaginable)"),
        _l("Back pain must be from 0 to 10."),
        missing=_l("Choose your back pain from 0 to 10."),
    )
    leg_pain = _scale(
        _l("Leg pain now (0 = no pain, 10 = worst imaginable)"),
        _l("Leg pain must be from 0 to 10."),
    )
    numbness = BooleanField(_l("Numbness or tingling in my legs"))
    leg_weakness = RadioField(
        _l("Strength in my legs"),
        choices=[
            SelectChoice("none", _l("Normal")),
            SelectChoice("mild", _l("A little weak, as before")),
            SelectChoice("worse", _l("Weaker than before")),
        ],
        validators=[Optional()],
    )
    coordination_loss = BooleanField(_l("I am clumsy or unsteady in a new way"))
    bladder_incontinence = BooleanField(_l("I cannot control my bladder (new)"))
    urinary_retention = BooleanField(_l("I cannot pass urine"))
    bowel_incontinence = BooleanField(_l("I cannot control my bowels (new)"))
    saddle_numbness = BooleanField(_l("Numbness between my legs or around my bottom"))
    # Typed in the unit the patient's thermometer shows; stored in °C.
    temperature = FiniteDecimalField(
        _l("Temperature, if you measured it"), places=1, validators=[Optional()]
    )
    temperature_unit = RadioField(
        _l("Temperature in"),
        choices=[SelectChoice("C", "°C"), SelectChoice("F", "°F")],
        default="C",
    )
    wound = RadioField(
        _l("My wound looks"),
        choices=[
            SelectChoice("healing", _l("Clean and healing")),
            SelectChoice("red", _l("Red around the edges")),
            SelectChoice("draining", _l("Leaking fluid")),
            SelectChoice("opened", _l("Opened")),
        ],
        validators=[Optional()],
    )
    fatigue = _scale(
        _l("Tiredness (0 = none, 10 = exhausted)"),
        _l("Tiredness must be from 0 to 10."),
    )
    # Typed in the unit the patient's scale shows; stored in kg.
    weight = FiniteDecimalField(
        _l("Weight, if you weighed yourself"), places=1, validators=[Optional()]
    )
    weight_unit = RadioField(
        _l("Weight in"),
        choices=[SelectChoice("kg", "kg"), SelectChoice("lb", "lb")],
        default="kg",
    )
    notes = TextAreaField(
        _l("Anything else you want your care team to know"),
        validators=[
            Length(
                max=NOTES_MAX,
                message=_l(
                    "Please keep notes under %(max)s characters.", max=NOTES_MAX
                ),
            )
        ],
    )
    submit = SubmitField(_l("Send my check-in"))

    def validate_temperature(self, field: FiniteDecimalField) -> None:
        """Within TEMPERATURE_C, said in the unit the patient typed."""
        _check_measure(
            field,
            self.temperature_unit.data or "C",
            TEMPERATURE_C,
            to_celsius,
            temperature_range,
            _l("Temperature must be from %(low)s to %(high)s °%(unit)s."),
        )

    def validate_weight(self, field: FiniteDecimalField) -> None:
        """Within WEIGHT_KG, said in the unit the patient typed."""
        _check_measure(
            field,
            self.weight_unit.data or "kg",
            WEIGHT_KG,
            to_kg,
            weight_range,
            _l("Weight must be from %(low)s to %(high)s %(unit)s."),
        )

    def values(self) -> dict[str, object]:
        """The answers as plain Python values for the service, in °C and kg."""
        data: dict[str, object] = {}
        for name, field in self._fields.items():
            if name in UNIT_FIELDS or name in ("csrf_token", "submit"):
                continue
            value = field.data
            if name in ("leg_weakness", "wound") and not value:
                value = None
            data[name] = value
        temperature, weight = self.temperature.data, self.weight.data
        data["temperature_c"] = (
            None
            if temperature is None
            else round(to_celsius(float(temperature), self.units()[0]), 2)
        )
        data["weight_kg"] = (
            None if weight is None else round(to_kg(float(weight), self.units()[1]), 2)
        )
        return data

    def units(self) -> tuple[str, str]:
        """The temperature and weight units chosen on this form."""
        return self.temperature_unit.data or "C", self.weight_unit.data or "kg"


class OdiForm(FlaskForm):
    """The ten ODI sections, each 0-5, any may be skipped (at least 8 answered).

    The titles and answer texts come from the questionnaire file (ODI_FILE): the
    clinic's licensed wording, or the shipped neutral ends of each scale.
    """

    submit = SubmitField(_l("Send my answers"))

    def answers(self) -> list[int | None]:
        """The answers in section order, None where skipped."""
        return [getattr(self, f"q{n}").data for n in range(ODI_SECTIONS)]


for _n in range(ODI_SECTIONS):
    setattr(
        OdiForm,
        f"q{_n}",
        RadioField(
            _l("Section %(number)s", number=_n + 1),
            choices=[SelectChoice(v, str(v)) for v in range(ODI_MAX_ANSWER + 1)],
            coerce=int,
            validate_choice=False,
            validators=[
                Optional(),
                NumberRange(
                    0,
                    ODI_MAX_ANSWER,
                    _l("Choose from 0 to %(most)s.", most=ODI_MAX_ANSWER),
                ),
            ],
        ),
    )


class AcknowledgeForm(FlaskForm):
    """Acknowledge an alert with a short note."""

    note = StringField(
        _l("Note"),
        validators=[at_most(NOTE_MAX)],
    )
    submit = SubmitField(_l("Acknowledge"))
