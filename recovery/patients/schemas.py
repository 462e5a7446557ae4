"""Patient input shared by the enrolment page and the API (POST/PATCH /patients)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Email, Integer, Nested, String
from apiflask.validators import Length, Range
from flask import current_app
from marshmallow import ValidationError, validates, validates_schema

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
from recovery.orm import utcnow
from recovery.validation import (
    EMAIL_MAX,
    ID_RANGE,
    NAME_MAX,
    PHONE,
    StoredDate,
    one_of,
    within,
)
from recovery.zones import is_timezone, local_today


class Radiation(Schema):
    """Radiation part of a plan: weekday sessions from day 7-14 for 2-6 weeks.

    Planned radiation needs its start day and weeks; minutes per session default
    to the protocol's and must lie in its range (checked with the procedure).
    """

    planned = Boolean(required=True)
    start_day = Integer(validate=within(*RADIATION_START_DAYS, "The start day"))
    weeks = Integer(validate=within(*RADIATION_WEEKS, "Weeks"))
    minutes_per_session = Integer(
        validate=Range(1, 600, error="Minutes per session must be a whole number.")
    )

    @validates_schema
    def _planned_needs_its_course(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("planned"):
            missing = {
                key: ["Needed when radiation is planned."]
                for key in ("start_day", "weeks")
                if key not in data
            }
            if missing:
                raise ValidationError(missing)


class RadiationPatch(Radiation):
    """Radiation changes: only what is sent changes (the service checks the rest)."""

    planned = Boolean()

    @validates_schema
    def _planned_needs_its_course(self, data: dict[str, Any], **_: Any) -> None:
        """A patch may rely on the stored course; the service refuses a blank one."""


class Brace(Schema):
    """Brace part of a plan."""

    required = Boolean(required=True)
    weeks = Integer(load_default=6, validate=within(*BRACE_WEEKS, "Weeks"))


class BracePatch(Brace):
    """Brace changes: only what is sent changes."""

    required = Boolean()
    weeks = Integer(validate=within(*BRACE_WEEKS, "Weeks"))


class PatientIn(Schema):
    """A new patient with their plan (POST /patients)."""

    name = String(required=True, validate=Length(min=1, max=NAME_MAX))
    email = Email(required=True, validate=Length(max=EMAIL_MAX))
    mrn = String(required=True, validate=Length(min=1, max=64))
    date_of_birth = StoredDate(required=True)
    timezone = String(required=True, validate=Length(max=64))
    surgery_date = StoredDate(required=True)
    procedure = String(required=True, validate=one_of(PROCEDURES))
    tumor_location = String(required=True, validate=one_of(TUMOR_LOCATIONS))
    tumor_type = String(load_default="", validate=Length(max=NAME_MAX))
    malignancy = String(required=True, validate=one_of(MALIGNANCIES))
    origin = String(load_default="unknown", validate=one_of(ORIGINS))
    radiation = Nested(Radiation, load_default=lambda: {"planned": False})
    brace = Nested(Brace, load_default=lambda: {"required": False})
    clinician_id = Integer(allow_none=True, load_default=None, validate=ID_RANGE)
    coordinator_id = Integer(allow_none=True, load_default=None, validate=ID_RANGE)
    # The patient's number, so the care team can call back after a red flag.
    phone = String(load_default="", validate=PHONE)
    # The language of the patient's pages, emails and reminders (issue 20).
    # Left out: the clinic's first language. Sent as null: refused.
    language = String(
        load_default=None,
        allow_none=False,
        validate=Length(max=8),
        metadata={"description": "one of the clinic's LANGUAGES: en, es"},
    )

    @validates("language")
    def _language(self, value: str | None, **_: Any) -> None:
        languages = current_app.config["LANGUAGES"]
        if value is not None and value not in languages:
            raise ValidationError("Must be one of: " + ", ".join(languages) + ".")

    @validates("timezone")
    def _timezone(self, value: str, **_: Any) -> None:
        if not is_timezone(value):
            raise ValidationError(
                "Unknown timezone: use an IANA name like America/Chicago."
            )

    @validates("surgery_date")
    def _surgery_date(self, value: Any, **_: Any) -> None:
        today = local_today(current_app.config["CLINIC_TIMEZONE"], utcnow())
        problem = surgery_date_problem(value, today)
        if problem:
            raise ValidationError(problem)

    @validates("date_of_birth")
    def _born(self, value: Any, **_: Any) -> None:
        today = local_today(current_app.config["CLINIC_TIMEZONE"], utcnow())
        if value > today or value.year < 1900:
            raise ValidationError("Must be a past date after 1900.")

    @validates_schema(skip_on_field_errors=False)
    def _metastatic_is_not_benign(self, data: dict[str, Any], **_: Any) -> None:
        # The same rule as recovery.domain.plan.plan_problems, which the service
        # also applies to a patch against the stored plan.
        if data.get("origin") == "metastatic" and data.get("malignancy") == "benign":
            message = (
                "A metastatic tumour cannot be benign: record it as malignant, "
                "or the origin as primary or unknown."
            )
            raise ValidationError({"malignancy": [message], "origin": [message]})

    @validates_schema
    def _born_before_surgery(self, data: dict[str, Any], **_: Any) -> None:
        born, surgery = data.get("date_of_birth"), data.get("surgery_date")
        if born and surgery and born >= surgery:
            raise ValidationError("Must be before the surgery date.", "date_of_birth")


class PatientPatch(PatientIn):
    """Changes to a patient (PATCH /patients/{id}): any field, only those sent.

    PatientIn's fields and checks, loaded partial: nothing is required and no
    default fills in a field that was not sent. Radiation and brace are patched
    against the stored plan, which the service checks.
    """

    radiation = Nested(RadiationPatch)
    brace = Nested(BracePatch)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{"partial": True, **kwargs})
