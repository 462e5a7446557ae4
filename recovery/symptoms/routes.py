"""Symptom pages: the check-in, its result, history and trends, the ODI, alerts."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from recovery.auth.models import STAFF_ROLES
from recovery.auth.routes import safe_next
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for, own_patient
from recovery.patients.contact import urgent_advice
from recovery.patients.models import Patient
from recovery.roles import roles_required
from recovery.symptoms.forms import AcknowledgeForm, CheckInForm, OdiForm
from recovery.symptoms.models import Alert, SymptomLog
from recovery.symptoms.services import (
    AlertError,
    NoteRequired,
    QuestionnaireError,
    acknowledge,
    alerts_of_check_in,
    due_questionnaire,
    last_check_in,
    nothing_new_values,
    odi_texts,
    record_check_in,
    red_flag_rules,
    submit_odi,
    wound_asked,
)
from recovery.symptoms.trends import trend_data
from recovery.timeline.forms import CompleteForm
from recovery.zones import local_today

bp = Blueprint("symptoms", __name__, url_prefix="/symptoms")


def _own_patient(action: str) -> Patient:
    return own_patient(current_user, action)


@bp.route("/check-in", methods=["GET", "POST"])
@roles_required("patient", "caregiver")
def check_in() -> Response | str:
    """The daily symptom check-in; a second one the same day is kept too."""
    patient = _own_patient("view_symptoms")
    form = CheckInForm()
    if form.validate_on_submit():
        log, _ = record_check_in(patient, form.values(), current_user, utcnow())
        log_id = log.id  # read before the commit expires it: no query after it
        db.session.commit()
        return redirect(url_for("symptoms.result", log_id=log_id))
    status = 400 if form.errors else 200
    today = local_today(patient.user.timezone, utcnow())
    page = render_template(
        "symptoms/check_in.html",
        form=form,
        advice=urgent_advice(patient),
        signs=red_flag_rules().urgent_signs,
        wound_asked=wound_asked(patient, today),
        last=last_check_in(patient),
        same_form=CompleteForm(),
    )
    db.session.commit()
    return page, status


@bp.route("/check-in/nothing-new", methods=["POST"])
@roles_required("patient", "caregiver")
def nothing_new() -> Response:
    """One tap: today is as the last check-in was (its pain and strength, no sign)."""
    patient = _own_patient("view_symptoms")
    form = CompleteForm()
    last = last_check_in(patient)
    if not form.validate_on_submit() or last is None:
        flash("Fill in today's check-in below.", "info")
        return redirect(url_for("symptoms.check_in"))
    log, _ = record_check_in(patient, nothing_new_values(last), current_user, utcnow())
    log_id = log.id
    db.session.commit()
    return redirect(url_for("symptoms.result", log_id=log_id))


@bp.route("/check-in/<int:log_id>")
@roles_required("patient", "caregiver")
def result(log_id: int) -> str:
    """After a check-in: thanks, or the urgent message in plain sight."""
    patient = _own_patient("view_symptoms")
    log = db.session.get(SymptomLog, log_id)
    if log is None or log.patient_id != patient.id:
        abort(404)
    alerts = alerts_of_check_in(log)
    page = render_template(
        "symptoms/result.html",
        log=log,
        urgent=[a for a in alerts if a.severity == "urgent"],
        warnings=[a for a in alerts if a.severity == "warning"],
        advice=urgent_advice(patient),
        signs=red_flag_rules().urgent_signs,
    )
    db.session.commit()
    return page


@bp.route("/history")
@roles_required("patient", "caregiver")
def history() -> str:
    """The patient's own check-ins and pain and ODI trends."""
    patient = _own_patient("view_symptoms")
    page = render_template(
        "symptoms/history.html", patient=patient, trend=trend_data(patient)
    )
    db.session.commit()
    return page


@bp.route("/odi", methods=["GET", "POST"])
@roles_required("patient")
def odi() -> Response | tuple[str, int]:
    """The Oswestry Disability Index: ten sections, any may be skipped."""
    patient = _own_patient("view_symptoms")
    today = local_today(patient.user.timezone, utcnow())
    form = OdiForm()
    texts = odi_texts()
    refused = ""
    if form.validate_on_submit():
        try:
            outcome = submit_odi(patient, form.answers(), current_user, utcnow(), today)
        except QuestionnaireError as error:
            db.session.rollback()
            refused = str(error)
        else:
            db.session.commit()
            flash(
                f"Thank you. Your score is {outcome.result.score_percent:g} % "
                f"({outcome.result.band} disability).",
                "success",
            )
            return redirect(url_for("symptoms.history"))
    page = render_template(
        "symptoms/odi.html",
        form=form,
        sections=list(enumerate(texts.sections)),
        least=texts.min_answered,
        refused=refused,
        due=due_questionnaire(patient, today),
    )
    db.session.commit()
    return page, (400 if refused or form.errors else 200)


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@roles_required(*STAFF_ROLES)
def acknowledge_alert(alert_id: int) -> Response:
    """Acknowledge an alert; it leaves the open queue."""
    alert = db.get_or_404(Alert, alert_id)
    get_patient_for(current_user, alert.patient_id, "view_alerts")
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(" ".join(form.note.errors) or "The form has expired; try again.", "error")
    else:
        try:
            acknowledge(alert, current_user, form.note.data or "", utcnow())
        except NoteRequired as error:
            flash(str(error), "error")
        except AlertError as error:
            flash(str(error), "info")
        else:
            flash(f"Alert acknowledged for {alert.patient.user.name}.", "success")
    db.session.commit()
    return redirect(safe_next(request.args.get("next")) or url_for("cohorts.dashboard"))
