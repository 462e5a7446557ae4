"""Messages with the care team: notices on both sides, urgent words, wound photos."""

from __future__ import annotations

import io
import logging
import os
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.messages.models import Conversation, Message, MessageAttachment
from recovery.notify.channels import default_channels
from recovery.orm import utcnow
from recovery.reminders.dispatch import dispatch_due
from recovery.reminders.models import Reminder
from recovery.symptoms.models import Alert
from tests.conftest import Browser, bearer_headers, csrf_from
from tests.integration.caregiving import (
    add_caregiver,
    gif,
    jpeg_with_metadata,
    png_with_text,
)
from tests.integration.test_cohort import build_timeline

NOW = "2026-11-26 15:00 +0000"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Each test's photos in a folder of its own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "MESSAGE_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def clinic(app, make_user, make_patient):
    coordinator = make_user("coordinator", name="Cora Coordinator")
    clinician = make_user("clinician", name="Dr Clive")
    patient = make_patient(coordinator, clinician, name="Mia Message")
    build_timeline(app, patient.patient_id)
    return coordinator, clinician, patient


def write(browser: Browser, body: str, **extra):
    """Post the patient's message form, with its CSRF token and hidden fields."""
    page = browser.client.get("/messages/mine").get_data(as_text=True)
    data = {"body": body, "csrf_token": csrf_from(page), **extra}
    return browser.client.post(
        "/messages/mine", data=data, content_type="multipart/form-data"
    )


def dispatch(app) -> None:
    with app.app_context():
        dispatch_due(default_channels(), utcnow())


def inbox_text(browser: Browser) -> str:
    return browser.client.get("/reminders/inbox").get_data(as_text=True)


def stored(folder) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.mark.travel(NOW)
def test_message_then_reply_notify_both_sides_without_the_text(
    app, clinic, outbox, caplog, clock
):
    coordinator, clinician, patient = clinic
    text = "Can I take a shower with the dressing on?"
    caplog.set_level(logging.DEBUG)
    mia = Browser(app.test_client())
    mia.login(patient)
    response = write(mia, text)
    assert response.status_code == 302
    assert text in mia.client.get("/messages/mine").get_data(as_text=True)
    dispatch(app)

    staff = Browser(app.test_client())
    staff.login(coordinator)
    assert "New message in Recovery" in inbox_text(staff)
    mails = [m for m in outbox if m.to == [coordinator.email]]
    assert len(mails) == 1
    # Everyone in the care team is told, not the author.
    assert len([m for m in outbox if m.to == [clinician.email]]) == 1
    assert [m for m in outbox if m.to == [patient.email]] == []
    assert mails[0].subject == "New message in Recovery"
    link = f"http://localhost/messages/patients/{patient.patient_id}"
    assert link in mails[0].body
    assert "shower" not in mails[0].body + mails[0].alternatives[0][0]

    queue = staff.client.get("/messages/").get_data(as_text=True)
    assert "Mia Message" in queue and "unread" in queue
    page = staff.client.get(f"/messages/patients/{patient.patient_id}")
    assert text in page.get_data(as_text=True)
    assert "unread</span>" not in staff.client.get("/messages/").get_data(as_text=True)
    clock.shift(timedelta(minutes=10))
    reply = staff.submit(
        f"/messages/patients/{patient.patient_id}",
        {"body": "Yes, with the waterproof cover. Pat it dry."},
    )
    assert reply.status_code == 302
    dispatch(app)

    assert "New message in Recovery" in inbox_text(mia)
    assert "new reply" in mia.client.get("/patients/me").get_data(as_text=True)
    thread = mia.client.get("/messages/mine").get_data(as_text=True)
    assert "new reply" not in mia.client.get("/patients/me").get_data(as_text=True)
    assert "Cora Coordinator (care team)" in thread
    assert "waterproof cover" in thread
    patient_mails = [m for m in outbox if m.to == [patient.email]]
    assert len(patient_mails) == 1
    assert "http://localhost/messages/mine" in patient_mails[0].body
    assert "waterproof" not in patient_mails[0].body

    page = staff.client.get(f"/messages/patients/{patient.patient_id}")
    closed = staff.client.post(
        f"/messages/patients/{patient.patient_id}/close",
        data={"csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert closed.status_code == 302
    assert "No open conversations." in staff.client.get("/messages/").get_data(
        as_text=True
    )
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.patient_id == patient.patient_id)
        ).all()
        assert actions.count("send_message") == 2
        assert "view_messages" in actions and "close_conversation" in actions
        details = db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "send_message")
        ).all()
        assert "shower" not in repr(details)
    assert "shower" not in caplog.text and "waterproof" not in caplog.text


