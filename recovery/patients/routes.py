"""The patient's home page and the staff view of one patient."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from recovery.db import utcnow
from recovery.domain.plan import post_op_day
from recovery.extensions import db
from recovery.patients.access import get_patient_for
from recovery.roles import roles_required
from recovery.zones import local_today

bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.route("/me")
@roles_required("patient")
def home() -> str:
    """The patient's own page."""
    if current_user.patient is None:
        abort(404)
    patient = get_patient_for(current_user, current_user.patient.id, "view_home")
    today = local_today(patient.user.timezone, utcnow())
    db.session.commit()
    return render_template(
        "patients/home.html",
        patient=patient,
        day=post_op_day(patient.surgery_date, today),
        today=today,
    )


@bp.route("/<int:patient_id>")
@roles_required("coordinator", "clinician", "admin")
def detail(patient_id: int) -> str:
    """One patient's record, for their care team."""
    patient = get_patient_for(current_user, patient_id, "view_patient")
    today = local_today(patient.user.timezone, utcnow())
    db.session.commit()
    return render_template(
        "patients/detail.html",
        patient=patient,
        day=post_op_day(patient.surgery_date, today),
        today=today,
    )
