"""Request and response schemas; the OpenAPI document is generated from them."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import (
    Boolean,
    Date,
    DateTime,
    Dict,
    Email,
    Integer,
    Nested,
    String,
)
from apiflask.validators import Length

from recovery.auth.services import MAX_PASSWORD_LENGTH


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

    email = Email(required=True, validate=Length(max=254))
    password = String(required=True, validate=Length(min=1, max=MAX_PASSWORD_LENGTH))
    label = String(load_default="", validate=Length(max=100))


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
