"""Caregivers and messages in real browsers, on a phone and at a desk: invite,
accept, a caregiver's red-flag check-in, revoke; a message with urgent words, a
refused file, a wound photo, the staff reply. Every page is photographed at 390
and 1280 px (test-results/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from recovery.extensions import db
from recovery.messages.models import Message
from recovery.notify.channels import default_channels
from recovery.orm import utcnow
from recovery.reminders.dispatch import dispatch_due
from recovery.symptoms.models import Alert
from tests.e2e.conftest import days_ago, page_width, snap

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
PASSWORD = "a long and happy recovery"
LINK_RE = re.compile(r"http://localhost(/caregivers/invitation/\S+)")


@pytest.fixture
def clinic(app, make_user, make_patient):
    coordinator = make_user("coordinator", name="Cora Queue")
    patient = make_patient(
        coordinator,
        make_user("clinician"),
        name="Paula Patient",
        surgery_date=days_ago(10),
        timeline=True,
    )
    return coordinator, patient


def log_in(page, base, email, password):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def shoot(chromium, base, name, path, login=None, fits=True):
    """The page at `path` at both widths, as `login` (email, password) sees it.

    `fits`: the page must not scroll sideways on a phone (pages of this feature;
    the staff record's timeline table is another issue's)."""
    for label, viewport in (("390", PHONE), ("1280", DESK)):
        context = chromium.new_context(viewport=viewport)
        page = context.new_page()
        if login:
            log_in(page, base, *login)
            page.wait_for_url(lambda url: "/login" not in url)
        page.goto(base + path)
        snap(page, f"{name}-{label}.png")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        width = page_width(page)
        assert not fits or width <= viewport["width"], (name, label, width)
        context.close()


def test_a_caregiver_is_invited_checks_in_and_is_revoked(
    app, live_server, chromium, clinic, outbox
):
    from playwright.sync_api import expect

    coordinator, patient = clinic
    phone = chromium.new_context(viewport=PHONE)
    page = phone.new_page()
    log_in(page, live_server, patient.email, patient.password)
    page.get_by_role("link", name="My caregivers").click()
    page.get_by_label("Their name").fill("Carla Carer")
    page.get_by_label("Their email").fill("carla@mail.example.org")
    page.get_by_role("button", name="Send the invitation").click()
    expect(
        page.get_by_text("An invitation went to carla@mail.example.org.")
    ).to_be_visible()
    expect(page.get_by_text("Invited, not yet accepted")).to_be_visible()
    link = LINK_RE.search(outbox[-1].body).group(1)

    carer_context = chromium.new_context(viewport=PHONE)
    carer = carer_context.new_page()
    carer.goto(live_server + link)
    expect(carer.get_by_role("heading", name="Help Paula Patient")).to_be_visible()
    snap(carer, "caregiver-accept-390.png")
    carer.get_by_label("New password", exact=True).fill(PASSWORD)
    carer.get_by_label("Repeat the new password").fill(PASSWORD)
    carer.get_by_role("button", name="Accept and continue").click()
    expect(
        carer.get_by_role("heading", name="Paula Patient's recovery")
    ).to_be_visible()
    snap(carer, "caregiver-home-390.png")

    carer.get_by_role("button", name="Check in now").click()
    carer.get_by_role("group", name=re.compile("^Back pain")).get_by_label(
        "5", exact=True
    ).check()
    carer.get_by_label("Weaker than before").check()
    carer.get_by_role("button", name="Send my check-in").click()
    urgent = carer.get_by_role("alert")
    expect(urgent).to_contain_text("Call your care team now")
    expect(urgent).to_contain_text("Reported leg weakness worse than before.")

    desk = chromium.new_context(viewport=DESK)
    staff = desk.new_page()
    log_in(staff, live_server, coordinator.email, coordinator.password)
    queue = staff.locator("article.alert-urgent")
    expect(queue).to_contain_text("Paula Patient")
    staff.goto(f"{live_server}/patients/{patient.patient_id}")
    expect(staff.get_by_text("sent by Carla Carer (caregiver)")).to_be_visible()
    expect(staff.get_by_role("heading", name="Caregivers")).to_be_visible()
    snap(staff, "staff-record-caregivers-1280.png")
    desk.close()

    page.reload()
    expect(page.get_by_text("Can see your recovery")).to_be_visible()
    snap(page, "caregivers-mine-active-390.png")
    page.get_by_role("button", name="Stop access for Carla Carer").click()
    expect(
        page.get_by_text("Carla Carer can no longer see your recovery.")
    ).to_be_visible()

    carer.goto(f"{live_server}/patients/me")
    expect(carer.get_by_text("You do not help anyone")).to_be_visible()
    snap(carer, "caregiver-choose-390.png")
    carer_context.close()
    phone.close()

    shoot(
        chromium,
        live_server,
        "caregivers-mine",
        "/caregivers/",
        (patient.email, patient.password),
    )
    shoot(
        chromium,
        live_server,
        "patient-home",
        "/patients/me",
        (patient.email, patient.password),
    )


def photo_file(tmp_path) -> Path:
    path = tmp_path / "wound.jpg"
    Image.new("RGB", (1200, 900), (190, 90, 80)).save(path, "JPEG")
    return path


def test_a_message_with_urgent_words_a_bad_file_a_photo_and_a_reply(
    app, live_server, chromium, clinic, tmp_path, monkeypatch
):
    from playwright.sync_api import expect

    monkeypatch.setitem(app.config, "MESSAGE_UPLOAD_DIR", str(tmp_path / "uploads"))
    coordinator, patient = clinic
    phone = chromium.new_context(viewport=PHONE)
    page = phone.new_page()
    log_in(page, live_server, patient.email, patient.password)
    page.get_by_role("link", name="Write to my care team").click()
    snap(page, "messages-mine-390.png")

    # A file that is not a photo: refused, the text kept, nothing sent.
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(b"this is a text file, not a photo")
    page.get_by_label("Your message").fill("Here is my wound")
    page.get_by_label(re.compile("A photo of your wound")).set_input_files(str(bad))
    page.get_by_role("button", name="Send my message").click()
    expect(page.get_by_text("This file is not a photo we can read.")).to_be_visible()
    expect(page.get_by_label("Your message")).to_have_value("Here is my wound")
    snap(page, "messages-bad-file-390.png")

    # Urgent words: the guidance first, then the message goes and an alert opens.
    page.get_by_label("Your message").fill(
        "Since this morning I have a fever and my wound is leaking fluid."
    )
    page.get_by_label(re.compile("A photo of your wound")).set_input_files(
        str(photo_file(tmp_path))
    )
    page.get_by_role("button", name="Send my message").click()
    guidance = page.get_by_role("alert")
    expect(guidance).to_contain_text("Messages are read during clinic hours.")
    expect(guidance).to_contain_text(app.config["CLINIC_PHONE"])
    expect(guidance).to_contain_text("Your photo is kept")
    snap(page, "messages-urgent-390.png")
    page.get_by_role("button", name="Send my message anyway").click()
    expect(page.get_by_text("Your message is sent.")).to_be_visible()
    photo = page.locator("img.wound-photo")
    expect(photo).to_have_count(1)
    # Lazy-loaded: bring it on screen, then it must load through the checked route.
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.wound-photo');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert photo.evaluate("i => i.naturalWidth") == 1200
    snap(page, "messages-sent-390.png")
    with app.app_context():
        message = db.session.scalar(select(Message))
        assert db.session.get(Alert, message.alert_id).severity == "urgent"

    with app.app_context():
        dispatch_due(default_channels(), utcnow())
    desk = chromium.new_context(viewport=DESK)
    staff = desk.new_page()
    log_in(staff, live_server, coordinator.email, coordinator.password)
    expect(staff.locator("article.alert-urgent")).to_contain_text("Named in a message:")
    staff.get_by_role("link", name="Patient messages").click()  # on the cohort page
    expect(staff.get_by_text("unread", exact=True)).to_be_visible()
    snap(staff, "messages-queue-1280.png")
    staff.get_by_role("link", name="Paula Patient").click()
    expect(staff.get_by_text("urgent alert raised")).to_be_visible()
    staff.get_by_label("Your message").fill("We are calling you now.")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_text("Your reply to Paula Patient is sent.")).to_be_visible()
    snap(staff, "messages-conversation-1280.png")
    desk.close()

    with app.app_context():
        dispatch_due(default_channels(), utcnow())
    page.goto(f"{live_server}/reminders/inbox")
    expect(page.get_by_text("New message in Recovery")).to_be_visible()
    page.get_by_role("link", name="Open the message").click()
    expect(page.get_by_text("We are calling you now.")).to_be_visible()
    expect(page.get_by_text("Cora Queue (care team)")).to_be_visible()
    phone.close()

    patient_login = (patient.email, patient.password)
    staff_login = (coordinator.email, coordinator.password)
    shoot(chromium, live_server, "messages-mine", "/messages/mine", patient_login)
    shoot(chromium, live_server, "messages-queue", "/messages/", staff_login)
    shoot(
        chromium,
        live_server,
        "messages-conversation",
        f"/messages/patients/{patient.patient_id}",
        staff_login,
    )
    shoot(
        chromium,
        live_server,
        "staff-record",
        f"/patients/{patient.patient_id}",
        staff_login,
        fits=False,
    )
