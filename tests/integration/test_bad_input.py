"""Bad input gives a clear message, never a 500, and nothing renders unescaped."""

from __future__ import annotations

import pytest

from tests.conftest import Browser, csrf_from

ONE_MB = "x" * (1024 * 1024)
SCRIPT = '<script>alert("x")</script>'


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("", "", "Enter an email address."),
        ("someone@example.org", "", "Enter your password."),
        ("not an email", "secret12345", "Enter a valid email address."),
        (ONE_MB + "@example.org", "secret12345", "That email address is too long."),
        ("someone@example.org", ONE_MB, "That password is too long."),
        (SCRIPT, "secret12345", "Enter a valid email address."),
    ],
)
def test_login_form_explains_bad_input(browser, email, password, message):
    response = browser.submit("/login", {"email": email, "password": password})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert SCRIPT not in page  # echoed back escaped, if at all


def test_login_with_percent_encoded_non_utf8_is_a_message_not_a_500(client):
    # What a browser sends for text it could not encode as UTF-8.
    token = csrf_from(client.get("/login").get_data(as_text=True)).encode()
    body = (
        b"csrf_token="
        + token
        + b"&email=%FF%FE%40example.org&password=%FF%C3%28abcdefgh"
    )
    response = client.post(
        "/login", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "do not match an account" in response.get_data(as_text=True)


def test_login_with_raw_non_utf8_bytes_asks_to_reload_not_a_500(client):
    # Werkzeug drops an undecodable body whole, so the CSRF token is missing too.
    token = csrf_from(client.get("/login").get_data(as_text=True)).encode()
    body = (
        b"csrf_token=" + token + b"&email=\xff\xfe@example.org&password=" + b"\xff" * 12
    )
    response = client.post(
        "/login", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "Reload the page and try again" in response.get_data(as_text=True)


def test_a_body_over_the_limit_gets_a_clear_413_page(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"csrf_token": csrf_from(page), "email": "x" * (5 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "name": "",
                "email": "a@example.org",
                "role": "clinician",
                "timezone": "UTC",
            },
            "Enter the person",
        ),
        (
            {
                "name": ONE_MB,
                "email": "a@example.org",
                "role": "clinician",
                "timezone": "UTC",
            },
            "at most 200 characters",
        ),
        (
            {"name": "A", "email": "bad", "role": "clinician", "timezone": "UTC"},
            "Enter a valid email address.",
        ),
        (
            {
                "name": "A",
                "email": "a@example.org",
                "role": "patient",
                "timezone": "UTC",
            },
            "Not a valid choice",
        ),
        (
            {
                "name": "A",
                "email": "a@example.org",
                "role": "clinician",
                "timezone": "Mars/Olympus",
            },
            "Unknown timezone",
        ),
        (
            {
                "name": "A",
                "email": "a@example.org",
                "role": "clinician",
                "timezone": ONE_MB,
            },
            "Unknown timezone",
        ),
    ],
)
def test_staff_form_explains_bad_input(app, make_user, fields, message):
    browser = Browser(app.test_client())
    browser.login(make_user("admin"))
    response = browser.submit("/admin/users/new", fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_duplicate_staff_email_is_refused_case_insensitively(app, make_user):
    existing = make_user("clinician", email="taken@clinic.example.org")
    browser = Browser(app.test_client())
    browser.login(make_user("admin"))
    response = browser.submit(
        "/admin/users/new",
        {
            "name": "Twin",
            "email": existing.email.upper(),
            "role": "clinician",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)


def test_names_with_html_are_shown_escaped(app, make_user, make_patient):
    clinician = make_user("clinician")
    make_patient(clinician, name=SCRIPT)
    browser = Browser(app.test_client())
    browser.login(clinician)
    page = browser.client.get("/clinician/").get_data(as_text=True)
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page


def test_non_numeric_page_number_falls_back_to_the_first_page(app, make_user):
    browser = Browser(app.test_client())
    browser.login(make_user("coordinator"))
    assert browser.client.get("/cohorts/?page=abc").status_code == 200
    assert browser.client.get("/cohorts/?page=99999").status_code == 404


def test_unknown_page_is_a_clean_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "There is no page here." in page
    assert "Traceback" not in page


def test_unexpected_errors_show_a_plain_500_page_without_a_traceback(app):
    # A second app, as in production: exceptions are handled, not re-raised.
    from recovery import create_app

    other = create_app("testing", overrides={"PROPAGATE_EXCEPTIONS": False})

    @other.route("/__boom_for_test")
    def boom():
        raise RuntimeError("secret internals")

    response = other.test_client().get("/__boom_for_test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret internals" not in page
    assert "Something went wrong on our side" in page
