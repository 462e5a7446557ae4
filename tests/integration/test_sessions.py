"""Issue 17: sessions end on the server; tokens and sessions die with the password;
the login lock tells nobody whether an account exists and locks out no one else."""

from __future__ import annotations

import re

import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.auth import services
from recovery.auth.models import ApiToken, LoginSession, User
from recovery.auth.services import make_link_token
from recovery.extensions import db
from tests.conftest import Browser, bearer_headers, csrf_from


@pytest.fixture(autouse=True)
def _travel():
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        yield


def cookies_of(client) -> dict[str, str]:
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name) is not None
    }


def replay(app, cookies: dict[str, str]):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_a_logged_out_session_and_its_remember_cookie_are_refused_if_replayed(
    app, make_user
):
    account = make_user("clinician")
    browser = Browser(app.test_client())
    browser.login(account, remember=True)
    stolen = cookies_of(browser.client)
    assert set(stolen) == {"session", "remember_token"}
    assert replay(app, stolen).get("/clinician/").status_code == 200
    browser.logout()
    assert replay(app, stolen).get("/clinician/").status_code == 302
    only_remember = {"remember_token": stolen["remember_token"]}
    assert replay(app, only_remember).get("/clinician/").status_code == 302
    with app.app_context():
        ended = db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == account.id)
        ).one()
        assert ended.ended_at is not None
        assert "logout" in db.session.scalars(select(AuditEvent.action)).all()


def test_log_out_everywhere_ends_every_session_and_api_token(app, client, make_user):
    account = make_user("coordinator")
    laptop, phone = Browser(app.test_client()), Browser(app.test_client())
    laptop.login(account)
    phone.login(account, remember=True)
    headers = bearer_headers(client, account)
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    phone_cookies = cookies_of(phone.client)

    page = laptop.client.get("/account").get_data(as_text=True)
    assert "Log out everywhere" in page
    response = laptop.client.post(
        "/account/logout-everywhere", data={"csrf_token": csrf_from(page)}
    )
    assert response.headers["Location"] == "/login"
    for browser in (laptop, phone):
        assert browser.client.get("/cohorts/").status_code == 302
    assert replay(app, phone_cookies).get("/cohorts/").status_code == 302
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    with app.app_context():
        assert (
            "logout_everywhere"
            in db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.actor_id == account.id)
            ).all()
        )
    # Logging in again works as before.
    assert laptop.login(account).status_code == 302


def test_log_out_everywhere_needs_its_csrf_token(app, make_user):
    account = make_user("coordinator")
    browser = Browser(app.test_client())
    browser.login(account)
    assert browser.client.post("/account/logout-everywhere").status_code == 400
    assert browser.client.get("/cohorts/").status_code == 200


def test_a_password_reset_revokes_tokens_and_other_sessions(app, client, make_user):
    account = make_user("clinician")
    other = Browser(app.test_client())
    other.login(account)
    headers = bearer_headers(client, account)
    with app.app_context():
        user = db.session.get(User, account.id)
        link = make_link_token(app.config["SECRET_KEY"], "password-reset", user)
    resetting = Browser(app.test_client())
    response = resetting.submit(
        f"/reset-password/{link}",
        {"password": "a whole new secret", "confirm": "a whole new secret"},
    )
    assert response.status_code == 302
    assert resetting.client.get("/clinician/").status_code == 200  # this one stays
    assert other.client.get("/clinician/").status_code == 302
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    with app.app_context():
        tokens = db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == account.id)
        ).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)


def login_answer(app, email: str, password: str, address: str = "10.0.0.1"):
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    response = browser.submit("/login", {"email": email, "password": password})
    html = response.get_data(as_text=True)
    # The page without its per-session CSRF token, to compare answers whole.
    return response.status_code, re.sub(r'value="[^"]{40,}"', "", html), browser


class CountingHasher(PasswordHasher):
    """The suite's cheap argon2, counting how many hashes a login verifies."""

    calls = 0

    def verify(self, hash, password):  # type: ignore[no-untyped-def]
        CountingHasher.calls += 1
        return super().verify(hash, password)


@pytest.fixture
def counting_hasher():
    saved = services._hasher
    services._hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    CountingHasher.calls = 0
    yield CountingHasher
    services._hasher = saved


def test_unknown_and_locked_accounts_get_the_same_answer_after_the_same_work(
    app, make_user, counting_hasher
):
    account = make_user("clinician")
    failures = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(failures):
        login_answer(app, account.email, "wrong password")
        login_answer(app, "nobody@clinic.example.org", "wrong password")
    counting_hasher.calls = 0
    locked = login_answer(app, account.email, account.password)
    assert counting_hasher.calls == 1
    unknown = login_answer(app, "nobody@clinic.example.org", account.password)
    assert counting_hasher.calls == 2
    assert locked[0] == unknown[0] == 200
    assert "do not match an account" in locked[1]
    # The pages differ only by the email typed back into the form.
    assert locked[1].replace(account.email, "EMAIL") == unknown[1].replace(
        "nobody@clinic.example.org", "EMAIL"
    )
    assert locked[2].client.get("/clinician/").status_code == 302


def test_failures_from_one_client_do_not_lock_the_account_for_another(app, make_user):
    account = make_user("clinician")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        login_answer(app, account.email, "wrong password", address="203.0.113.9")
    status, _, _ = login_answer(
        app, account.email, account.password, address="203.0.113.9"
    )
    assert status == 200  # the attacker's own client is locked
    status, _, owner = login_answer(
        app, account.email, account.password, address="198.51.100.4"
    )
    assert status == 302
    assert owner.client.get("/clinician/").status_code == 200


def test_the_api_token_endpoint_shares_the_per_client_lock(app, client, make_user):
    account = make_user("clinician")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(
            "/api/v1/auth/tokens", json={"email": account.email, "password": "nope"}
        )
    locked = client.post(
        "/api/v1/auth/tokens",
        json={"email": account.email, "password": account.password},
    )
    unknown = client.post(
        "/api/v1/auth/tokens",
        json={"email": "nobody@clinic.example.org", "password": account.password},
    )
    assert locked.status_code == unknown.status_code == 401
    assert locked.get_json() == unknown.get_json()
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/api/v1/auth/tokens",
        json={"email": account.email, "password": account.password},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 201
