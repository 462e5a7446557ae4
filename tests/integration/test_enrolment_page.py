"""The enrolment page: the clinic's timezone, plain words, every problem at once."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import func, select

from recovery.auth.models import User
from recovery.extensions import db
from recovery.patients.models import Patient
from tests.integration.test_cohort import ENROLMENT, NOW


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator")


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_timezone_starts_as_the_clinics(app, browser, coordinator):
    app.config["CLINIC_TIMEZONE"] = "America/Denver"
    try:
        with time_machine.travel(NOW, tick=False):
            browser.login(coordinator)
            html = browser.client.get("/patients/new").get_data(as_text=True)
    finally:
        app.config["CLINIC_TIMEZONE"] = "UTC"
    assert 'name="timezone" value="America/Denver"' in html
    assert '<datalist id="zones">' in html


@pytest.mark.parametrize(
    ("blank", "words"),
    [
        ("surgery_date", "Enter the surgery date."),
        ("name", "Enter the patient&#39;s full name."),
        ("mrn", "Enter the medical record number (MRN)."),
        ("tumor_location", "Choose the tumor location."),
    ],
)
def test_missing_fields_are_asked_for_in_plain_words(
    app, browser, coordinator, blank, words
):
    with time_machine.travel(NOW, tick=False):
        browser.login(coordinator)
        response = browser.submit("/patients/new", {**ENROLMENT, blank: ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert words in html
    assert "Missing data for required field." not in html


def test_every_duplicate_is_named_at_once(app, browser, coordinator, make_patient):
    make_patient(coordinator, mrn="TAKEN", email="taken@mail.example.org")
    before = count(app, User), count(app, Patient)
    with time_machine.travel(NOW, tick=False):
        browser.login(coordinator)
        both = browser.submit(
            "/patients/new",
            {**ENROLMENT, "mrn": "TAKEN", "email": "taken@mail.example.org"},
        )
        # Named even while another field is still wrong.
        with_other = browser.submit(
            "/patients/new",
            {**ENROLMENT, "mrn": "TAKEN", "surgery_date": ""},
        )
    html = both.get_data(as_text=True)
    assert both.status_code == 400
    assert "An account with that email already exists." in html
    assert "A patient with that MRN already exists." in html
    other = with_other.get_data(as_text=True)
    assert "A patient with that MRN already exists." in other
    assert "Enter the surgery date." in other
    assert (count(app, User), count(app, Patient)) == before


@pytest.mark.parametrize("zone", ["America", "Europe/", "../etc/passwd"])
def test_a_folder_of_the_tz_database_is_refused_on_enrolment(
    app, browser, coordinator, zone
):
    before = count(app, User), count(app, Patient)
    with time_machine.travel(NOW, tick=False):
        browser.login(coordinator)
        response = browser.submit("/patients/new", {**ENROLMENT, "timezone": zone})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Unknown timezone: use an IANA name like America/Chicago." in html
    assert f'value="{zone}"' in html  # what was typed is kept
    assert (count(app, User), count(app, Patient)) == before
