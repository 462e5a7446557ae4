"""Request and response schemas; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import (
    Boolean,
    Date,
    DateTime,
    Dict,
    Email,
    Float,
    Integer,
    List,
    Nested,
    String,
)
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, validates_schema

from recovery.auth.services import MAX_PASSWORD_LENGTH
from recovery.domain.cohort import PHASES
from recovery.domain.protocol import EVENT_KINDS
from recovery.domain.reminders import CHANNELS
from recovery.domain.scoring import ODI_MAX_ANSWER, ODI_SECTIONS
from recovery.domain.symptoms import (
    ALERT_STATUSES,
    NOTES_MAX,
    SCALE,
    SEVERITIES,
    TEMPERATURE_C,
    WEAKNESS,
    WEIGHT_KG,
    WOUND,
)
from recovery.domain.timeline import EVENT_STATUSES
from recovery.reminders.models import REMINDER_STATUSES
from recovery.validation import (
    EMAIL_MAX,
    ID_RANGE,
    INSTRUCTIONS_MAX,
    LABEL_MAX,
    NAME_MAX,
    NOTE_MAX,
    StoredDate,
    StoredInstant,
    one_of,
    within,
)


class ErrorDetail(Schema):
    """What went wrong."""

    code = String(required=True, metadata={"example": "validation_error"})
    message = String(required=True)
    fields = Dict(
        keys=String(),
        values=String(),
        metadata={"description": "Each invalid field, named, with its message."},
    )


class Error(Schema):
    """Every API error: {"error": {"code", "message", "fields"}}."""

    error = Nested(ErrorDetail, required=True)


class TokenRequest(Schema):
    """Credentials exchanged for a bearer token."""

    email = Email(required=True, validate=Length(max=EMAIL_MAX))
    password = String(required=True, validate=Length(min=1, max=MAX_PASSWORD_LENGTH))
    label = String(load_default="", validate=Length(max=LABEL_MAX))
    code = String(
        load_default="",
        validate=Length(max=40),
        metadata={
            "description": "With two-factor sign-in on: the authenticator app's "
            "6-digit code, or a recovery code."
        },
    )


class TokenOut(Schema):
    """A new bearer token; the value is shown only this once."""

    token = String(required=True)
    expires_at = DateTime(required=True)


class RadiationOut(Schema):
    """Radiation part of a plan."""

    planned = Boolean()
    start_day = Integer()
    weeks = Integer()
    minutes_per_session = Integer()


class BraceOut(Schema):
    """Brace part of a plan."""

    required = Boolean()
    weeks = Integer()


class PatientOut(Schema):
    """A patient with their plan."""

    id = Integer()
    name = String()
    email = String()
    mrn = String()
    date_of_birth = Date()
    timezone = String()
    surgery_date = Date()
    procedure = String()
    tumor_location = String()
    tumor_type = String()
    malignancy = String()
    origin = String()
    radiation = Nested(RadiationOut)
    brace = Nested(BraceOut)
    clinician_id = Integer(allow_none=True)
    coordinator_id = Integer(allow_none=True)
    phone = String()
    language = String()
    protocol = Dict(keys=String(), values=String(allow_none=True))


PAGE_LINKS = Dict(
    keys=String(),
    values=String(),
    metadata={"description": "self, first, last, and prev/next where they exist"},
)


class PatientPage(Schema):
    """One page of patients."""

    total = Integer()
    page = Integer()
    per_page = Integer()
    items = List(Nested(PatientOut))
    links = PAGE_LINKS


class EventOut(Schema):
    """One timeline event."""

    id = Integer()
    key = String()
    kind = String(metadata={"enum": list(EVENT_KINDS)})
    title = String()
    instructions = String()
    start_date = Date()
    end_date = Date()
    status = String(metadata={"enum": list(EVENT_STATUSES)})
    overridden = Boolean()
    allowed = List(String())
    not_allowed = List(String())
    open_ended = Boolean(
        metadata={"description": "A period with no end date: until a visit lifts it."}
    )


class TimelineEventOut(EventOut):
    """An event inside a timeline.

    Its own class: APIFlask and apispec would otherwise both register EventOut
    (as a response and as a nested schema) and the document got an EventOut1.
    """


class ProtocolRef(Schema):
    """Which protocol, in which version, a timeline was built from."""

    id = String(allow_none=True)
    version = String(allow_none=True)


class TimelineOut(Schema):
    """A patient's timeline, ordered by start date."""

    surgery_date = Date()
    protocol = Nested(ProtocolRef)
    events = List(Nested(TimelineEventOut))


class EventPatch(Schema):
    """A clinician's edit of one event."""

    start_date = StoredDate()
    end_date = StoredDate()
    title = String(validate=Length(min=1, max=NAME_MAX))
    instructions = String(validate=Length(max=INSTRUCTIONS_MAX))

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise ValidationError("Must not be before start_date.", "end_date")


