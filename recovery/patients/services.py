"""Patient use cases shared by the pages and the API."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from recovery.auth.models import User
from recovery.extensions import db
from recovery.patients.access import visible_patients
from recovery.patients.models import CareTeamMember, Patient


def add_to_care_team(patient: Patient, *users: User | None) -> None:
    """Make each member of staff follow the patient (once)."""
    present = {member.user_id for member in patient.care_team}
    for user in users:
        if user is not None and user.is_staff and user.id not in present:
            patient.care_team.append(CareTeamMember(user=user))
            present.add(user.id)


def patients_page(user: User, page: int, per_page: int = 25) -> Pagination:
    """One page of the patients this user follows, by surgery date, newest first."""
    query = (
        visible_patients(user)
        .options(joinedload(Patient.user))
        .order_by(Patient.surgery_date.desc(), Patient.id)
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=100)
