"""The symptom check-in and the ODI questionnaire, as forms that work without JS."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from recovery.domain.scoring import ODI_SECTIONS
from recovery.domain.symptoms import NOTES_MAX, SCALE, TEMPERATURE_C, WEIGHT_KG
from recovery.validation import FiniteDecimalField

ZERO_TO_TEN = [SelectChoice(n, str(n)) for n in range(SCALE[0], SCALE[1] + 1)]


def _scale(label: str, what: str, required: bool = False) -> RadioField:
    """A 0-10 scale as large radio buttons."""
    first = (
        InputRequired(f"Choose your {what} from 0 to 10.") if required else Optional()
    )
    return RadioField(
        label,
        choices=ZERO_TO_TEN,
        coerce=int,
        validate_choice=False,  # NumberRange gives a clearer message
        validators=[
            first,
            NumberRange(*SCALE, f"{what.capitalize()} must be from 0 to 10."),
        ],
    )


class CheckInForm(FlaskForm):
    """Every field of the symptom check-in; only back pain is required."""

    back_pain = _scale(
        "Back pain now (0 = no pain, 10 = worst imaginable)", "back pain", required=True
    )
    leg_pain = _scale("Leg pain now (0 = no pain, 10 = worst imaginable)", "leg pain")
    numbness = BooleanField("Numbness or tingling in my legs")
    leg_weakness = RadioField(
        "Strength in my legs",
        choices=[
            SelectChoice("none", "Normal"),
            SelectChoice("mild", "A little weak, as before"),
            SelectChoice("worse", "Weaker than before"),
        ],
        validators=[Optional()],
    )
    coordination_loss = BooleanField("I am clumsy or unsteady in a new way")
    bladder_incontinence = BooleanField("I cannot control my bladder (new)")
    urinary_retention = BooleanField("I cannot pass urine")
    bowel_incontinence = BooleanField("I cannot control my bowels (new)")
    saddle_numbness = BooleanField("Numbness between my legs or around my bottom")
    temperature_c = FiniteDecimalField(
        "Temperature in °C, if you measured it",
        places=1,
        validators=[
            Optional(),
            NumberRange(*TEMPERATURE_C, "Temperature must be from 34 to 43 °C."),
        ],
    )
    wound = RadioField(
        "My wound looks",
        choices=[
            SelectChoice("healing", "Clean and healing"),
            SelectChoice("red", "Red around the edges"),
            SelectChoice("draining", "Leaking fluid"),
            SelectChoice("opened", "Opened"),
        ],
        validators=[Optional()],
    )
    fatigue = _scale("Tiredness (0 = none, 10 = exhausted)", "tiredness")
    weight_kg = FiniteDecimalField(
        "Weight in kg, if you weighed yourself",
        places=1,
        validators=[
            Optional(),
            NumberRange(*WEIGHT_KG, "Weight must be from 20 to 400 kg."),
        ],
    )
    notes = TextAreaField(
        "Anything else you want your care team to know",
        validators=[
            Length(
                max=NOTES_MAX,
                message=f"Please keep notes under {NOTES_MAX} characters.",
            )
        ],
    )
    submit = SubmitField("Send my check-in")

    def values(self) -> dict[str, object]:
        """The answers as plain Python values for the service."""
        data: dict[str, object] = {}
        for name, field in self._fields.items():
            if name in ("csrf_token", "submit"):
                continue
            value = field.data
            if name in ("temperature_c", "weight_kg") and value is not None:
                value = float(value)
            if name in ("leg_weakness", "wound") and not value:
                value = None
            data[name] = value
        return data


class OdiForm(FlaskForm):
    """The ten ODI sections, each 0-5, any may be skipped (at least 8 answered).

    The titles and answer texts come from the questionnaire file (ODI_FILE): the
    clinic's licensed wording, or the shipped neutral ends of each scale.
    """

    submit = SubmitField("Send my answers")

    def answers(self) -> list[int | None]:
        """The answers in section order, None where skipped."""
        return [getattr(self, f"q{n}").data for n in range(ODI_SECTIONS)]


for _n in range(ODI_SECTIONS):
    setattr(
        OdiForm,
        f"q{_n}",
        RadioField(
            f"Section {_n + 1}",
            choices=[SelectChoice(v, str(v)) for v in range(6)],
            coerce=int,
            validate_choice=False,
            validators=[Optional(), NumberRange(0, 5, "Choose from 0 to 5.")],
        ),
    )


class AcknowledgeForm(FlaskForm):
    """Acknowledge an alert with a short note."""

    note = StringField(
        "Note", validators=[Length(max=1000, message="Use at most 1000 characters.")]
    )
    submit = SubmitField("Acknowledge")
