"""Who may see which patient: the one place that decides, used by every view."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, bindparam, exists, select
from sqlalchemy.orm import joinedload, selectinload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.caregivers.models import Caregiver
from recovery.errors import HiddenRecord, RefusedRecord
from recovery.extensions import db
from recovery.patients.models import CareTeamMember, Patient

# What a caregiver may do for the patient they help: read as the patient does,
# check in and write to the care team. Any other action (a new one included) is
# refused until it is named here.
CAREGIVER_ACTIONS = frozenset(
    {
        "view_home",
        "view_timeline",
        "view_symptoms",
        "view_messages",
        "api_view_patient",
        "api_view_timeline",
        "api_calendar",
        "api_view_symptoms",
        "api_view_messages",
    }
)


def _active_caregiver(user_id: int) -> ColumnElement[bool]:
    return exists().where(
        Caregiver.patient_id == Patient.id,
        Caregiver.user_id == user_id,
        Caregiver.status == "active",
    )


def can_view(user: Any, patient: Patient) -> bool:
    """A patient sees only themselves; a caregiver the patients who made them
    one (until revoked); staff their care team's patients; admins all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == "admin":
        return True
    if user.role == "patient":
        return bool(patient.user_id == user.id)
    if user.role == "caregiver":
        return bool(
            db.session.scalar(
                select(
                    exists().where(
                        Caregiver.patient_id == patient.id,
                        Caregiver.user_id == user.id,
                        Caregiver.status == "active",
                    )
                )
            )
        )
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CareTeamMember.patient_id == patient.id,
                    CareTeamMember.user_id == user.id,
                )
            )
        )
    )


def visible_condition(user: User) -> ColumnElement[bool] | None:
    """The WHERE that limits patients to this user's (None: admins see all)."""
    if user.role == "admin":
        return None
    if user.role == "patient":
        return Patient.user_id == user.id
    if user.role == "caregiver":
        return _active_caregiver(user.id)
    return exists().where(
        CareTeamMember.patient_id == Patient.id, CareTeamMember.user_id == user.id
    )


def get_patient_for(user: Any, patient_id: int, action: str) -> Patient:
    """Load a patient the user may see, auditing the access; 404/403 otherwise.

    Patients and caregivers get 404 for anyone else's record, so ids reveal
    nothing; staff get 403, as does a caregiver for what only the patient or staff
    may do. Refusals are audited too: the error handler that answers them commits
    the row (recovery.errors.AuditedRefusal).
    """
    # Every page of a record shows the name and the care team: load them at once.
    patient = db.session.get(
        Patient,
        patient_id,
        options=[
            joinedload(Patient.user),
            selectinload(Patient.care_team).joinedload(CareTeamMember.user),
        ],
        # Also when the patient is already loaded (their own account's `patient`).
        populate_existing=True,
    )
    if patient is None:
        abort(404)
    if not can_view(user, patient):
        record("access_denied", patient_id=patient.id, target=action)
        raise (
            HiddenRecord() if user.role in ("patient", "caregiver") else RefusedRecord()
        )
    if user.role == "caregiver" and action not in CAREGIVER_ACTIONS:
        record("access_denied", patient_id=patient.id, target=action)
        raise RefusedRecord()
    record(action, patient_id=patient.id)
    return patient


def own_patient(user: Any, action: str) -> Patient:
    """The logged-in patient's own record, audited; 404 for an account without one.

    For a caregiver: the patient they chose to help now, checked like any access.
    """
    if user.role == "caregiver":
        from recovery.caregivers.services import chosen_patient_id

        return get_patient_for(user, chosen_patient_id(user), action)
    # Their own record through the account's link: nothing to check, so one
    # query for the record and its care team (every page of a record shows it).
    patient = db.session.scalar(_own_record(), {"user_id": user.id})
    if patient is None:
        abort(404)
    record(action, patient_id=patient.id)
    return patient


@lru_cache(maxsize=1)
def _own_record() -> Any:
    # Built once: its loader options took longer to build and key on every page
    # than the query took to run (the patient home page's floor, issue 21).
    return (
        select(Patient)
        .where(Patient.user_id == bindparam("user_id"))
        .options(joinedload(Patient.care_team).joinedload(CareTeamMember.user))
        .execution_options(populate_existing=True)
    )
