"""GET /patients/{id}."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from recovery.api import auth, bp
from recovery.api.schemas import PatientOut
from recovery.extensions import db
from recovery.patients.access import get_patient_for
from recovery.patients.models import Patient


def patient_document(patient: Patient) -> dict[str, Any]:
    """A patient and their plan as the API shows them."""
    return {
        "id": patient.id,
        "name": patient.user.name,
        "email": patient.user.email,
        "mrn": patient.mrn,
        "date_of_birth": patient.date_of_birth,
        "timezone": patient.user.timezone,
        "surgery_date": patient.surgery_date,
        "procedure": patient.procedure,
        "tumor_location": patient.tumor_location,
        "tumor_type": patient.tumor_type,
        "malignancy": patient.malignancy,
        "origin": patient.origin,
        "radiation": {
            "planned": patient.radiation_planned,
            "start_day": patient.radiation_start_day,
            "weeks": patient.radiation_weeks,
            "minutes_per_session": patient.radiation_minutes_per_session,
        },
        "brace": {"required": patient.brace_required, "weeks": patient.brace_weeks},
        "clinician_id": patient.clinician_id,
        "coordinator_id": patient.coordinator_id,
    }


@bp.get("/patients/<int:patient_id>")
@bp.auth_required(auth)
@bp.output(PatientOut)
@bp.doc(responses=[401, 403, 404])
def get_patient(patient_id: int) -> dict[str, Any]:
    """One patient with their plan (a patient may read only their own)."""
    patient = get_patient_for(current_user, patient_id, "api_view_patient")
    db.session.commit()
    return patient_document(patient)
