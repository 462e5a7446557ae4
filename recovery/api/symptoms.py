"""Symptoms, questionnaires and alerts."""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask_login import current_user

from recovery.api import auth, bp, require_roles
from recovery.api.schemas import (
    AckIn,
    AlertOut,
    AlertQuery,
    OdiIn,
    OdiOut,
    SymptomIn,
    SymptomOut,
    SymptomQuery,
)
from recovery.audit.services import record, record_patients
from recovery.auth.models import STAFF_ROLES
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for
from recovery.patients.contact import urgent_advice
from recovery.symptoms.models import Alert, SymptomLog
from recovery.symptoms.services import (
    AlertError,
    NoteRequired,
    QuestionnaireError,
    acknowledge,
    record_check_in,
    submit_odi,
    symptom_logs,
    visible_alerts,
)
from recovery.zones import local_today

# A stored check-in's fields, as SymptomOut names them (alerts and advice are
# added only to a check-in just recorded). Marshmallow reads them off the row;
# listing them here again would let the document drift from its schema.
STORED_SYMPTOM_FIELDS = tuple(
    name for name in SymptomOut().fields if name not in ("alerts", "advice")
)


def symptom_document(log: SymptomLog, alerts: list[Alert]) -> dict[str, Any]:
    """A check-in just recorded, with the alerts it raised (SymptomOut dumps it)."""
    body = {name: getattr(log, name) for name in STORED_SYMPTOM_FIELDS}
    body["alerts"] = alerts
    return body


@bp.post("/patients/<int:patient_id>/symptoms")
@bp.auth_required(auth)
@bp.input(SymptomIn, arg_name="body")
@bp.output(SymptomOut, status_code=201)
@bp.doc(responses=[400, 401, 403, 404, 422])
def post_symptoms(patient_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Record a check-in (the patient, or their care team); red flags open alerts."""
    patient = get_patient_for(current_user, patient_id, "api_view_symptoms")
    log, alerts = record_check_in(patient, body, current_user, utcnow())
    document = symptom_document(log, alerts)
    if any(alert.severity == "urgent" for alert in alerts):
        document["advice"] = urgent_advice(patient).as_dict()
    db.session.commit()
    return document


@bp.get("/patients/<int:patient_id>/symptoms")
@bp.auth_required(auth)
@bp.input(SymptomQuery, location="query", arg_name="query")
@bp.output(SymptomOut(many=True))
@bp.doc(responses=[400, 401, 403, 404, 422])
def list_symptoms(patient_id: int, query: dict[str, Any]) -> list[SymptomLog]:
    """Check-ins, newest first (`since`: an ISO instant)."""
    patient = get_patient_for(current_user, patient_id, "api_view_symptoms")
    db.session.commit()
    # SymptomOut reads each row's fields: a check-in listed has no alerts key.
    return symptom_logs(patient, query.get("since"))


@bp.post("/patients/<int:patient_id>/questionnaires/odi")
@bp.auth_required(auth)
@bp.input(OdiIn, arg_name="body")
@bp.output(OdiOut, status_code=201)
@bp.doc(responses=[400, 401, 403, 404, 422])
def post_odi(patient_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Score an ODI: 10 answers 0-5 or null; at least 8 answered (422 otherwise)."""
    # The patient's own answers (or staff entering them): not a caregiver's.
    require_roles("patient", *STAFF_ROLES)
    patient = get_patient_for(current_user, patient_id, "api_view_symptoms")
    now = utcnow()
    try:
        with db.session.begin_nested():  # undone alone: the audit row stays
            outcome = submit_odi(
                patient,
                body["answers"],
                current_user,
                now,
                local_today(patient.user.timezone, now),
            )
    except QuestionnaireError as error:
        db.session.commit()
        abort(422, str(error), detail={"answers": [str(error)]})
    db.session.commit()
    return {
        "id": outcome.response.id,
        "score_percent": outcome.result.score_percent,
        "band": outcome.result.band,
        "answered": outcome.result.answered,
        "alerts": outcome.alerts,
    }


@bp.get("/alerts")
@bp.auth_required(auth)
@bp.input(AlertQuery, location="query", arg_name="query")
@bp.output(AlertOut(many=True))
@bp.doc(responses=[400, 401, 403, 422])
def list_alerts(query: dict[str, Any]) -> list[Alert]:
    """Alerts of your care team's patients: urgent first, then oldest first."""
    require_roles(*STAFF_ROLES)
    statement = visible_alerts(current_user)
    if query.get("status"):
        statement = statement.where(Alert.status == query["status"])
    if query.get("patient_id"):
        statement = statement.where(Alert.patient_id == query["patient_id"])
    alerts = db.session.scalars(
        statement.order_by(
            Alert.severity != "urgent", Alert.created_at, Alert.id
        ).limit(500)
    ).all()
    record("api_list_alerts", details={"count": len(alerts)})
    record_patients("list_alert", [a.patient_id for a in alerts], target="api")
    db.session.commit()
    return list(alerts)


@bp.post("/alerts/<int:alert_id>/acknowledge")
@bp.auth_required(auth)
@bp.input(AckIn, arg_name="body")
@bp.output(AlertOut)
@bp.doc(responses=[400, 401, 403, 404, 409, 422])
def acknowledge_alert(alert_id: int, body: dict[str, Any]) -> Alert:
    """Acknowledge an alert with a note."""
    require_roles(*STAFF_ROLES)
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404, "No such alert.")
    get_patient_for(current_user, alert.patient_id, "api_view_alerts")
    try:
        acknowledge(alert, current_user, body.get("note", ""), utcnow())
    except NoteRequired as error:
        abort(422, str(error), detail={"note": [str(error)]})
    except AlertError as error:
        abort(409, str(error))
    db.session.commit()
    return alert
