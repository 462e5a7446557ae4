"""A patient's timeline: read it, complete an event, a clinician's edit, iCalendar."""

from __future__ import annotations

import json
from typing import Any

from apiflask import abort
from flask import Response, current_app
from flask_login import current_user

from recovery.api import auth, bp, require_roles
from recovery.api.conditional import claim, not_modified, tagged, timeline_etag
from recovery.api.schemas import EventOut, EventPatch, TimelineOut
from recovery.auth.models import SCHEDULE_EDITORS
from recovery.extensions import db
from recovery.interop.fhir import patient_bundle
from recovery.interop.ical import timeline_calendar
from recovery.messages.services import patient_messages
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for
from recovery.patients.models import Patient
from recovery.symptoms.services import odi_responses, symptom_logs
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import (
    TimelineError,
    complete_event,
    find_event,
    override_event,
)
from recovery.zones import local_today


def event_document(event: TimelineEvent, today: Any) -> dict[str, Any]:
    """One event with its status on the patient's today."""
    return {
        "id": event.id,
        "key": event.key,
        "kind": event.kind,
        "title": event.title,
        "instructions": event.instructions,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "status": event.status_on(today),
        "overridden": event.overridden,
        "allowed": event.allowed,
        "not_allowed": event.not_allowed,
        # A period with no end date: it holds until the visit that lifts it.
        "open_ended": event.open_ended,
    }


def _today(patient: Patient) -> Any:
    return local_today(patient.user.timezone, utcnow())


def _event_or_404(patient: Patient, event_id: int) -> TimelineEvent:
    event = find_event(patient, event_id)
    if event is None:
        abort(404, "This patient has no such event.")
    return event


@bp.get("/patients/<int:patient_id>/timeline")
@bp.auth_required(auth)
@bp.output(TimelineOut)
@bp.doc(responses=[401, 403, 404])
def get_timeline(patient_id: int) -> Any:
    """Every event of the patient's timeline, ordered by start date (with an ETag)."""
    patient = get_patient_for(current_user, patient_id, "api_view_timeline")
    db.session.commit()
    today = _today(patient)
    tag = timeline_etag(patient, today)
    cached = not_modified(tag)
    if cached is not None:
        return cached
    events = sorted(patient.events, key=lambda e: (e.start_date, e.key))
    body = {
        "surgery_date": patient.surgery_date,
        "protocol": {"id": patient.protocol_id, "version": patient.protocol_version},
        "events": [event_document(e, today) for e in events],
    }
    return tagged(body, tag)


@bp.post("/patients/<int:patient_id>/events/<int:event_id>/complete")
@bp.auth_required(auth)
@bp.output(EventOut)
@bp.doc(responses=[401, 403, 404, 409])
def complete(patient_id: int, event_id: int) -> dict[str, Any]:
    """Mark an event done: staff any event, a patient only what they do themselves
    (not visits, radiation sessions or imaging: 403)."""
    patient = get_patient_for(current_user, patient_id, "api_view_timeline")
    event = _event_or_404(patient, event_id)
    try:
        complete_event(event, current_user, utcnow())
    except TimelineError as error:
        db.session.commit()  # a refusal's audit row
        abort(getattr(error, "status_code", 409), str(error))
    db.session.commit()
    return event_document(event, _today(patient))


@bp.patch("/patients/<int:patient_id>/events/<int:event_id>")
@bp.auth_required(auth)
@bp.input(EventPatch, arg_name="body")
@bp.output(EventOut)
@bp.doc(responses=[400, 401, 403, 404, 412, 422])
def edit_event(patient_id: int, event_id: int, body: dict[str, Any]) -> Any:
    """A clinician reschedules or rewords one event; recompute keeps the change.

    With If-Match (the timeline's ETag), a change since gives 412.
    """
    require_roles(*SCHEDULE_EDITORS)
    patient = get_patient_for(current_user, patient_id, "api_view_timeline")
    event = _event_or_404(patient, event_id)
    claim(patient, timeline_etag(patient, _today(patient)))
    try:
        override_event(event, body, utcnow())
    except TimelineError as error:
        abort(422, str(error), detail={"end_date": [str(error)]})
    db.session.commit()
    today = _today(patient)
    return tagged(event_document(event, today), timeline_etag(patient, today))


@bp.get("/patients/<int:patient_id>/calendar.ics")
@bp.auth_required(auth)
@bp.doc(
    responses={
        200: {
            "description": "iCalendar (RFC 5545), one all-day VEVENT per event",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        401: "Not logged in",
        403: "Not in the care team",
        404: "No such patient",
    }
)
def calendar(patient_id: int) -> Response:
    """The timeline as an iCalendar file of all-day events."""
    patient = get_patient_for(current_user, patient_id, "api_calendar")
    db.session.commit()
    return Response(
        timeline_calendar(patient, utcnow()),
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="recovery.ics"'},
    )


@bp.get("/patients/<int:patient_id>/fhir")
@bp.auth_required(auth)
@bp.doc(
    responses={
        200: {
            "description": "A FHIR R4 Bundle (type collection): Patient, CarePlan "
            "(one activity per timeline event), pain Observations (LOINC 72514-3), "
            "ODI QuestionnaireResponses, messages with the care team as "
            "Communications.",
            "content": {"application/fhir+json": {"schema": {"type": "object"}}},
        },
        401: "Not logged in",
        403: "Not in the care team",
        404: "No such patient",
    }
)
def get_fhir(patient_id: int) -> Response:
    """The patient's record as a FHIR R4 Bundle, validated before it is sent."""
    patient = get_patient_for(current_user, patient_id, "api_export_fhir")
    db.session.commit()
    now = utcnow()
    bundle = patient_bundle(
        patient,
        sorted(patient.events, key=lambda e: (e.start_date, e.key)),
        symptom_logs(patient, limit=100_000),
        odi_responses(patient),
        _today(patient),
        now,
        current_app.config["PUBLIC_URL"].rstrip("/") + "/api/v1/fhir",
        patient_messages(patient),
        current_app.config["PUBLIC_URL"].rstrip("/") + "/api/v1",
    )
    return Response(json.dumps(bundle), mimetype="application/fhir+json")
