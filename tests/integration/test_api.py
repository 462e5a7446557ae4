"""The JSON API: tokens, their use, revocation, expiry; errors in the spec's shape."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from recovery.auth.models import ApiToken
from recovery.extensions import db
from recovery.patients.models import Patient
from tests.conftest import csrf_from


def issue(client, account, **extra):
    return client.post(
        "/api/v1/auth/tokens",
        json={"email": account.email, "password": account.password, **extra},
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_issue_use_and_revoke(app, client, make_user, make_patient):
    clinician = make_user("clinician")
    patient = make_patient(clinician, name="Api Patient", mrn="MRN-API-1")
    response = issue(client, clinician)
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("rcv_")
    assert body["expires_at"]
    assert "Set-Cookie" not in response.headers

    got = client.get(
        f"/api/v1/patients/{patient.patient_id}", headers=bearer(body["token"])
    )
    assert got.status_code == 200
    assert got.get_json()["mrn"] == "MRN-API-1"
    assert got.get_json()["name"] == "Api Patient"
    assert "Set-Cookie" not in got.headers  # tokens never start a cookie session

    revoked = client.delete(
        "/api/v1/auth/tokens/current", headers=bearer(body["token"])
    )
    assert revoked.status_code == 204
    after = client.get(
        f"/api/v1/patients/{patient.patient_id}", headers=bearer(body["token"])
    )
    assert after.status_code == 401
    assert after.get_json()["error"]["code"] == "unauthorized"


def test_tokens_are_stored_only_as_hashes(app, client, make_user):
    raw = issue(client, make_user("clinician")).get_json()["token"]
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1
    assert raw not in stored[0]
    assert len(stored[0]) == 64


def test_expired_token_is_refused(app, client, make_user):
    clinician = make_user("clinician")
    with time_machine.travel("2026-11-01 08:00 +0000", tick=False) as traveller:
        token = issue(client, clinician).get_json()["token"]
        assert (
            client.get("/api/v1/patients/1", headers=bearer(token)).status_code == 404
        )
        traveller.shift(app.config["API_TOKEN_TTL"] + timedelta(seconds=1))
        assert (
            client.get("/api/v1/patients/1", headers=bearer(token)).status_code == 401
        )


def test_wrong_password_gives_401_in_the_error_shape(client, make_user):
    account = make_user("clinician")
    response = client.post(
        "/api/v1/auth/tokens",
        json={"email": account.email, "password": "not it at all"},
    )
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized"
    assert "do not match" in error["message"]


def test_token_of_a_deactivated_user_stops_working(app, client, make_user):
    from recovery.admin.services import set_active
    from recovery.auth.models import User
    from recovery.orm import utcnow

    account = make_user("coordinator")
    token = issue(client, account).get_json()["token"]
    with app.app_context():
        set_active(db.session.get(User, account.id), False, utcnow())
        db.session.commit()
    assert client.get("/api/v1/patients/1", headers=bearer(token)).status_code == 401


def test_bad_json_is_400_with_the_error_shape(client):
    response = client.post(
        "/api/v1/auth/tokens", data=b'{"email": ', content_type="application/json"
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"]


def test_non_utf8_body_is_400(client):
    response = client.post(
        "/api/v1/auth/tokens",
        data=b'{"email": "\xff\xfe"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_bad_fields_are_422_naming_each_field(client):
    response = client.post(
        "/api/v1/auth/tokens",
        json={"email": "not-an-email", "password": "", "extra": 1},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"email", "password", "extra"}
    assert "email" in error["message"]


def test_missing_fields_are_named(client):
    response = client.post("/api/v1/auth/tokens", json={})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"email", "password"}


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.get("/api/v1/auth/tokens")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_patient_reads_only_their_own_record_through_the_api(
    client, make_user, make_patient
):
    clinician = make_user("clinician")
    me = make_patient(clinician)
    other = make_patient(clinician)
    token = issue(client, me).get_json()["token"]
    assert (
        client.get(
            f"/api/v1/patients/{me.patient_id}", headers=bearer(token)
        ).status_code
        == 200
    )
    response = client.get(f"/api/v1/patients/{other.patient_id}", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_staff_outside_the_care_team_get_403(client, make_user, make_patient):
    patient = make_patient(make_user("clinician"))
    token = issue(client, make_user("clinician")).get_json()["token"]
    response = client.get(
        f"/api/v1/patients/{patient.patient_id}", headers=bearer(token)
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_browser_session_works_for_reads_and_needs_csrf_for_writes(
    app, browser, make_user, make_patient
):
    clinician = make_user("clinician")
    patient = make_patient(clinician, name="Kept Name")
    url = f"/api/v1/patients/{patient.patient_id}"
    browser.login(clinician)
    assert browser.client.get(url).status_code == 200
    # A valid change without the CSRF header is refused and changes nothing.
    no_csrf = browser.client.patch(url, json={"name": "Forged Name"})
    assert no_csrf.status_code == 400
    assert "CSRF" in no_csrf.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.get(Patient, patient.patient_id).user.name == "Kept Name"
    token = csrf_from(browser.client.get("/account").get_data(as_text=True))
    with_csrf = browser.client.patch(
        url, json={"name": "New Name"}, headers={"X-CSRFToken": token}
    )
    assert with_csrf.status_code == 200, with_csrf.get_json()
    with app.app_context():
        assert db.session.get(Patient, patient.patient_id).user.name == "New Name"


def test_no_credentials_is_401(client):
    response = client.get("/api/v1/patients/1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_openapi_document_is_generated_from_the_schemas(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/tokens" in spec["paths"]
    assert "delete" in spec["paths"]["/api/v1/auth/tokens/current"]
    request_schema = spec["components"]["schemas"]["TokenRequest"]
    assert set(request_schema["required"]) == {"email", "password"}
    assert not any(path.startswith("/login") for path in spec["paths"])
