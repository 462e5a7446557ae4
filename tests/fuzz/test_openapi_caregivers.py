"""The caregiver and message operations fuzzed as the patient they belong to: the
admin's pass (test_openapi) meets mostly refusals there (inviting is the patient's)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from recovery.extensions import limiter
from tests.conftest import bearer_headers
from tests.fuzz.test_openapi import operations

OURS = ("/caregivers", "/messages")


@pytest.fixture
def patient_headers(app, client, make_user, make_patient, tmp_path, monkeypatch):
    """A patient's token, and their id for every path."""
    monkeypatch.setitem(app.config, "MESSAGE_UPLOAD_DIR", str(tmp_path))
    patient = make_patient(make_user("coordinator"), surgery_date=date(2026, 11, 2))
    limiter.enabled = False
    yield bearer_headers(client, patient), patient.patient_id
    limiter.enabled = True


def test_caregiver_and_message_operations_conform_as_the_patient(app, patient_headers):
    headers, patient_id = patient_headers
    ran = []
    for operation in operations(app):
        if not any(part in operation.path for part in OURS):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case):
            case.path_parameters = {**case.path_parameters, "patient_id": patient_id}
            case.call_and_validate(
                headers=headers, excluded_checks=[positive_data_acceptance]
            )

        check()
        ran.append(f"{operation.method.upper()} {operation.path}")
    assert sorted(ran) == sorted(
        [
            "POST /api/v1/patients/{patient_id}/caregivers",
            "GET /api/v1/patients/{patient_id}/caregivers",
            "DELETE /api/v1/patients/{patient_id}/caregivers/{caregiver_id}",
            "POST /api/v1/patients/{patient_id}/messages",
            "GET /api/v1/patients/{patient_id}/messages",
            "POST /api/v1/patients/{patient_id}/messages/{message_id}/attachments",
            "GET /api/v1/patients/{patient_id}/messages/{message_id}/attachments"
            "/{attachment_id}",
        ]
    )
