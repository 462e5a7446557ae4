"""The patient's timeline on a phone: one radiation course, earlier items folded,
"Done" only on what patients do themselves, an undo for a few minutes, and a
calendar subscription that keeps the patient where they were."""

from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.timeline.models import TimelineEvent
from tests.integration.test_timeline import create, login_patient

THURSDAY = "2026-12-03 15:00 +0000"  # day 13 after the 20 Nov surgery


@pytest.fixture
def clinic(make_user):
    return {
        "clinician": make_user("clinician"),
        "coordinator": make_user("coordinator"),
    }


def event_by_key(app, patient_id, key):
    with app.app_context():
        return db.session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.patient_id == patient_id, TimelineEvent.key == key
            )
        ).one()


def test_radiation_course_is_one_item_with_its_progress(app, client, clinic):
    with time_machine.travel(THURSDAY, tick=False):
        patient, _ = create(client, clinic)
        browser = login_patient(app, app.test_client(), patient["id"])
        page = browser.client.get("/timeline/me").get_data(as_text=True)
    # Ten weekday sessions from Mon 30 Nov: three held, the fourth is today.
    assert page.count('id="radiation-course"') == 1
    assert "Radiation: 10 sessions" in page
    assert "Session 4 of 10, today." in page
    assert 'value="3" max="10"' in page
    assert "Radiation session 5 of 10" not in page  # no row per session


def test_earlier_items_fold_away_and_the_page_opens_at_today(app, client, clinic):
    with time_machine.travel(THURSDAY, tick=False):
        patient, _ = create(client, clinic)
        browser = login_patient(app, app.test_client(), patient["id"])
        page = browser.client.get("/timeline/me").get_data(as_text=True)
    folded = re.search(r'<details class="past-items">(.*?)</details>', page, re.S)
    assert folded and "Earlier:" in folded.group(1)
    assert "Back questionnaire (ODI): before surgery" in folded.group(1)
    assert page.index("Earlier:") < page.index("Today, Thursday 03 December")
    # Only the fold's one line stands before today's items: it starts closed.
    assert '<details class="past-items" open' not in page


def test_done_only_on_what_the_patient_does_themselves(app, client, clinic):
    with time_machine.travel(THURSDAY, tick=False):
        patient, _ = create(client, clinic)
        session = event_by_key(app, patient["id"], "radiation:3")
        browser = login_patient(app, app.test_client(), patient["id"])
        home = browser.client.get("/patients/me").get_data(as_text=True)
        assert "Mark done: Radiation session 4 of 10" not in home
        # Marking it anyway is refused and changes nothing.
        response = browser.submit(
            f"/timeline/{patient['id']}/events/{session.id}/complete",
            {},
            form_url="/patients/me",
        )
        refused = response.get_data(as_text=True)
    assert response.status_code == 403  # a crafted post, refused and audited
    assert "Your care team marks this done" in refused
    assert event_by_key(app, patient["id"], "radiation:3").status == "upcoming"
    with app.app_context():
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "complete_event")
        ).all()


def test_patient_undoes_a_done_within_minutes_but_not_later(app, client, clinic):
    with time_machine.travel(THURSDAY, tick=False) as clock:
        patient, _ = create(client, clinic, surgery_date="2026-11-26")
        event = event_by_key(app, patient["id"], "pain_review:0")  # due 3 Dec
        browser = login_patient(app, app.test_client(), patient["id"])
        browser.submit(
            f"/timeline/{patient['id']}/events/{event.id}/complete?next=/timeline/me",
            {},
            form_url="/timeline/me",
        )
        page = browser.client.get("/timeline/me").get_data(as_text=True)
        assert "Undo done: Pain-management review" in page
        clock.shift(240)  # four minutes later: still undoable
        undo = browser.submit(
            f"/timeline/{patient['id']}/events/{event.id}/undo?next=/timeline/me",
            {},
            form_url="/timeline/me",
            follow_redirects=True,
        )
        assert "Undone: Pain-management review is open again" in undo.get_data(
            as_text=True
        )
        assert event_by_key(app, patient["id"], "pain_review:0").status == "upcoming"
        # Done again, then past the window: the undo is gone and refused.
        browser.submit(
            f"/timeline/{patient['id']}/events/{event.id}/complete",
            {},
            form_url="/timeline/me",
        )
        clock.shift(6 * 60)
        page = browser.client.get("/timeline/me").get_data(as_text=True)
        assert "Undo done: Pain-management review" not in page
        late = browser.submit(
            f"/timeline/{patient['id']}/events/{event.id}/undo",
            {},
            form_url="/timeline/me",
            follow_redirects=True,
        )
    assert "can no longer be undone" in late.get_data(as_text=True)
    assert event_by_key(app, patient["id"], "pain_review:0").status == "done"
    with app.app_context():
        undone = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "undo_complete_event")
        ).all()
    assert len(undone) == 1


def test_patient_cannot_undo_what_staff_marked(app, client, clinic, browser):
    with time_machine.travel(THURSDAY, tick=False):
        patient, _ = create(client, clinic, surgery_date="2026-11-26")
        event = event_by_key(app, patient["id"], "pain_review:0")
        browser.login(clinic["clinician"])
        browser.submit(
            f"/timeline/{patient['id']}/events/{event.id}/complete",
            {},
            form_url=f"/patients/{patient['id']}",
        )
        mine = login_patient(app, app.test_client(), patient["id"])
        page = mine.client.get("/timeline/me").get_data(as_text=True)
        assert "Undo done" not in page
        mine.submit(
            f"/timeline/{patient['id']}/events/{event.id}/undo",
            {},
            form_url="/timeline/me",
        )
    assert event_by_key(app, patient["id"], "pain_review:0").status == "done"


def test_calendar_address_is_a_webcal_link_and_the_page_stays_there(
    app, client, clinic
):
    with time_machine.travel(THURSDAY, tick=False):
        patient, _ = create(client, clinic)
        browser = login_patient(app, app.test_client(), patient["id"])
        response = browser.submit(
            "/timeline/me/calendar", {"action": "issue"}, form_url="/timeline/me"
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/timeline/me#calendar")
        page = browser.client.get("/timeline/me").get_data(as_text=True)
    link = re.search(r'href="(webcal://[^"]+)"', page)
    assert link and link.group(1).endswith(".ics")
    address = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)
    assert address.group(1).split("://", 1)[1] == link.group(1).split("://", 1)[1]
    assert 'data-copy="feed-url"' in page
    feed = client.get("/" + address.group(1).split("/", 3)[3])
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"


def test_the_api_refuses_a_patient_marking_a_visit_or_session_done(app, client, clinic):
    from tests.conftest import Account, bearer_headers

    with time_machine.travel(THURSDAY, tick=False):
        patient, staff_headers = create(client, clinic)
        login_patient(app, app.test_client(), patient["id"])
        with app.app_context():
            from recovery.patients.models import Patient

            email = db.session.get(Patient, patient["id"]).user.email
        me = Account(0, email, "patient", "patient password")
        headers = bearer_headers(client, me)
        session = event_by_key(app, patient["id"], "radiation:3")
        url = f"/api/v1/patients/{patient['id']}/events/{session.id}/complete"
        refused = client.post(url, headers=headers)
        assert refused.status_code == 403
        assert "care team" in refused.get_json()["error"]["message"]
        assert event_by_key(app, patient["id"], "radiation:3").status == "upcoming"
        # Staff mark it.
        assert client.post(url, headers=staff_headers).status_code == 200
    assert event_by_key(app, patient["id"], "radiation:3").status == "done"
