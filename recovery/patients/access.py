"""Who may see which patient: the one place that decides, used by every view."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import joinedload, selectinload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.extensions import db
from recovery.patients.models import CareTeamMember, Patient


def can_view(user: Any, patient: Patient) -> bool:
    """A patient sees only themselves; staff their care team's patients; admins all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == "admin":
        return True
    if user.role == "patient":
        return bool(patient.user_id == user.id)
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
    return exists().where(
        CareTeamMember.patient_id == Patient.id, CareTeamMember.user_id == user.id
    )


def get_patient_for(user: Any, patient_id: int, action: str) -> Patient:
    """Load a patient the user may see, auditing the access; 404/403 otherwise.

    Patients get 404 for anyone else's record, so ids reveal nothing; staff get 403.
    Refusals are audited too, and the caller's commit is not needed for them.
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
        db.session.commit()
        abort(404 if user.role == "patient" else 403)
    record(action, patient_id=patient.id)
    return patient


def own_patient(user: Any, action: str) -> Patient:
    """The logged-in patient's own record, audited; 404 for an account without one."""
    # Their own record through the account's link: nothing to check, so one
    # query for the record and its care team (every page of a record shows it).
    patient = db.session.scalar(
        select(Patient)
        .where(Patient.user_id == user.id)
        .options(joinedload(Patient.care_team).joinedload(CareTeamMember.user))
        .execution_options(populate_existing=True)
    )
    if patient is None:
        abort(404)
    record(action, patient_id=patient.id)
    return patient
