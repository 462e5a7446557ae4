"""Page details: times in the patient's own clock, the site's icon."""

from __future__ import annotations

import re

import time_machine

from tests.conftest import Browser


def test_who_saw_my_record_shows_times_in_the_patients_timezone(
    app, make_user, make_patient
):
    clinician = make_user("clinician", name="Dr Ada")
    with time_machine.travel("2026-11-26 22:30 +0000", tick=False):
        patient = make_patient(clinician, timezone="Pacific/Auckland")
        staff = Browser(app.test_client())
        staff.login(clinician)
        staff.client.get(f"/patients/{patient.patient_id}")
        mine = Browser(app.test_client())
        mine.login(patient)
        html = mine.client.get("/patients/me/access").get_data(as_text=True)
    # 22:30 UTC on the 26th is 11:30 the next morning in Auckland (UTC+13 in summer).
    assert "27 Nov 2026 11:30" in html
    assert "22:30" not in html
    assert "Pacific/Auckland time" in html


def test_every_page_names_the_favicon_and_it_is_served(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data


def test_clinicians_feed_address_is_a_webcal_link_with_a_copy_button(app, make_user):
    clinician = make_user("clinician")
    browser = Browser(app.test_client())
    browser.login(clinician)
    made = browser.submit("/clinician/feed", {"action": "on"}, form_url="/clinician/")
    assert made.headers["Location"].endswith("/clinician/#feed")
    html = browser.client.get("/clinician/").get_data(as_text=True)
    link = re.search(r'href="webcal://([^"]+)"', html)
    address = re.search(
        r'id="feed-url" type="text" readonly value="https?://([^"]+)"', html
    )
    assert link and address and link.group(1) == address.group(1)
    assert 'data-copy="feed-url"' in html
