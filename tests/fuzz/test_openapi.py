"""Schemathesis against the live OpenAPI document, with a real token: no 500s, and
every response matches the schema it is documented with.

"Schema-valid data is accepted" is not checked: some rules span fields (surgery_to
not before surgery_from, a birth date before the surgery) and OpenAPI cannot say
them, so such requests rightly get 422.
"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from recovery.extensions import limiter
from tests.conftest import bearer_headers

# Revoking the caller's own token would end the run's authentication.
SKIPPED = {("DELETE", "/api/v1/auth/tokens/current")}


@pytest.fixture
def staff_headers(app, client, make_user, make_patient):
    """An admin's token over a small clinic, so low ids exist."""
    admin = make_user("admin")
    clinician = make_user("clinician")
    for n in range(3):
        make_patient(clinician, surgery_date=date(2026, 11, 2 + n), timeline=True)
    limiter.enabled = False  # fuzzing is not abuse; limits have their own test
    yield bearer_headers(client, admin)
    limiter.enabled = True


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


def test_every_operation_conforms_to_its_schema(app, staff_headers):
    ran = []
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case):
            case.call_and_validate(
                headers=staff_headers, excluded_checks=[positive_data_acceptance]
            )

        check()
        ran.append(f"{operation.method.upper()} {operation.path}")
    assert len(ran) >= 18, ran
