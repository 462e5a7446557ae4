"""Personal API tokens (created, shown once, listed, revoked) and the API docs page."""

from __future__ import annotations

import re

from sqlalchemy import select

from recovery.auth.models import ApiToken
from recovery.extensions import db
from tests.conftest import Browser


def create(browser: Browser, label: str = "EHR sync", days: str = "30"):
    return browser.submit("/account/tokens", {"label": label, "days": days})


def shown_token(html: str) -> str:
    match = re.search(r'id="new-token" type="text" readonly value="(rcv_[^"]+)"', html)
    assert match, "no new token on the page"
    return match.group(1)


def test_staff_create_a_token_that_is_shown_once_and_works(app, browser, make_user):
    browser.login(make_user("clinician"))
    response = create(browser)
    assert response.status_code == 302
    page = browser.client.get("/account/tokens").get_data(as_text=True)
    raw = shown_token(page)
    assert "EHR sync" in page and "active" in page
    again = browser.client.get("/account/tokens").get_data(as_text=True)
    assert raw not in again  # shown once
    api = app.test_client()
    reply = api.get("/api/v1/patients", headers={"Authorization": f"Bearer {raw}"})
    assert reply.status_code == 200
    listed = browser.client.get("/account/tokens").get_data(as_text=True)
    assert "never" not in listed.split("EHR sync")[1][:300]  # last used is shown
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert token.token_hash != raw and raw not in token.token_hash
        assert (token.expires_at - token.created_at).days == 30


def test_a_revoked_token_stops_working_at_once(app, browser, make_user):
    browser.login(make_user("coordinator"))
    create(browser, "Script")
    raw = shown_token(browser.client.get("/account/tokens").get_data(as_text=True))
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    response = browser.submit(
        f"/account/tokens/{token_id}/revoke", {}, form_url="/account/tokens"
    )
    assert response.status_code == 302
    reply = app.test_client().get(
        "/api/v1/patients", headers={"Authorization": f"Bearer {raw}"}
    )
    assert reply.status_code == 401
    assert "revoked" in browser.client.get("/account/tokens").get_data(as_text=True)


def test_nobody_revokes_someone_elses_token(app, browser, make_user):
    owner = Browser(app.test_client())
    owner.login(make_user("clinician"))
    create(owner)
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    browser.login(make_user("clinician"))
    response = browser.submit(
        f"/account/tokens/{token_id}/revoke", {}, form_url="/account/tokens"
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_token_form_explains_bad_input(browser, make_user):
    browser.login(make_user("clinician"))
    response = create(browser, label="", days="999")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Say what the token is for" in html
    assert "From 1 to 365 days." in html


def test_patients_list_and_revoke_the_tokens_they_created(
    app, browser, make_user, make_patient
):
    patient = make_patient(make_user("clinician"))
    client = app.test_client()  # no cookie: the token alone
    response = client.post(
        "/api/v1/auth/tokens",
        json={"email": patient.email, "password": patient.password, "label": "Phone"},
    )
    raw = response.get_json()["token"]
    bearer = {"Authorization": f"Bearer {raw}"}
    own = f"/api/v1/patients/{patient.patient_id}"
    assert client.get(own, headers=bearer).status_code == 200
    browser.login(patient)
    page = browser.client.get("/account/tokens").get_data(as_text=True)
    assert "Phone" in page and "active" in page
    with app.app_context():
        token_id = db.session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == patient.id)
        ).one()
    browser.submit(f"/account/tokens/{token_id}/revoke", {}, form_url="/account/tokens")
    assert "revoked" in browser.client.get("/account/tokens").get_data(as_text=True)
    assert client.get(own, headers=bearer).status_code == 401


def test_api_docs_page_serves_swagger_ui_from_this_server(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert 'data-spec="/api/v1/openapi.json"' in html
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # no inline script: the CSP stays strict
    assert (
        client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    )
