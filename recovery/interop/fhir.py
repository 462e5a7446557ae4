"""A patient's record as a FHIR R4 Bundle, built and validated with fhir.resources.

The models are fhir.resources' R4B (4.3) classes: the library's R4 line, and every
element used here (Patient, CarePlan, Observation, QuestionnaireResponse) is the
same in R4 4.0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fhir.resources.R4B.bundle import Bundle

from recovery.patients.models import Patient
from recovery.symptoms.models import QuestionnaireResponse, SymptomLog
from recovery.timeline.models import TimelineEvent

if TYPE_CHECKING:
    from recovery.messages.models import Message

EVENT_KIND_SYSTEM = "https://recovery.example.org/fhir/event-kind"
EVENT_STATUS_SYSTEM = "https://recovery.example.org/fhir/event-status"
MRN_SYSTEM = "https://recovery.example.org/fhir/mrn"
ODI_QUESTIONNAIRE = "https://recovery.example.org/fhir/Questionnaire/odi"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
# LOINC 72514-3: Pain severity - 0-10 verbal numeric rating [Score] - Reported.
PAIN_CODE = {"system": LOINC, "code": "72514-3", "display": "Pain severity 0-10"}
BODY_SITES = {
    "back_pain": {"system": SNOMED, "code": "77568009", "display": "Back"},
    "leg_pain": {"system": SNOMED, "code": "30021000", "display": "Lower leg"},
}
# Our event statuses in CarePlan.activity.detail.status terms.
ACTIVITY_STATUS = {
    "upcoming": "scheduled",
    "due": "in-progress",
    "done": "completed",
    "missed": "stopped",
    "cancelled": "cancelled",
}


def _ref(resource: str, rid: str) -> dict[str, str]:
    return {"reference": f"{resource}/{rid}"}


def _patient(patient: Patient) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [{"system": MRN_SYSTEM, "value": patient.mrn}],
        "name": [{"text": patient.user.name}],
        "telecom": [{"system": "email", "value": patient.user.email}],
        "birthDate": patient.date_of_birth.isoformat(),
    }


def _care_plan(patient: Patient, events: list[TimelineEvent], today: date) -> dict:
    activities = []
    for event in events:
        status = event.status_on(today)
        detail: dict[str, Any] = {
            "kind": "Appointment"
            if event.kind in ("follow_up_visit", "wound_check")
            else "ServiceRequest",
            "code": {
                "coding": [{"system": EVENT_KIND_SYSTEM, "code": event.kind}],
                "text": event.title,
            },
            "status": ACTIVITY_STATUS[status],
            "statusReason": {
                "coding": [{"system": EVENT_STATUS_SYSTEM, "code": status}],
                "text": status,
            },
            "scheduledPeriod": {
                "start": event.start_date.isoformat(),
                "end": event.end_date.isoformat(),
            },
        }
        if event.instructions:
            detail["description"] = event.instructions
        activities.append({"id": f"event-{event.id}", "detail": detail})
    return {
        "resourceType": "CarePlan",
        "id": f"careplan-{patient.id}-{patient.episode}",
        "status": "completed" if patient.discharged_at else "active",
        "intent": "plan",
        "title": f"Recovery after {patient.procedure.replace('_', ' ')}",
        "subject": _ref("Patient", str(patient.id)),
        "period": {"start": patient.surgery_date.isoformat()},
        "activity": activities,
    }


def _pain(patient: Patient, log: SymptomLog) -> list[dict[str, Any]]:
    observations = []
    for field, site in BODY_SITES.items():
        value = getattr(log, field)
        if value is None:
            continue
        observations.append(
            {
                "resourceType": "Observation",
                "id": f"pain-{log.id}-{field.split('_')[0]}",
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "observation-category",
                                "code": "survey",
                            }
                        ]
                    }
                ],
                "code": {"coding": [PAIN_CODE], "text": field.replace("_", " ")},
                "bodySite": {"coding": [site]},
                "subject": _ref("Patient", str(patient.id)),
                "effectiveDateTime": log.recorded_at.isoformat(),
                "valueInteger": value,
            }
        )
    return observations


def _odi(patient: Patient, response: QuestionnaireResponse) -> dict[str, Any]:
    items = [
        {"linkId": str(n), "answer": [{"valueInteger": answer}]}
        for n, answer in enumerate(response.answers, start=1)
        if answer is not None
    ]
    if response.score_percent is not None:
        items.append(
            {
                "linkId": "score",
                "text": f"ODI score ({response.band})",
                "answer": [{"valueDecimal": response.score_percent}],
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"odi-{response.id}",
        "questionnaire": ODI_QUESTIONNAIRE,
        "status": "completed",
        "subject": _ref("Patient", str(patient.id)),
        "authored": response.recorded_at.isoformat(),
        "item": items,
    }


def _communication(patient: Patient, message: Message, base_url: str) -> dict:
    """A message with the care team as a FHIR Communication (photos by URL)."""
    if message.from_staff:
        sender: dict[str, str] = {"display": f"{_author(message)} (care team)"}
    elif message.author_id == patient.user_id:
        sender = _ref("Patient", str(patient.id))
    else:
        sender = {"display": f"{_author(message)} (caregiver)"}
    payload: list[dict[str, Any]] = [{"contentString": message.body}]
    for photo in message.attachments:
        payload.append(
            {
                "contentAttachment": {
                    "contentType": photo.content_type,
                    "title": "Wound photo",
                    "url": f"{base_url}/patients/{patient.id}/messages/"
                    f"{message.id}/attachments/{photo.id}",
                }
            }
        )
    return {
        "resourceType": "Communication",
        "id": f"message-{message.id}",
        "status": "completed",
        "category": [{"text": "Message with the care team"}],
        "subject": _ref("Patient", str(patient.id)),
        "sent": message.created_at.isoformat(),
        "sender": sender,
        "payload": payload,
    }


def _author(message: Message) -> str:
    return message.author.name if message.author else "Former user"


def patient_bundle(
    patient: Patient,
    events: list[TimelineEvent],
    logs: list[SymptomLog],
    questionnaires: list[QuestionnaireResponse],
    today: date,
    now: datetime,
    base_url: str,
    messages: Sequence[Message] = (),
    api_url: str = "",
) -> dict[str, Any]:
    """The Bundle (type collection) as JSON; validated by the R4 models first."""
    resources = [
        _patient(patient),
        _care_plan(patient, events, today),
        *(obs for log in logs for obs in _pain(patient, log)),
        *(_odi(patient, q) for q in questionnaires),
        *(_communication(patient, m, api_url) for m in messages),
    ]
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [
            {
                "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
                "resource": r,
            }
            for r in resources
        ],
    }
    bundle = Bundle.model_validate(data)  # raises if anything is not valid FHIR
    return bundle.model_dump(mode="json", by_alias=True, exclude_none=True)


def events_of_bundle(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The CarePlan activities of a bundle by activity id (for readers and tests)."""
    plans = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "CarePlan"
    ]
    return {a["id"]: a["detail"] for plan in plans for a in plan.get("activity", [])}
