"""Patients and plans: create, list, read, change (a change of plan recomputes)."""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from recovery.api import auth, bp, require_roles
from recovery.api.conditional import claim, not_modified, patient_etag, tagged
from recovery.api.paging import link_header, page_links
from recovery.api.schemas import PatientOut, PatientPage
from recovery.audit.services import record
from recovery.auth.models import STAFF_ROLES
from recovery.auth.services import send_link
from recovery.cohorts.filters import CohortFilter
from recovery.cohorts.schemas import CohortQuery
from recovery.cohorts.services import Cohort
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for
from recovery.patients.models import Patient
from recovery.patients.schemas import PatientIn, PatientPatch
from recovery.patients.services import (
    PatientError,
    change_patient,
    enrol_patient,
)


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
        "phone": patient.phone,
        "language": patient.user.language,
        "protocol": {"id": patient.protocol_id, "version": patient.protocol_version},
    }


def _refuse(error: PatientError) -> None:
    status = 409 if error.conflict else 422
    abort(status, error.message, detail={k: [v] for k, v in error.fields.items()})


@bp.post("/patients")
@bp.auth_required(auth)
@bp.input(PatientIn, arg_name="body")
@bp.output(PatientOut, status_code=201)
@bp.doc(responses=[400, 401, 403, 409, 422])
def create_patient(body: dict[str, Any]) -> dict[str, Any]:
    """Enrol a patient: builds their timeline and emails them an invitation."""
    require_roles(*STAFF_ROLES)
    try:
        patient = enrol_patient(body, current_user, utcnow())
    except PatientError as error:
        db.session.rollback()
        _refuse(error)
    db.session.commit()
    send_link(patient.user, "invitation")
    return patient_document(patient)


@bp.get("/patients")
@bp.auth_required(auth)
@bp.input(CohortQuery, location="query", arg_name="query")
@bp.output(PatientPage)
@bp.doc(responses=[400, 401, 422])
def list_patients(query: dict[str, Any]) -> Any:
    """The patients you may see, a page at a time, newest surgery first.

    Takes the cohort's filters and sorts (GET /cohort).
    """
    view = CohortFilter.from_query(query)
    cohort = Cohort(current_user, view, utcnow())
    total, ids = cohort.page_ids(query["page"], query["per_page"])
    found = {
        p.id: p
        for p in db.session.scalars(
            select(Patient).where(Patient.id.in_(ids)).options(joinedload(Patient.user))
        )
    }
    patients = [found[i] for i in ids]
    record(
        "api_list_patients",
        details={
            "filters": view.params(),
            "page": query["page"],
            "patient_ids": list(ids),
        },
    )
    db.session.commit()
    links = page_links(
        "api.list_patients", query["page"], query["per_page"], total, view.params()
    )
    body = {
        "total": total,
        "page": query["page"],
        "per_page": query["per_page"],
        "items": [patient_document(p) for p in patients],
        "links": links,
    }
    return body, 200, link_header(links)


@bp.get("/patients/<int:patient_id>")
@bp.auth_required(auth)
@bp.output(PatientOut)
@bp.doc(responses=[401, 403, 404])
def get_patient(patient_id: int) -> Any:
    """One patient with their plan (a patient may read only their own).

    Sends an ETag; send it back in If-Match when you PATCH, or in If-None-Match
    to get 304 when nothing changed.
    """
    patient = get_patient_for(current_user, patient_id, "api_view_patient")
    db.session.commit()
    tag = patient_etag(patient)
    return not_modified(tag) or tagged(patient_document(patient), tag)


@bp.patch("/patients/<int:patient_id>")
@bp.auth_required(auth)
@bp.input(PatientPatch, arg_name="body")
@bp.output(PatientOut)
@bp.doc(responses=[400, 401, 403, 404, 409, 412, 422])
def update_patient(patient_id: int, body: dict[str, Any]) -> Any:
    """Change any field; a change of surgery date, radiation or brace recomputes.

    With If-Match (the ETag of GET), a change made by someone else since gives 412.
    """
    require_roles(*STAFF_ROLES)
    patient = get_patient_for(current_user, patient_id, "api_view_patient")
    claim(patient, patient_etag(patient))
    try:
        change_patient(patient, body, utcnow())
    except PatientError as error:
        db.session.rollback()  # the claimed version too: the client's tag holds
        _refuse(error)
    db.session.commit()
    return tagged(patient_document(patient), patient_etag(patient))
