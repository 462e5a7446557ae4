"""Deactivating an account asks first, on its own page."""

from __future__ import annotations

from recovery.auth.models import User
from recovery.extensions import db
from tests.conftest import Browser


def test_deactivation_asks_for_confirmation_first(app, make_user):
    target = make_user("clinician", name="Dr Keep")
    admin = make_user("admin")
    browser = Browser(app.test_client())
    browser.login(admin)
    listing = browser.client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{target.id}/deactivate"' in listing
    # A bare post (a slip, or an old page) only leads to the question.
    slip = browser.submit(
        f"/admin/users/{target.id}/deactivate", {}, form_url="/admin/users"
    )
    assert slip.status_code == 302
    assert slip.headers["Location"].endswith(f"/admin/users/{target.id}/deactivate")
    with app.app_context():
        assert db.session.get(User, target.id).active
    question = browser.client.get(f"/admin/users/{target.id}/deactivate")
    page = question.get_data(as_text=True)
    assert "Deactivate Dr Keep?" in page and "will no longer be able to log in" in page
    assert "No, keep the account" in page
    done = browser.submit(
        f"/admin/users/{target.id}/deactivate",
        {"confirm": "yes"},
        form_url=f"/admin/users/{target.id}/deactivate",
        follow_redirects=True,
    )
    assert "Dr Keep is now deactivated." in done.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(User, target.id).active


def test_only_admins_see_the_deactivation_question(app, make_user):
    target = make_user("clinician")
    coordinator = make_user("coordinator")
    browser = Browser(app.test_client())
    browser.login(coordinator)
    assert browser.client.get(f"/admin/users/{target.id}/deactivate").status_code == 403
