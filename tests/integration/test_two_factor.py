"""Issue 17: two-factor sign-in (authenticator app and recovery codes), turned on by
the user or required for staff by a setting; audited; asked by the token endpoint."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.extensions import db
from tests.conftest import Browser, csrf_from

NOW = "2026-11-26 15:00 +0000"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def code_now(secret: str) -> str:
    from recovery.orm import utcnow

    return pyotp.TOTP(secret).at(utcnow())


def turn_on(browser: Browser) -> tuple[str, list[str]]:
    """Turn two-factor on through the page, as a person would; (secret, codes)."""
    page = browser.client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'class="setup-key">([A-Z2-7 ]+)<', page).group(1)
    secret = secret.replace(" ", "")
    response = browser.client.post(
        "/account/two-factor",
        data={
            "csrf_token": csrf_from(page),
            "action": "enable",
            "code": code_now(secret),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", html)
    return secret, codes


def actions(app, account) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.actor_id == account.id)
                .order_by(AuditEvent.id)
            )
        )


def test_turning_it_on_needs_a_right_code_and_gives_ten_recovery_codes(
    app, make_user, clock
):
    account = make_user("clinician")
    browser = Browser(app.test_client())
    browser.login(account)
    page = browser.client.get("/account/two-factor").get_data(as_text=True)
    assert "otpauth://totp/Recovery" in page
    wrong = browser.client.post(
        "/account/two-factor",
        data={"csrf_token": csrf_from(page), "action": "enable", "code": "000000"},
    )
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, account.id).totp_enabled_at is None
    _, codes = turn_on(browser)
    assert len(set(codes)) == 10
    assert "enable_two_factor" in actions(app, account)
    # The codes are shown once only.
    again = browser.client.get("/account/two-factor").get_data(as_text=True)
    assert codes[0] not in again and "10 recovery codes left" in again


def test_login_asks_for_the_code_and_a_code_works_once(app, make_user, clock):
    account = make_user("clinician")
    first = Browser(app.test_client())
    first.login(account)
    secret, _ = turn_on(first)
    clock.shift(timedelta(seconds=60))  # a later code than the one that turned it on

    browser = Browser(app.test_client())
    response = browser.login(account)
    assert response.headers["Location"] == "/login/code"
    assert browser.client.get("/clinician/").status_code == 302  # not yet in
    code = code_now(secret)
    response = browser.submit("/login/code", {"code": code})
    assert response.status_code == 302
    assert browser.client.get("/clinician/").status_code == 200
    with app.app_context():
        login = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "login", AuditEvent.actor_id == account.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert login.details == {"second_factor": "app"}

    # The same code, seen over a shoulder, does not work again.
    other = Browser(app.test_client())
    other.login(account)
    replayed = other.submit("/login/code", {"code": code})
    assert replayed.status_code == 400
    assert other.client.get("/clinician/").status_code == 302
    assert "second_factor_refused" in actions(app, account)


def test_a_recovery_code_signs_in_once(app, make_user, clock):
    account = make_user("coordinator")
    first = Browser(app.test_client())
    first.login(account)
    _, codes = turn_on(first)
    for expected in (302, 400):
        browser = Browser(app.test_client())
        browser.login(account)
        assert browser.submit("/login/code", {"code": codes[3]}).status_code == expected
    assert actions(app, account).count("recovery_code_used") == 1


def test_wrong_codes_lock_the_client_out_like_wrong_passwords(app, make_user, clock):
    account = make_user("coordinator")
    first = Browser(app.test_client())
    first.login(account)
    secret, _ = turn_on(first)
    clock.shift(timedelta(seconds=60))
    browser = Browser(app.test_client())
    browser.login(account)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert browser.submit("/login/code", {"code": "123456"}).status_code == 400
    # Now even the right code is refused from this client.
    assert browser.submit("/login/code", {"code": code_now(secret)}).status_code == 400
    assert browser.client.get("/cohorts/").status_code == 302


def test_turning_it_off_needs_a_code(app, make_user, clock):
    account = make_user("coordinator")
    browser = Browser(app.test_client())
    browser.login(account)
    secret, _ = turn_on(browser)
    clock.shift(timedelta(seconds=60))
    refused = browser.submit(
        "/account/two-factor", {"action": "disable", "code": "999999"}
    )
    assert refused.status_code == 400
    browser.submit(
        "/account/two-factor", {"action": "disable", "code": code_now(secret)}
    )
    with app.app_context():
        assert db.session.get(User, account.id).totp_secret is None
    assert "disable_two_factor" in actions(app, account)


def test_the_token_endpoint_asks_for_the_code(app, client, make_user, clock):
    account = make_user("clinician")
    browser = Browser(app.test_client())
    browser.login(account)
    secret, _ = turn_on(browser)
    clock.shift(timedelta(seconds=60))
    body = {"email": account.email, "password": account.password}
    missing = client.post("/api/v1/auth/tokens", json=body)
    assert missing.status_code == 401
    assert "code" in missing.get_json()["error"]["fields"]
    ok = client.post("/api/v1/auth/tokens", json={**body, "code": code_now(secret)})
    assert ok.status_code == 201


def test_the_setting_requires_it_for_every_staff_role_not_patients(
    app, client, make_user, make_patient, monkeypatch, clock
):
    monkeypatch.setitem(app.config, "REQUIRE_STAFF_TWO_FACTOR", True)
    account = make_user("admin")
    browser = Browser(app.test_client())
    browser.login(account)
    response = browser.client.get("/admin/users")
    assert response.headers["Location"] == "/account/two-factor"
    refused = client.post(
        "/api/v1/auth/tokens",
        json={"email": account.email, "password": account.password},
    )
    assert refused.status_code == 403
    turn_on(browser)
    assert browser.client.get("/admin/users").status_code == 200
    # Turning it off is not offered, and refused.
    page = browser.client.get("/account/two-factor").get_data(as_text=True)
    assert "Turn two-factor sign-in off" not in page

    patient = Browser(app.test_client())
    patient.login(make_patient(make_user("clinician")))
    assert patient.client.get("/patients/me").status_code == 200
