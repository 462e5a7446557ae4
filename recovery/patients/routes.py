"""The patient's home page and the staff view of one patient."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from recovery.db import utcnow
from recovery.domain.plan import post_op_day
from recovery.extensions import db
from recovery.patients.access import get_patient_for, own_patient
from recovery.patients.models import Patient
from recovery.roles import roles_required
from recovery.symptoms.forms import AcknowledgeForm
from recovery.symptoms.services import checked_in_on, due_questionnaire, patient_alerts
from recovery.symptoms.trends import trend_data
from recovery.timeline.forms import CompleteForm
from recovery.timeline.services import PHASE_NAMES, phase_of, timeline_view
from recovery.zones import local_today

bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.route("/me")
@roles_required("patient")
def home() -> str:
    """The patient's own page."""
    patient = own_patient(current_user, "view_home")
    return _render_patient("patients/home.html", patient)


@bp.route("/<int:patient_id>")
@roles_required("coordinator", "clinician", "admin")
def detail(patient_id: int) -> str:
    """One patient's record, for their care team."""
    patient = get_patient_for(current_user, patient_id, "view_patient")
    return _render_patient("patients/detail.html", patient)


def _render_patient(template: str, patient: Patient) -> str:
    """Commit the audited read, then show the page with the patient's own today."""
    db.session.commit()
    today = local_today(patient.user.timezone, utcnow())
    staff_view = template == "patients/detail.html"
    return render_template(
        template,
        patient=patient,
        day=post_op_day(patient.surgery_date, today),
        today=today,
        phase=PHASE_NAMES[phase_of(patient, today)],
        view=timeline_view(patient, today),
        complete_form=CompleteForm(),
        checked_in=checked_in_on(patient, today),
        odi_due=due_questionnaire(patient, today),
        trend=trend_data(patient) if staff_view else None,
        alerts=patient_alerts(patient) if staff_view else [],
        ack_form=AcknowledgeForm() if staff_view else None,
    )
