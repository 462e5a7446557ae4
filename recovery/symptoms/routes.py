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
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from recovery.audit.services import record
from recovery.auth.models import STAFF_ROLES
from recovery.auth.routes import safe_next
from recovery.domain.units import from_celsius, from_kg
from recovery.extensions import db
from recovery.i18n import current_language, word
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
    correct_check_in,
    correctable,
    due_questionnaire,
    last_check_in,
    nothing_new_values,
    odi_texts,
    record_check_in,
    remember_units,
    submit_odi,
    urgent_signs_for_reader,
    wound_asked,
)
from recovery.symptoms.trends import trend_data
from recovery.timeline.forms import CompleteForm
from recovery.zones import local_today

bp = Blueprint("symptoms", __name__, url_prefix="/symptoms")


# A check-in's temperature and weight in the reader's units ('38,2 °C', '154.3 lb').
@bp.app_template_filter("temperature")
def temperature_filter(value_c: float, unit: str) -> str:
    """A stored °C temperature in the reader's unit and number format."""
    return f"{format_decimal(from_celsius(value_c, unit), '0.0')} °{unit}"


@bp.app_template_filter("weight")
def weight_filter(value_kg: float, unit: str) -> str:
    """A stored kg weight in the reader's unit and number format."""
    return f"{format_decimal(from_kg(value_kg, unit), '0.0')} {unit}"


def _own_patient(action: str) -> Patient:
    return own_patient(current_user, action)


@bp.route("/check-in", methods=["GET", "POST"])
@roles_required("patient", "caregiver")
def check_in() -> Response | tuple[str, int]:
    """The daily symptom check-in; a second one the same day is kept too."""
    patient = _own_patient("view_symptoms")
    form = _check_in_form(patient)
    if form.validate_on_submit():
        log, _alerts = record_check_in(patient, form.values(), current_user, utcnow())
        log_id = log.id  # read before the commit expires it: no query after it
        remember_units(patient, *form.units())
        db.session.commit()
        return redirect(url_for("symptoms.result", log_id=log_id))
    page = _check_in_page(patient, form, last=last_check_in(patient))
    db.session.commit()
    return page


def _check_in_form(patient: Patient, log: SymptomLog | None = None) -> CheckInForm:
    """The check-in form in the patient's units, filled from `log` if given."""
    user = patient.user
    form = CheckInForm(
        obj=log, temperature_unit=user.temperature_unit, weight_unit=user.weight_unit
    )
    if log is not None and not form.is_submitted():
        if log.temperature_c is not None:
            form.temperature.data = round(
                from_celsius(log.temperature_c, user.temperature_unit), 1
            )
        if log.weight_kg is not None:
            form.weight.data = round(from_kg(log.weight_kg, user.weight_unit), 1)
    return form


def _check_in_page(
    patient: Patient,
    form: CheckInForm,
    last: SymptomLog | None = None,
    correcting: SymptomLog | None = None,
) -> tuple[str, int]:
    """The check-in page (a new one, or today's being corrected); the view
    commits."""
    today = local_today(patient.user.timezone, utcnow())
    return render_template(
        "symptoms/check_in.html",
        form=form,
        advice=urgent_advice(patient),
        signs=urgent_signs_for_reader(),
        wound_asked=wound_asked(patient, today)
        or bool(correcting and correcting.wound),
        last=last,
        correcting=correcting,
        same_form=CompleteForm(),
    ), (400 if form.errors else 200)


def _as_corrected(form: CheckInForm, log: SymptomLog) -> dict[str, object]:
    """The form's answers, where a temperature or weight left as the form showed
    it (rounded, perhaps in another unit) keeps its stored value exactly."""
    values = form.values()
    temperature_unit, weight_unit = form.units()
    shown = (
        ("temperature_c", form.temperature.data, from_celsius, temperature_unit),
        ("weight_kg", form.weight.data, from_kg, weight_unit),
    )
    for name, typed, convert, unit in shown:
        stored = getattr(log, name)
        as_shown = stored is not None and typed is not None
        if as_shown and float(typed) == round(convert(stored, unit), 1):
            values[name] = stored
    return values


@bp.route("/check-in/<int:log_id>/correct", methods=["GET", "POST"])
@roles_required("patient", "caregiver")
def correct(log_id: int) -> Response | tuple[str, int]:
    """Correct today's check-in: audited, and the red-flag rules run again."""
    patient = _own_patient("view_symptoms")
    log = db.session.get(SymptomLog, log_id)
    if log is None or log.patient_id != patient.id:
        abort(404)
    if not correctable(log, patient, utcnow()):
        record(
            "refused_correct_symptoms",
            patient_id=patient.id,
            target=f"symptom_log:{log.id}",
        )
        db.session.commit()
        message = _(
            "Only today's check-in can be corrected. To tell your care team "
            "something about an earlier day, send them a message."
        )
        return render_template("errors/error.html", code=409, message=message), 409
    form = _check_in_form(patient, log)
    if form.validate_on_submit():
        correct_check_in(log, _as_corrected(form, log), utcnow())
        remember_units(patient, *form.units())
        db.session.commit()
        flash(_("Your check-in is corrected."), "success")
        return redirect(url_for("symptoms.result", log_id=log_id))
    page = _check_in_page(patient, form, correcting=log)
    db.session.commit()
    return page


@bp.route("/check-in/nothing-new", methods=["POST"])
@roles_required("patient", "caregiver")
def nothing_new() -> Response:
    """One tap: today is as the last check-in was (its pain and strength, no sign)."""
    patient = _own_patient("view_symptoms")
    form = CompleteForm()
    last = last_check_in(patient)
    if not form.validate_on_submit() or last is None:
        flash(_("Fill in today's check-in below."), "info")
        return redirect(url_for("symptoms.check_in"))
    log, _alerts = record_check_in(
        patient, nothing_new_values(last), current_user, utcnow()
    )
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
        correctable=correctable(log, patient, utcnow()),
        urgent=[a for a in alerts if a.severity == "urgent"],
        warnings=[a for a in alerts if a.severity == "warning"],
        advice=urgent_advice(patient),
        signs=urgent_signs_for_reader(),
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
    now = utcnow()
    today = local_today(patient.user.timezone, now)
    form = OdiForm()
    texts = odi_texts().in_language(current_language())
    refused = ""
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():  # undone alone: the audit row stays
                outcome = submit_odi(patient, form.answers(), current_user, now, today)
        except QuestionnaireError as error:
            refused = str(error)
        else:
            db.session.commit()
            flash(
                _(
                    "Thank you. Your score is %(score)s %% (%(band)s disability).",
                    score=format_decimal(outcome.result.score_percent),
                    band=word(outcome.result.band, "band"),
                ),
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
        flash(
            " ".join(map(str, form.note.errors))
            or _("The form has expired; try again."),
            "error",
        )
    else:
        try:
            acknowledge(alert, current_user, form.note.data or "", utcnow())
        except NoteRequired as error:
            flash(str(error), "error")
        except AlertError as error:
            flash(str(error), "info")
        else:
            flash(
                _("Alert acknowledged for %(name)s.", name=alert.patient.user.name),
                "success",
            )
    db.session.commit()
    return redirect(safe_next(request.args.get("next")) or url_for("cohorts.dashboard"))