@pytest.mark.travel(NOW)
def test_the_queue_shows_unread_first_then_the_longest_waiting(
    app, make_user, make_patient, clock
):
    coordinator = make_user("coordinator")
    people = {
        name: make_patient(coordinator, name=name)
        for name in ("Ann Early", "Ben Middle", "Cat Late", "Dan Elsewhere")
    }
    other_team = make_patient(make_user("coordinator"), name="Eve Other")
    for name in ("Ann Early", "Ben Middle", "Cat Late"):
        browser = Browser(app.test_client())
        browser.login(people[name])
        write(browser, f"A question from {name}")
        clock.shift(timedelta(minutes=5))
    other = Browser(app.test_client())
    other.login(other_team)
    write(other, "Not for this team")
    staff = Browser(app.test_client())
    staff.login(coordinator)
    staff.client.get(f"/messages/patients/{people['Ann Early'].patient_id}")
    queue = staff.client.get("/messages/").get_data(as_text=True)
    order = [n for n in ("Ben Middle", "Cat Late", "Ann Early") if n in queue]
    positions = [queue.index(n) for n in order]
    assert order == ["Ben Middle", "Cat Late", "Ann Early"]
    assert positions == sorted(positions)
    assert "Dan Elsewhere" not in queue and "Eve Other" not in queue
    refused = staff.client.get(f"/messages/patients/{other_team.patient_id}")
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "text",
    ["I cannot control my BLADDER since this morning", "a FEVER and chills tonight"],
)
@pytest.mark.travel(NOW)
def test_urgent_words_show_whom_to_call_before_sending_and_raise_an_alert(
    app, clinic, text
):
    coordinator, _, patient = clinic
    phone = app.config["CLINIC_PHONE"]
    mia = Browser(app.test_client())
    mia.login(patient)
    first = write(mia, text)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert 'role="alert"' in page
    assert "Messages are read during clinic hours. If you have" in page
    assert f"call your care team on {phone} now" in page
    assert "Your message is not sent yet" in page
    assert text in page  # the text is kept
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None
        assert db.session.scalar(select(Alert.id)) is None

    sent = mia.client.post(
        "/messages/mine",
        data={"body": text, "confirmed": "yes", "csrf_token": csrf_from(page)},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    after = mia.client.get("/messages/mine").get_data(as_text=True)
    assert f"call your care team on {phone} now" in after
    with app.app_context():
        message = db.session.scalar(select(Message))
        alert = db.session.get(Alert, message.alert_id)
        assert (alert.severity, alert.rule, alert.status) == (
            "urgent",
            "message_urgent_sign",
            "open",
        )
        assert text not in alert.message
        notified = db.session.scalars(
            select(Reminder.user_id).where(Reminder.alert_id == alert.id)
        ).all()
        assert coordinator.id in notified
    staff = Browser(app.test_client())
    staff.login(coordinator)
    assert "Named in a message:" in staff.client.get("/cohorts/").get_data(as_text=True)


@pytest.mark.travel(NOW)
def test_a_plain_message_raises_no_alert(app, clinic):
    _, _, patient = clinic
    mia = Browser(app.test_client())
    mia.login(patient)
    assert (
        write(mia, "When is my next visit? I push my walker daily.").status_code == 302
    )
    with app.app_context():
        assert db.session.scalar(select(Message.alert_id)) is None
        assert db.session.scalar(select(Alert.id)) is None


@pytest.mark.travel(NOW)
def test_the_api_raises_the_alert_and_says_whom_to_call(app, client, clinic):
    _, _, patient = clinic
    headers = bearer_headers(client, patient)
    url = f"/api/v1/patients/{patient.patient_id}/messages"
    response = client.post(url, json={"body": "My wound is draining"}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["alert_id"] is not None
    assert body["advice"]["care_team_phone"] == app.config["CLINIC_PHONE"]
    assert "Messages are read during clinic hours" in body["advice"]["message"]
    calm = client.post(url, json={"body": "Thank you"}, headers=headers)
    assert calm.get_json()["alert_id"] is None and "advice" not in calm.get_json()
    listed = client.get(url, headers=headers)
    assert [m["body"] for m in listed.get_json()] == [
        "My wound is draining",
        "Thank you",
    ]
    assert listed.headers["Cache-Control"] == "no-store"
    empty = client.post(url, json={"body": ""}, headers=headers)
    assert empty.status_code == 422
    assert "body" in empty.get_json()["error"]["fields"]


@pytest.mark.travel(NOW)
def test_a_wound_photo_is_stored_without_metadata_and_served_only_to_the_team(
    app, clinic, make_user, make_patient, uploads
):
    coordinator, _, patient = clinic
    outsider = make_user("clinician")
    other_patient = make_patient(outsider)
    original = jpeg_with_metadata()
    assert b"SecretPhone" in original and b"taken at home" in original
    mia = Browser(app.test_client())
    mia.login(patient)
    response = write(
        mia,
        "Is this healing well?",
        photo=(io.BytesIO(original), "IMG_0001.JPG", "image/jpeg"),
    )
    assert response.status_code == 302
    (name,) = stored(uploads)
    assert name.endswith(".jpg") and "IMG_0001" not in name
    kept = (uploads / name).read_bytes()
    for secret in (b"SecretPhone", b"PhoneMaker", b"taken at home", b"Exif"):
        assert secret not in kept
    assert not Image.open(io.BytesIO(kept)).getexif()
    with app.app_context():
        attachment_id = db.session.scalar(select(MessageAttachment.id))
    url = f"/messages/attachments/{attachment_id}"

    own = mia.client.get(url)
    assert own.status_code == 200
    assert own.mimetype == "image/jpeg"
    assert own.headers["Cache-Control"] == "no-store"
    assert own.data == kept
    assert f'src="{url}"' in mia.client.get("/messages/mine").get_data(as_text=True)

    staff = Browser(app.test_client())
    staff.login(coordinator)
    assert staff.client.get(url).status_code == 200
    stranger = Browser(app.test_client())
    stranger.login(outsider)
    assert stranger.client.get(url).status_code == 403
    other = Browser(app.test_client())
    other.login(other_patient)
    assert other.client.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # to the login page
    # Not under the static folder: no URL but the checked one reaches it.
    assert app.test_client().get(f"/static/{name}").status_code == 404


@pytest.mark.travel(NOW)
def test_a_png_keeps_its_pixels_and_loses_its_text(app, clinic, uploads):
    _, _, patient = clinic
    mia = Browser(app.test_client())
    mia.login(patient)
    write(mia, "Photo", photo=(io.BytesIO(png_with_text()), "w.png", "image/png"))
    (name,) = stored(uploads)
    kept = (uploads / name).read_bytes()
    assert b"Patient Private Name" not in kept
    image = Image.open(io.BytesIO(kept))
    assert image.format == "PNG" and image.size == (20, 20)
    assert image.getpixel((0, 0)) == (0, 0, 255, 128)


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (b"MZ\x90\x00 definitely not a photo", "wound.jpg", "not a photo we can read"),
        (gif(), "wound.gif", "Only JPEG or PNG photos"),
        (jpeg_with_metadata()[:200], "cut.jpg", "not a photo we can read"),
        (b"", "empty.png", "empty"),
        (b"\xff\xd8" + b"0" * (10 * 1024 * 1024), "huge.jpg", "larger than 10 MB"),
    ],
    ids=["not-an-image", "gif", "truncated", "empty", "over-10-MB"],
)
@pytest.mark.travel(NOW)
def test_a_bad_or_oversized_file_is_refused_with_a_message_and_nothing_stored(
    app, clinic, uploads, content, filename, says
):
    _, _, patient = clinic
    mia = Browser(app.test_client())
    mia.login(patient)
    response = write(
        mia,
        "Here is my wound",
        photo=(io.BytesIO(content), filename, "image/jpeg"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert says in page
    assert "Nothing was sent yet" in page
    assert "Here is my wound" in page  # what was typed is kept
    assert stored(uploads) == []
    with app.app_context():
        for model in (Message, MessageAttachment, Conversation):
            assert db.session.scalar(select(model.id)) is None


@pytest.mark.travel(NOW)
def test_a_file_far_too_large_is_refused_before_it_is_read(app, clinic, uploads):
    _, _, patient = clinic
    mia = Browser(app.test_client())
    mia.login(patient)
    huge = b"\xff\xd8" + b"0" * (21 * 1024 * 1024)
    response = write(mia, "Big", photo=(io.BytesIO(huge), "big.jpg", "image/jpeg"))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert stored(uploads) == []
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None


@pytest.mark.travel(NOW)
def test_the_api_attaches_and_serves_photos(app, client, clinic, uploads):
    coordinator, _, patient = clinic
    headers = bearer_headers(client, patient)
    base = f"/api/v1/patients/{patient.patient_id}/messages"
    message = client.post(base, json={"body": "Photo"}, headers=headers).get_json()
    url = f"{base}/{message['id']}/attachments"
    bad = client.post(
        url,
        data={"photo": (io.BytesIO(gif()), "x.gif")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "photo" in bad.get_json()["error"]["fields"]
    assert stored(uploads) == []
    good = client.post(
        url,
        data={"photo": (io.BytesIO(jpeg_with_metadata()), "x.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert good.status_code == 201, good.get_json()
    photo = client.get(good.get_json()["url"], headers=headers)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store"
    staff = bearer_headers(client, coordinator)
    refused = client.post(
        url,
        data={"photo": (io.BytesIO(jpeg_with_metadata()), "x.jpg")},
        headers=staff,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    assert len(stored(uploads)) == 1


@pytest.mark.travel(NOW)
def test_a_caregiver_writes_and_staff_see_who_wrote(app, clinic, outbox):
    coordinator, _, patient = clinic
    carer = add_caregiver(app, patient, name="Gina Giver")
    gina = Browser(app.test_client())
    gina.login(carer)
    assert write(gina, "She slept badly last night.").status_code == 302
    dispatch(app)
    staff = Browser(app.test_client())
    staff.login(coordinator)
    page = staff.client.get(f"/messages/patients/{patient.patient_id}")
    assert "Gina Giver (caregiver)" in page.get_data(as_text=True)
    staff.submit(
        f"/messages/patients/{patient.patient_id}",
        {"body": "Thanks for telling us."},
    )
    dispatch(app)
    # The reply reaches the patient and the caregiver.
    assert "New message in Recovery" in inbox_text(gina)
    assert {m.to[0] for m in outbox} >= {
        patient.email,
        carer.email,
        coordinator.email,
    }


@pytest.mark.travel(NOW)
def test_messages_are_in_the_fhir_export_as_communications(app, client, clinic):
    coordinator, _, patient = clinic
    headers = bearer_headers(client, patient)
    base = f"/api/v1/patients/{patient.patient_id}"
    client.post(f"{base}/messages", json={"body": "Hello team"}, headers=headers)
    staff = bearer_headers(client, coordinator)
    bundle = client.get(f"{base}/fhir", headers=staff).get_json()
    communications = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Communication"
    ]
    assert len(communications) == 1
    (communication,) = communications
    assert communication["payload"] == [{"contentString": "Hello team"}]
    assert communication["sender"] == {"reference": f"Patient/{patient.patient_id}"}
    assert communication["subject"] == {"reference": f"Patient/{patient.patient_id}"}


@pytest.mark.travel(NOW)
def test_a_photo_sent_with_urgent_words_is_kept_while_the_guidance_shows(
    app, clinic, uploads
):
    _, _, patient = clinic
    mia = Browser(app.test_client())
    mia.login(patient)
    first = write(
        mia,
        "The wound is oozing, see the photo",
        photo=(io.BytesIO(jpeg_with_metadata()), "w.jpg", "image/jpeg"),
    )
    page = first.get_data(as_text=True)
    assert "Your photo is kept and goes with the message." in page
    assert stored(uploads) == ["held"]  # not yet a message's photo
    with app.app_context():
        assert db.session.scalar(select(MessageAttachment.id)) is None
    sent = mia.client.post(
        "/messages/mine",
        data={
            "body": "The wound is oozing, see the photo",
            "confirmed": "yes",
            "csrf_token": csrf_from(page),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    with app.app_context():
        (attachment,) = db.session.scalars(select(MessageAttachment)).all()
        assert db.session.get(Message, attachment.message_id).alert_id is not None
    assert stored(uploads) == sorted([attachment.stored_name, "held"])
    assert stored(uploads / "held") == []