class AlertOut(Schema):
    """A red flag or warning for the care team."""

    id = Integer()
    patient_id = Integer()
    severity = String(metadata={"enum": list(SEVERITIES)})
    rule = String()
    message = String()
    created_at = DateTime()
    status = String(metadata={"enum": list(ALERT_STATUSES)})
    acknowledged_at = DateTime(allow_none=True)
    acknowledge_note = String()
    # How often the sign was reported while this alert was open, and when last.
    reports = Integer()
    last_reported_at = DateTime(allow_none=True)


class SymptomIn(Schema):
    """A symptom check-in; only back_pain is required."""

    back_pain = Integer(required=True, validate=within(*SCALE, "Back pain"))
    leg_pain = Integer(allow_none=True, validate=within(*SCALE, "Leg pain"))
    numbness = Boolean(allow_none=True)
    leg_weakness = String(allow_none=True, validate=one_of(WEAKNESS))
    coordination_loss = Boolean(allow_none=True)
    bladder_incontinence = Boolean(allow_none=True)
    bowel_incontinence = Boolean(allow_none=True)
    urinary_retention = Boolean(allow_none=True)
    saddle_numbness = Boolean(allow_none=True)
    temperature_c = Float(
        allow_none=True, validate=within(*TEMPERATURE_C, "Temperature")
    )
    wound = String(allow_none=True, validate=one_of(WOUND))
    fatigue = Integer(allow_none=True, validate=within(*SCALE, "Fatigue"))
    weight_kg = Float(allow_none=True, validate=within(*WEIGHT_KG, "Weight"))
    notes = String(load_default="", validate=Length(max=NOTES_MAX))


class AdviceOut(Schema):
    """What a patient with an urgent sign is told: call now, and whom."""

    message = String()
    care_team_phone = String()
    emergency_number = String()


class SymptomOut(SymptomIn):
    """A stored check-in, with the alerts it raised when just recorded."""

    id = Integer()
    recorded_at = DateTime()
    alerts = List(Nested(AlertOut))
    advice = Nested(AdviceOut)


class SymptomQuery(Schema):
    """Filter of GET /patients/{id}/symptoms."""

    since = StoredInstant()


class OdiIn(Schema):
    """The ten ODI answers, each 0-5 or null for a skipped section (8 at least)."""

    answers = List(
        Integer(
            allow_none=True,
            validate=Range(
                0, ODI_MAX_ANSWER, error=f"Each answer is 0 to {ODI_MAX_ANSWER}."
            ),
        ),
        required=True,
        validate=Length(
            equal=ODI_SECTIONS,
            error=f"Give exactly {ODI_SECTIONS} answers (null to skip one).",
        ),
    )


class OdiOut(Schema):
    """An ODI score and band (fewer than 8 answers are refused with 422)."""

    id = Integer()
    score_percent = Float(allow_none=True)
    band = String(allow_none=True)
    answered = Integer()
    alerts = List(Nested(AlertOut))


class AlertQuery(Schema):
    """Filters of GET /alerts."""

    status = String(validate=OneOf(ALERT_STATUSES))
    patient_id = Integer(validate=ID_RANGE)


class AckIn(Schema):
    """An acknowledgement note (an urgent alert needs one: what was done)."""

    note = String(load_default="", validate=Length(max=NOTE_MAX))


class ReminderOut(Schema):
    """A planned or sent reminder."""

    id = Integer()
    event_id = Integer(allow_none=True)
    rule = String()
    channel = String(metadata={"enum": list(CHANNELS)})
    send_at = DateTime()
    status = String(metadata={"enum": list(REMINDER_STATUSES)})
    attempts = Integer()


class NextEventOut(Schema):
    """The next follow-up item still to do."""

    id = Integer()
    title = String()
    kind = String(metadata={"enum": list(EVENT_KINDS)})
    date = Date(metadata={"description": "When its window opens"})
    due_by = Date(metadata={"description": "When its window closes"})


class CohortRowOut(Schema):
    """One patient of the cohort."""

    patient_id = Integer()
    name = String()
    mrn = String()
    surgery_date = Date()
    post_op_day = Integer()
    phase = String(metadata={"enum": list(PHASES)})
    next_event = Nested(NextEventOut, allow_none=True)
    overdue_count = Integer()
    open_alerts = Integer()
    last_symptom_at = DateTime(allow_none=True)
    last_back_pain = Integer(allow_none=True)


class CohortPageOut(Schema):
    """One page of the cohort."""

    total = Integer()
    page = Integer()
    per_page = Integer()
    items = List(Nested(CohortRowOut))
    links = PAGE_LINKS
