"""Invitation and password-reset links: signed, expiring, single-use, sent by email."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from tests.conftest import Browser

LINK_RE = re.compile(r"http://localhost(/(?:invitation|reset-password)/[^\s\"<]+)")


def link_in(message) -> str:
    """The path of the link in an email's plain-text body."""
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def invite_staff(app, make_user, outbox, email="new.nurse@clinic.example.org"):
    admin = make_user("admin")
    browser = Browser(app.test_client())
    browser.login(admin)
    response = browser.submit(
        "/admin/users/new",
        {
            "name": "Nina Nurse",
            "email": email,
            "role": "clinician",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    assert len(outbox) == 1
    assert outbox[0].to == [email]
    return link_in(outbox[0])


def test_invitation_link_sets_a_first_password_and_logs_in(
    app, client, make_user, outbox
):
    path = invite_staff(app, make_user, outbox)
    browser = Browser(client)
    response = browser.submit(
        path, {"password": "my first password", "confirm": "my first password"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/clinician/"
    browser.logout()
    again = browser.submit(
        "/login",
        {"email": "new.nurse@clinic.example.org", "password": "my first password"},
    )
    assert again.status_code == 302


def test_invitation_link_works_only_once(app, client, make_user, outbox):
    path = invite_staff(app, make_user, outbox)
    browser = Browser(client)
    browser.submit(
        path, {"password": "my first password", "confirm": "my first password"}
    )
    reused = Browser(app.test_client()).client.get(path)
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)


def test_expired_invitation_link_is_refused(app, client, make_user, outbox):
    with time_machine.travel("2026-11-01 12:00 +0000", tick=False) as traveller:
        path = invite_staff(app, make_user, outbox)
        traveller.shift(app.config["INVITATION_MAX_AGE"] + timedelta(minutes=1))
        response = client.get(path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_tampered_invitation_link_is_refused(app, client, make_user, outbox):
    path = invite_staff(app, make_user, outbox)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    response = client.get(tampered)
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_an_invitation_link_cannot_be_used_as_a_reset_link(
    app, client, make_user, outbox
):
    path = invite_staff(app, make_user, outbox)
    token = path.rsplit("/", 1)[1]
    assert client.get(f"/reset-password/{token}").status_code == 400


def test_set_password_form_explains_a_short_or_mismatched_password(
    app, client, make_user, outbox
):
    path = invite_staff(app, make_user, outbox)
    browser = Browser(client)
    short = browser.submit(path, {"password": "short", "confirm": "short"})
    assert "at least 10 characters" in short.get_data(as_text=True)
    mismatch = browser.submit(
        path, {"password": "long enough one", "confirm": "long enough two"}
    )
    assert "not the same" in mismatch.get_data(as_text=True)


def test_password_reset_by_email_link(app, client, make_user, outbox):
    account = make_user("coordinator")
    browser = Browser(client)
    response = browser.submit("/reset-password", {"email": account.email.upper()})
    assert response.status_code == 302
    assert len(outbox) == 1
    path = link_in(outbox[0])
    assert "<a href=" in outbox[0].alternatives[0][0]  # HTML part too
    done = browser.submit(
        path, {"password": "a fresh password", "confirm": "a fresh password"}
    )
    assert done.headers["Location"] == "/cohorts/"
    browser.logout()
    assert browser.login(account).status_code == 200  # old password no longer works
    reused = client.get(path)
    assert reused.status_code == 400


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client, outbox):
    browser = Browser(client)
    response = browser.submit(
        "/reset-password", {"email": "ghost@clinic.example.org"}, follow_redirects=True
    )
    assert "If an account uses that address" in response.get_data(as_text=True)
    assert outbox == []


def test_expired_reset_link_is_refused(app, client, make_user, outbox):
    account = make_user("clinician")
    with time_machine.travel("2026-11-20 08:00 +0000", tick=False) as traveller:
        Browser(client).submit("/reset-password", {"email": account.email})
        path = link_in(outbox[0])
        traveller.shift(app.config["PASSWORD_RESET_MAX_AGE"] + timedelta(seconds=5))
        assert client.get(path).status_code == 400


def test_links_use_the_configured_public_url_not_the_host_header(
    app, make_user, outbox
):
    account = make_user("clinician")
    client = app.test_client()
    page = client.get("/reset-password", headers={"Host": "evil.example.com"})
    from tests.conftest import csrf_from

    client.post(
        "/reset-password",
        data={
            "email": account.email,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
        headers={"Host": "evil.example.com"},
    )
    assert len(outbox) == 1
    assert "evil.example.com" not in outbox[0].body
    assert "http://localhost/reset-password/" in outbox[0].body
