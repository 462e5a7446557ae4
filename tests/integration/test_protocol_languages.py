"""Protocol texts in the reader's language: a Spanish-speaking patient reads their
timeline, today's limits, the leaflet, the urgent signs and their reminders in
Spanish; an English-speaking patient's pages are unchanged; a clinician's own words
stay as written; a protocol missing a Spanish text stops start-up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from recovery import create_app
from recovery.domain.protocol import PROTOCOL_DIR, ProtocolError
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders.dispatch import load_messages
from recovery.reminders.models import Reminder
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import override_event, recompute_timeline
from tests.conftest import Browser

# Day 6 after a 20 Nov surgery: first activity phase, brace on, radiation next.
pytestmark = pytest.mark.travel("2026-11-26 15:00 +0000")


@pytest.fixture
def enrol(app, make_user, make_patient):
    """A patient after open resection with brace and radiation, in `language`."""
    coordinator = make_user("coordinator")

    def make(language: str) -> Browser:
        account = make_patient(
            coordinator,
            surgery_date=date(2026, 11, 20),
            procedure="open_resection",
            tumor_location="epidural",
            malignancy="malignant",
            radiation_planned=True,
            radiation_start_day=10,
            radiation_weeks=2,
            brace_required=True,
            brace_weeks=6,
        )
        with app.app_context():
            patient = db.session.get(Patient, account.patient_id)
            patient.user.language = language
            recompute_timeline(patient, utcnow())
            db.session.commit()
        browser = Browser(app.test_client())
        browser.login(account)
        browser.patient_id = account.patient_id  # type: ignore[attr-defined]
        browser.user_id = account.id  # type: ignore[attr-defined]
        return browser

    return make


def page(browser: Browser, url: str) -> str:
    response = browser.client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def event(app, patient_id: int, key: str) -> TimelineEvent:
    with app.app_context():
        row = db.session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.patient_id == patient_id, TimelineEvent.key == key
            )
        ).one()
        db.session.expunge(row)
        return row


def test_a_spanish_speaking_patient_reads_the_home_page_in_spanish(enrol):
    home = page(enrol("es"), "/patients/me")
    # Today's limits (activity phase 1 and the brace), with the same numbers.
    for spanish in (
        "Primeras semanas: proteja su espalda",
        "Caminar, varias veces al día",
        "Estar sentado, de 20 a 30 minutos cada vez",
        "Levantar más de 4.5 kg (10 lb)",
        "Estar sentado, de pie o caminar sin su faja o corsé",
        # Coming up: the first radiation session, its numbers filled in.
        "Sesión de radioterapia 1 de 10",
        # The leaflet and the urgent signs, thresholds from the rules file.
        "Cuánto dura la recuperación",
        "no puede orinar",
        "una temperatura de 38.3 °C o más",
        "dolor o hinchazón en la pantorrilla",
    ):
        assert spanish in home, spanish
    for english in (
        "Walking, several times a day",
        "Lifting more than 4.5 kg (10 lb)",
        "Radiation session 1 of 10",
        "How long recovery takes",
        "you cannot pass urine",
    ):
        assert english not in home, english


def test_a_spanish_speaking_patient_reads_the_timeline_in_spanish(enrol):
    timeline = page(enrol("es"), "/timeline/me")
    for spanish in (
        "Cuestionario de la espalda (ODI): antes de la cirugía",
        "Diez preguntas cortas sobre cómo afecta su espalda a su vida diaria.",
        "Use su faja o corsé durante 6 semanas",
        "Revisión de la herida: le quitan los puntos o las grapas",
        "Resonancia magnética de control",
        "Revisión del tratamiento del dolor",
    ):
        assert spanish in timeline, spanish
    for english in ("Follow-up MRI", "Wear your brace or corset", "Pain-management"):
        assert english not in timeline, english


def test_an_english_speaking_patient_reads_the_pages_unchanged(enrol):
    browser = enrol("en")
    home = page(browser, "/patients/me")
    timeline = page(browser, "/timeline/me")
    for english in (
        "Walking, several times a day",
        "Lifting more than 4.5 kg (10 lb)",
        "Radiation session 1 of 10",
        "How long recovery takes",
        "you cannot pass urine",
    ):
        assert english in home, english
    assert "Wear your brace or corset for 6 weeks" in timeline
    assert "Follow-up MRI" in timeline
    for spanish in ("Caminar", "Sesión de radioterapia", "Resonancia", "orinar"):
        assert spanish not in home + timeline, spanish


def test_an_event_a_clinician_reworded_keeps_the_clinicians_text(app, enrol):
    browser = enrol("es")
    wound = event(app, browser.patient_id, "wound_check:0")
    with app.test_request_context():
        override_event(
            db.session.get(TimelineEvent, wound.id),
            {"title": "Wound check with Dr Ruiz", "instructions": "Bring your list."},
            utcnow(),
        )
        db.session.commit()
    timeline = page(browser, "/timeline/me")
    assert "Wound check with Dr Ruiz" in timeline
    assert "Bring your list." in timeline
    assert "Revisión de la herida" not in timeline
    # The stored record is the clinician's, untouched.
    assert event(app, browser.patient_id, "wound_check:0").title == (
        "Wound check with Dr Ruiz"
    )


def test_an_event_moved_without_rewording_still_reads_in_spanish(app, enrol):
    browser = enrol("es")
    wound = event(app, browser.patient_id, "wound_check:0")
    with app.test_request_context():
        override_event(
            db.session.get(TimelineEvent, wound.id),
            {"start_date": date(2026, 12, 1), "end_date": date(2026, 12, 2)},
            utcnow(),
        )
        db.session.commit()
    assert "Revisión de la herida" in page(browser, "/timeline/me")


def test_an_urgent_check_in_reads_in_spanish_on_the_result_and_home(enrol):
    browser = enrol("es")
    response = browser.submit(
        "/symptoms/check-in",
        {"back_pain": "4", "temperature": "38.6"},
        follow_redirects=True,
    )
    result = response.get_data(as_text=True)
    assert "Temperatura de 38.6 °C (fiebre)." in result
    assert "Temperature 38.6 °C (fever)." not in result
    assert "una temperatura de 38.3 °C o más" in result
    home = page(browser, "/patients/me")
    assert "Temperatura de 38.6 °C (fiebre)." in home


def test_the_odi_page_names_its_sections_in_spanish(app, enrol):
    browser = enrol("es")
    odi = page(browser, "/symptoms/odi")
    assert "Intensidad del dolor" in odi
    assert "El peor dolor que me puedo imaginar" in odi
    assert "Pain intensity" not in odi


def test_a_reminder_names_the_event_in_the_persons_language(app, enrol):
    spanish, english = enrol("es"), enrol("en")
    subjects = {}
    for browser in (spanish, english):
        with app.test_request_context():
            first = event(app, browser.patient_id, "radiation:0")
            ids = db.session.scalars(
                select(Reminder.id).where(Reminder.event_id == first.id)
            ).all()
            assert ids
            subjects[browser] = [m.subject for m in load_messages(ids)]
    assert any("Sesión de radioterapia 1 de 10" in s for s in subjects[spanish])
    assert any("Radiation session 1 of 10" in s for s in subjects[english])


def test_one_batch_renders_each_message_in_its_readers_language(app, enrol):
    spanish, english = enrol("es"), enrol("en")
    with app.test_request_context():
        ids = db.session.scalars(
            select(Reminder.id).where(
                Reminder.event_id.in_(
                    [
                        event(app, b.patient_id, "radiation:0").id
                        for b in (spanish, english)
                    ]
                )
            )
        ).all()
        # Dispatch loads a batch of mixed languages at once, in send order.
        messages = load_messages(ids)
        order = db.session.execute(
            select(Reminder.id, Reminder.user_id)
            .where(Reminder.id.in_(ids))
            .order_by(Reminder.send_at, Reminder.id)
        ).all()
    assert [m.reminder_id for m in messages] == [row.id for row in order]
    for message, row in zip(messages, order, strict=True):
        # In the app the event's title; by email, without details, a plain notice.
        title, notice = (
            ("Sesión de radioterapia 1 de 10", "Un recordatorio de Recovery")
            if row.user_id == spanish.user_id
            else ("Radiation session 1 of 10", "A reminder from Recovery")
        )
        expected = title if message.channel == "in_app" else notice
        assert expected in message.subject, message
    assert {m.language for m in messages} == {"es", "en"}


def _protocols_without(tmp_path: Path, line: str) -> Path:
    """A copy of the shipped protocols with one line of laminectomy.toml gone."""
    for shipped in PROTOCOL_DIR.glob("*.toml"):
        text = shipped.read_text(encoding="utf-8")
        if shipped.name == "laminectomy.toml":
            assert line in text
            text = text.replace(line + "\n", "", 1)
        (tmp_path / shipped.name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_protocol_missing_a_spanish_text_stops_start_up(tmp_path):
    folder = _protocols_without(
        tmp_path, 'title_es = "Revisión del tratamiento del dolor"'
    )
    with pytest.raises(ProtocolError) as caught:
        create_app("testing", overrides={"PROTOCOL_DIR": str(folder)})
    message = str(caught.value)
    assert str(folder / "laminectomy.toml") in message
    assert "'pain_review'" in message
    assert "'title_es'" in message and "Spanish ('es')" in message


def test_without_spanish_enabled_a_protocol_needs_no_spanish(tmp_path):
    folder = _protocols_without(
        tmp_path, 'title_es = "Revisión del tratamiento del dolor"'
    )
    app = create_app(
        "testing", overrides={"PROTOCOL_DIR": str(folder), "LANGUAGES": ("en",)}
    )
    assert app.extensions["protocols"]["open_resection"].item("pain_review")


def test_the_calendar_feed_names_events_in_the_patients_language(app, enrol):
    from recovery.interop.ical import issue_calendar_token

    browser = enrol("es")
    with app.test_request_context():
        token = issue_calendar_token(db.session.get(Patient, browser.patient_id))
        db.session.commit()
    # Calendar apps send no login and no Accept-Language: the patient's own choice.
    feed = app.test_client().get(f"/timeline/feed/{token}.ics")
    text = feed.get_data(as_text=True).replace("\r\n ", "")
    assert "SUMMARY:Sesión de radioterapia 1 de 10" in text
    assert "Radiation session" not in text
