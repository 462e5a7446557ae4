"""FHIR R4 export: the bundle validates and reads back to the same timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from fhir.resources.R4B.bundle import Bundle

from recovery.interop.fhir import events_of_bundle
from tests.conftest import bearer_headers
from tests.integration.test_cohort import add_log, build_timeline

NOW = "2026-11-26 15:00 +0000"


def test_bundle_validates_and_round_trips_every_timeline_event(
    app, client, make_user, make_patient
):
    clinician = make_user("clinician")
    account = make_patient(
        clinician,
        name="Fay Hir",
        surgery_date=date(2026, 11, 10),
        radiation_planned=True,
        radiation_start_day=10,
    )
    pid = account.patient_id
    with time_machine.travel(NOW, tick=False):
        build_timeline(app, pid, done_before=date(2026, 11, 20))
    add_log(app, pid, datetime(2026, 11, 25, 9, tzinfo=UTC), 6)
    add_log(app, pid, datetime(2026, 11, 26, 9, tzinfo=UTC), 4)
    headers = bearer_headers(client, clinician)
    with time_machine.travel(NOW, tick=False):
        odi = client.post(
            f"/api/v1/patients/{pid}/questionnaires/odi",
            json={"answers": [2, 2, 1, 1, 3, 2, 1, 0, None, 2]},
            headers=headers,
        )
        assert odi.status_code == 201
        response = client.get(f"/api/v1/patients/{pid}/fhir", headers=headers)
        timeline = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    body = response.get_json()
    # Read back through the R4 models: a strict validator of every element.
    bundle = Bundle.model_validate(body)
    assert bundle.type == "collection"
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds[:2] == ["Patient", "CarePlan"]
    patient = bundle.entry[0].resource
    assert patient.identifier[0].value == "MRN-00001"
    assert str(patient.birthDate) == "1960-05-17"
    # Every timeline event, with its dates and status.
    activities = events_of_bundle(body)
    events = timeline.get_json()["events"]
    assert len(activities) == len(events) > 20
    for event in events:
        detail = activities[f"event-{event['id']}"]
        assert detail["code"]["coding"][0]["code"] == event["kind"]
        assert detail["code"]["text"] == event["title"]
        assert detail["scheduledPeriod"] == {
            "start": event["start_date"],
            "end": event["end_date"],
        }
        assert detail["statusReason"]["text"] == event["status"]
    assert {d["status"] for d in activities.values()} >= {"completed", "scheduled"}
    # Pain as LOINC-coded observations, one per score given.
    pain = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "Observation"
    ]
    assert sorted(o.valueInteger for o in pain) == [4, 6]
    assert {o.code.coding[0].code for o in pain} == {"72514-3"}
    assert {o.code.coding[0].system for o in pain} == {"http://loinc.org"}
    # The ODI, with its answers (the skipped one left out) and score.
    (questionnaire,) = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "QuestionnaireResponse"
    ]
    answers = {item.linkId: item.answer[0] for item in questionnaire.item}
    assert "9" not in answers and answers["1"].valueInteger == 2
    assert float(answers["score"].valueDecimal) == odi.get_json()["score_percent"]


def test_fhir_export_follows_the_care_team(app, client, make_user, make_patient):
    clinician = make_user("clinician")
    account = make_patient(clinician)
    other = make_patient(make_user("clinician"))
    url = f"/api/v1/patients/{account.patient_id}/fhir"
    assert client.get(url, headers=bearer_headers(client, clinician)).status_code == 200
    assert (
        client.get(
            url, headers=bearer_headers(client, make_user("clinician"))
        ).status_code
        == 403
    )
    assert client.get(url, headers=bearer_headers(client, other)).status_code == 404
    assert client.get(url, headers=bearer_headers(client, account)).status_code == 200
    assert client.get(url).status_code == 401
