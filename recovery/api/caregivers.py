"""A patient's caregivers: the patient invites and revokes; staff read."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, abort
from apiflask.fields import Boolean, Email, Integer, String
from apiflask.validators import Length
from flask_login import current_user

from recovery.api import auth, bp, require_roles
from recovery.caregivers.models import Caregiver
from recovery.caregivers.services import (
    CaregiverError,
    caregiver_link,
    caregivers_of,
    invite_caregiver,
    revoke_caregiver,
    send_invitation,
)
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for
from recovery.validation import EMAIL_MAX, NAME_MAX


class CaregiverIn(Schema):
    """Whom to invite."""

    email = Email(required=True, validate=Length(max=EMAIL_MAX))
    name = String(required=True, validate=Length(min=1, max=NAME_MAX))


class CaregiverOut(Schema):
    """A caregiver of the patient and where their access stands."""

    id = Integer()
    email = String()
    name = String()
    status = String(metadata={"enum": ["invited", "active", "revoked"]})
    receives_reminders = Boolean()


def caregiver_document(link: Caregiver) -> dict[str, Any]:
    """A caregiver link as the API shows it."""
    return {
        "id": link.id,
        "email": link.user.email,
        "name": link.user.name,
        "status": link.status,
        "receives_reminders": link.receives_reminders,
    }


@bp.post("/patients/<int:patient_id>/caregivers")
@bp.auth_required(auth)
@bp.input(CaregiverIn, arg_name="body")
@bp.output(CaregiverOut, status_code=201)
@bp.doc(responses=[400, 401, 403, 404, 409, 422])
def invite(patient_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """The patient invites a caregiver: their account is made if needed, and emailed."""
    require_roles("patient")
    patient = get_patient_for(current_user, patient_id, "api_view_caregivers")
    try:
        with db.session.begin_nested():  # undone alone: the audit row stays
            link = invite_caregiver(patient, body["email"], body["name"], utcnow())
    except CaregiverError as error:
        db.session.commit()
        status = 409 if error.conflict else 422
        abort(status, error.message, detail={error.field: [error.message]})
    db.session.commit()
    send_invitation(link)
    return caregiver_document(link)


@bp.get("/patients/<int:patient_id>/caregivers")
@bp.auth_required(auth)
@bp.output(CaregiverOut(many=True))
@bp.doc(responses=[401, 403, 404])
def list_caregivers(patient_id: int) -> list[dict[str, Any]]:
    """The patient's caregivers, current ones first (for the patient and staff)."""
    patient = get_patient_for(current_user, patient_id, "api_view_caregivers")
    links = caregivers_of(patient)
    db.session.commit()
    return [caregiver_document(link) for link in links]


@bp.delete("/patients/<int:patient_id>/caregivers/<int:caregiver_id>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(responses=[401, 403, 404])
def revoke(patient_id: int, caregiver_id: int) -> tuple[str, int]:
    """The patient ends a caregiver's access; their next request is refused."""
    require_roles("patient")
    patient = get_patient_for(current_user, patient_id, "api_view_caregivers")
    link = caregiver_link(patient, caregiver_id)
    if link is None:
        abort(404, "No such caregiver.")
    if link.status != "revoked":
        revoke_caregiver(link, utcnow())
    db.session.commit()
    return "", 204
