"""Patients in their own language (issue 20): pages, settings, enrolment, the API,
emails and reminders in Spanish for a Spanish-speaking patient; English unchanged."""

from __future__ import annotations

import json
from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select

from recovery.auth.models import User
from recovery.extensions import db
from recovery.notes.models import ClinicalNote
from recovery.notify.channels import EmailChannel, InAppChannel
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.reminders.dispatch import dispatch_due
from recovery.symptoms.models import SymptomLog
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers, csrf_from
from tests.integration.test_cohort import ENROLMENT

NOW = "2026-11-26 15:00 +0000"  # a Thursday; surgery on 10 November, day 16
pytestmark = pytest.mark.travel(NOW)


def speaks(app, account, language: str) -> None:
    """Set the account's language, as their settings page would."""
    with app.app_context():
        db.session.get(User, account.id).language = language
        db.session.commit()


@pytest.fixture
def clinician(make_user):
    return make_user("clinician")


@pytest.fixture
def spanish_patient(app, make_patient, clinician):
    """A patient who reads Spanish, with a built timeline."""
    account = make_patient(clinician, name="Rosa Díaz", phone="+1 312 555 0101")
    speaks(app, account, "es")
    with app.test_request_context():
        recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
        db.session.commit()
    return account


@pytest.fixture
def english_patient(app, make_patient, clinician):
    return make_patient(clinician, name="Ann Smith", timeline=True)


def page(browser, path: str) -> str:
    response = browser.client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_spanish_patient_home_is_in_spanish(browser, spanish_patient):
    browser.login(spanish_patient)
    html = page(browser, "/patients/me")
    assert '<html lang="es">' in html
    assert "Hola, Rosa Díaz" in html
    assert "El control de hoy" in html
    assert "Día 16 después de la cirugía" in html
    assert "jueves 26 de noviembre de 2026" in html  # Babel's Spanish date
    assert "Su plan" in html and "Laminectomía parcial" in html
    assert "Cerrar sesión" in html
    assert "Today's check-in" not in html and "Your plan" not in html


def test_english_patient_home_is_unchanged(browser, english_patient):
    browser.login(english_patient)
    html = page(browser, "/patients/me")
    assert '<html lang="en">' in html
    assert "Hello, Ann Smith" in html
    assert "Today's check-in" in html
    assert "Day 16 after surgery" in html
    assert "Thursday 26 November 2026" in html
    assert "Partial laminectomy" in html


def test_spanish_check_in_and_its_urgent_guidance(browser, spanish_patient):
    browser.login(spanish_patient)
    form = page(browser, "/symptoms/check-in")
    assert "¿Cómo se encuentra hoy?" in form
    assert "Dolor de espalda ahora (0 = sin dolor, 10 = el peor imaginable)" in form
    assert "No puedo controlar la orina (es nuevo)" in form
    assert "Enviar mi control" in form
    response = browser.submit(
        "/symptoms/check-in",
        {"back_pain": "4", "bladder_incontinence": "y"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Llame ahora a su equipo médico" in html
    assert "Llamar a su equipo médico: " in html
    assert "Hemos avisado a su equipo médico, pero no espere a que le llamen." in html


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_read_an_alert_in_their_language(
    app, browser, clinician, spanish_patient, language
):
    browser.login(spanish_patient)
    browser.submit("/symptoms/check-in", {"back_pain": "4", "temperature": "38.6"})
    speaks(app, clinician, language)
    staff = Browser(app.test_client())
    staff.login(clinician)
    html = page(staff, f"/patients/{spanish_patient.patient_id}")
    alert = html[html.index('class="alert-urgent"') :]
    alert = alert[: alert.index("</article>")]
    if language == "es":
        assert "URGENTE" in alert and "Temperatura de 38.6 °C (fiebre)." in alert
        assert "Temperature 38.6" not in alert
    else:
        assert "URGENT" in alert and "Temperature 38.6 °C (fever)." in alert
        assert "Temperatura" not in alert


def test_spanish_check_in_errors_are_in_spanish(browser, spanish_patient):
    browser.login(spanish_patient)
    response = browser.submit("/symptoms/check-in", {"back_pain": ""})
    html = response.get_data(as_text=True)
    assert "Elija su dolor de espalda de 0 a 10." in html
    assert "Revise algunas respuestas" in html


def test_spanish_timeline_is_in_spanish(browser, spanish_patient):
    browser.login(spanish_patient)
    html = page(browser, "/timeline/me")
    assert '<html lang="es">' in html
    assert "Mi calendario" in html
    assert "Cirugía el martes 10 de noviembre de 2026." in html
    assert "Hoy, jueves 26 de noviembre" in html
    assert "En el calendario de su teléfono" in html


def test_english_timeline_is_unchanged(browser, english_patient):
    browser.login(english_patient)
    html = page(browser, "/timeline/me")
    assert "Surgery on Tuesday 10 November 2026." in html
    assert "Today, Thursday 26 November" in html


def test_accept_language_chooses_before_login(client):
    spanish = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9"})
    html = spanish.get_data(as_text=True)
    assert '<html lang="es">' in html and "Iniciar sesión" in html
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert "Log in" in english.get_data(as_text=True)
    other = client.get("/login", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in other.get_data(as_text=True)


def test_the_persons_choice_wins_over_the_browser(browser, spanish_patient):
    browser.login(spanish_patient)
    html = browser.client.get(
        "/patients/me", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert '<html lang="es">' in html


def test_patients_choose_their_language_in_their_settings(
    app, browser, english_patient
):
    browser.login(english_patient)
    settings = page(browser, "/reminders/preferences")
    assert '<option selected value="en">English</option>' in settings
    response = browser.submit(
        "/reminders/preferences",
        {
            "notify_in_app": "y",
            "notify_email": "y",
            "timezone": "America/Chicago",
            "language": "es",
        },
        follow_redirects=True,
    )
    assert "Sus preferencias están guardadas." in response.get_data(as_text=True)
    assert "Hola, Ann Smith" in page(browser, "/patients/me")
    with app.app_context():
        assert db.session.get(User, english_patient.id).language == "es"


def test_an_unknown_language_is_refused_in_settings(app, browser, english_patient):
    browser.login(english_patient)
    response = browser.submit(
        "/reminders/preferences",
        {"notify_in_app": "y", "timezone": "America/Chicago", "language": "fr"},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, english_patient.id).language == "en"


def test_staff_choose_their_language_too(app, browser, clinician):
    browser.login(clinician)
    browser.submit(
        "/reminders/preferences",
        {"notify_in_app": "y", "timezone": "UTC", "language": "es"},
    )
    html = page(browser, "/account")
    assert "Su cuenta" in html and "Español" in html


def test_enrolment_form_sets_the_language_and_invites_in_it(
    app, browser, clinician, outbox
):
    browser.login(clinician)
    form = page(browser, "/patients/new")
    assert '<select id="language" name="language">' in form
    response = browser.submit("/patients/new", {**ENROLMENT, "language": "es"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ENROLMENT["email"]))
        assert user.language == "es"
    (invitation,) = outbox
    assert invitation.subject == "Su cuenta de Recovery"
    assert "Hola, Nina New:" in invitation.body
    assert "Se ha creado una cuenta de Recovery para usted." in invitation.body
    assert "7 días" in invitation.body


def test_enrolment_form_refuses_an_unknown_language(app, browser, clinician):
    browser.login(clinician)
    response = browser.submit("/patients/new", {**ENROLMENT, "language": "xx"})
    assert response.status_code == 400
    assert "Must be one of: en, es." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


API_PATIENT = {
    "name": "Luis Pérez",
    "email": "luis@mail.example.org",
    "mrn": "API-ES-1",
    "date_of_birth": "1955-03-04",
    "timezone": "America/Chicago",
    "surgery_date": "2026-11-20",
    "procedure": "partial_laminectomy",
    "tumor_location": "intradural_extramedullary",
    "malignancy": "benign",
}


def test_api_sets_reads_and_changes_the_language(client, clinician):
    headers = bearer_headers(client, clinician)
    created = client.post(
        "/api/v1/patients", json={**API_PATIENT, "language": "es"}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["language"] == "es"
    patient_id = created.get_json()["id"]
    read = client.get(f"/api/v1/patients/{patient_id}", headers=headers)
    assert read.get_json()["language"] == "es"
    changed = client.patch(
        f"/api/v1/patients/{patient_id}", json={"language": "en"}, headers=headers
    )
    assert changed.status_code == 200 and changed.get_json()["language"] == "en"


def test_api_language_defaults_to_the_clinics_first(client, clinician):
    headers = bearer_headers(client, clinician)
    created = client.post("/api/v1/patients", json=API_PATIENT, headers=headers)
    assert created.get_json()["language"] == "en"


def test_api_refuses_an_unknown_language_and_changes_nothing(app, client, clinician):
    headers = bearer_headers(client, clinician)
    refused = client.post(
        "/api/v1/patients", json={**API_PATIENT, "language": "fr"}, headers=headers
    )
    assert refused.status_code == 422
    assert "language" in refused.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 0
    created = client.post(
        "/api/v1/patients", json={**API_PATIENT, "language": "es"}, headers=headers
    )
    patient_id = created.get_json()["id"]
    for bad in ("fr", "", None, 7):
        patch = client.patch(
            f"/api/v1/patients/{patient_id}",
            json={"language": bad, "name": "Someone Else"},
            headers=headers,
        )
        assert patch.status_code == 422, bad
        assert "language" in patch.get_json()["error"]["fields"]
    after = client.get(f"/api/v1/patients/{patient_id}", headers=headers).get_json()
    assert after["language"] == "es" and after["name"] == "Luis Pérez"


def symptom_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SymptomLog))


def test_api_refusals_speak_the_requesters_language(app, client, spanish_patient):
    headers = bearer_headers(client, spanish_patient)
    url = f"/api/v1/patients/{spanish_patient.patient_id}/symptoms"
    missing = client.post(url, json={"leg_pain": 2}, headers=headers)
    assert missing.status_code == 422
    error = missing.get_json()["error"]
    assert error["fields"] == {"back_pain": "Falta el dato de este campo obligatorio."}
    assert error["message"] == "Algunos campos no son válidos: back_pain."
    invalid = client.post(
        url,
        json={"back_pain": "mucho", "leg_pain": 99, "wound": "roja", "extra": 1},
        headers=headers,
    )
    assert invalid.status_code == 422
    assert invalid.get_json()["error"]["fields"] == {
        "back_pain": "No es un número entero válido.",
        "leg_pain": "El dolor de pierna debe estar entre 0 y 10.",
        "wound": invalid.get_json()["error"]["fields"]["wound"],
        "extra": "Campo desconocido.",
    }
    assert invalid.get_json()["error"]["fields"]["wound"].startswith(
        "Debe ser uno de: "
    )
    assert symptom_count(app) == 0


def test_api_refusals_follow_accept_language_before_login(client):
    refused = client.post(
        "/api/v1/auth/tokens",
        json={"email": None},
        headers={"Accept-Language": "es"},
    )
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert fields["email"] == "El campo no puede ser nulo."
    assert fields["password"] == "Falta el dato de este campo obligatorio."


def test_english_api_refusals_are_unchanged(app, client, english_patient):
    headers = bearer_headers(client, english_patient)
    url = f"/api/v1/patients/{english_patient.patient_id}/symptoms"
    missing = client.post(url, json={"leg_pain": 2}, headers=headers)
    assert missing.get_json()["error"] == {
        "code": "validation_error",
        "message": "Some fields are not valid: back_pain.",
        "fields": {"back_pain": "Missing data for required field."},
    }
    invalid = client.post(
        url, json={"back_pain": "much", "leg_pain": 99, "extra": 1}, headers=headers
    )
    assert invalid.get_json()["error"]["fields"] == {
        "back_pain": "Not a valid integer.",
        "leg_pain": "Leg pain must be from 0 to 10.",
        "extra": "Unknown field.",
    }
    assert symptom_count(app) == 0


def test_a_reminder_email_to_a_spanish_patient_is_in_spanish(
    app, spanish_patient, english_patient, outbox
):
    """The check-in reminder goes out in each recipient's own language."""
    with app.app_context():
        for account in (spanish_patient, english_patient):
            db.session.get(User, account.id).email_details = True
        db.session.commit()
    # The next morning's check-in reminder (08:00 in Chicago).
    with time_machine.travel("2026-11-27 14:01 +0000", tick=False), app.app_context():
        from recovery.reminders.planning import replan_reminders

        patients = db.session.scalars(select(Patient)).all()
        replan_reminders(patients, utcnow())
        db.session.commit()
        result = dispatch_due(
            {"in_app": InAppChannel(), "email": EmailChannel()}, utcnow()
        )
    assert result.failed == 0
    by_recipient = {mail.to[0]: mail for mail in outbox}
    spanish = by_recipient[spanish_patient.email]
    assert spanish.subject == "Es la hora de su control de síntomas"
    assert "¿Cómo se encuentra hoy?" in spanish.body
    html = spanish.alternatives[0][0]
    assert "Hola, Rosa Díaz:" in html and "Este mensaje no es un diagnóstico" in html
    english = by_recipient[english_patient.email]
    assert english.subject == "Time for your symptom check-in"
    assert "How are you today?" in english.body


def test_the_in_app_inbox_speaks_the_readers_language(app, browser, spanish_patient):
    with time_machine.travel("2026-11-27 14:01 +0000", tick=False):
        with app.app_context():
            from recovery.reminders.planning import replan_reminders

            replan_reminders(db.session.scalars(select(Patient)).all(), utcnow())
            db.session.commit()
            dispatch_due({"in_app": InAppChannel(), "email": InAppChannel()}, utcnow())
        browser.login(spanish_patient)
        html = page(browser, "/reminders/inbox")
    assert "Es la hora de su control de síntomas" in html


def test_password_reset_email_follows_the_account_not_the_browser(
    app, client, spanish_patient, outbox
):
    page_html = client.get(
        "/reset-password", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    client.post(
        "/reset-password",
        data={"email": spanish_patient.email, "csrf_token": csrf_from(page_html)},
        headers={"Accept-Language": "en"},
    )
    (mail,) = outbox
    assert mail.subject == "Restablecer su contraseña de Recovery"
    assert "Alguien ha pedido restablecer la contraseña" in mail.body


def test_a_caregiver_invited_by_a_spanish_patient_gets_spanish(
    app, browser, spanish_patient, outbox
):
    browser.login(spanish_patient)
    browser.submit(
        "/caregivers/",
        {"name": "Marta Díaz", "email": "marta@mail.example.org"},
        form_url="/caregivers/",
    )
    (mail,) = outbox
    assert mail.subject == "Le invitan a Recovery como cuidador o cuidadora"
    assert "Rosa Díaz le invita a seguir su recuperación" in mail.body


def test_error_pages_follow_the_language(client):
    html = client.get("/no-such-page", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert "Aquí no hay ninguna página." in html


def test_dates_are_spanish_in_the_spanish_history(browser, spanish_patient):
    browser.login(spanish_patient)
    browser.submit("/symptoms/check-in", {"back_pain": "3", "temperature": "37,5"})
    html = page(browser, "/symptoms/history")
    assert "Mi dolor y mi recuperación" in html
    assert "37,5 °C" in html  # Spanish decimal comma
    # The chart's own words come from the page, in Spanish (js/trends.js has none).
    words = json.loads(html.split('id="chart-words">')[1].split("</script>")[0])
    assert words["days"] == "Días después de la cirugía"
    assert words["back"] == "Dolor de espalda (0-10)" and words["odi"] == "ODI (%)"


@pytest.mark.parametrize("when", [date(2026, 11, 26)])
def test_babel_formats_follow_the_page_language(app, when):
    from flask_babel import force_locale

    from recovery.i18n import format_day

    with app.test_request_context():
        with force_locale("es"):
            assert format_day(when, "day_short") == "jue 26 nov 2026"
        with force_locale("en"):
            assert format_day(when, "day_short") == "Thu 26 Nov 2026"


STAFF_PAGES = {
    "/timeline/{pid}/plan": (
        "Change the plan of Ann Smith",
        "Cambiar el plan de Ann Smith",
    ),
    "/timeline/{pid}/recurrence": (
        "Start a new episode for Ann Smith",
        "Comenzar un nuevo episodio para Ann Smith",
    ),
    "/patients/{pid}": ("No check-in today yet.", "Todavía no hay control hoy."),
    "/timeline/{pid}/events/new": (
        "Add imaging or a visit for Ann Smith",
        "Añadir prueba de imagen o consulta para Ann Smith",
    ),
    "/messages/patients/{pid}": ("Messages with Ann Smith", "Mensajes con Ann Smith"),
    "/clinician/print": (
        "Confidential patient information.",
        "Información confidencial",
    ),
    "/clinician/": (
        "of your patients: overdue, then the next",
        "de sus pacientes: atrasados",
    ),
    # The filter's labels, its choices and the table's headers.
    "/cohorts/": ("Surgery from", "Cirugía desde"),
    "/cohorts/?procedure=open_resection": (
        ">Open resection</option>",
        ">Resección abierta</option>",
    ),
    "/cohorts/?sort=name": (">Last check-in", ">Último control"),
    "/cohorts/?sort=-name": ("<td>never</td>", "<td>nunca</td>"),
    # The plan form's choices.
    "/timeline/{pid}/plan?": (">Intramedullary</option>", ">Intramedular</option>"),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_sentences_with_values_follow_the_language(
    app, browser, clinician, english_patient, language
):
    speaks(app, clinician, language)
    browser.login(clinician)
    for path, (english, spanish) in STAFF_PAGES.items():
        html = page(browser, path.format(pid=english_patient.patient_id))
        assert (spanish if language == "es" else english) in html, path
        assert (english if language == "es" else spanish) not in html, path
    detail = page(browser, f"/patients/{english_patient.patient_id}")
    assert ("Episodio " if language == "es" else "Episode ") in detail


@pytest.mark.parametrize("language", ["en", "es"])
def test_episodes_and_note_edit_follow_the_language(
    app, browser, clinician, english_patient, language
):
    speaks(app, clinician, language)
    pid = english_patient.patient_id
    browser.login(clinician)
    started = browser.submit(
        f"/timeline/{pid}/recurrence",
        {
            "reason": "Regrowth",
            "surgery_date": "2026-12-07",
            "procedure": "open_resection",
            "brace_weeks": "6",
        },
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    browser.submit(
        f"/patients/{pid}/notes", {"body": "Pain 3/10"}, form_url=f"/patients/{pid}"
    )
    with app.app_context():
        note_id = db.session.scalar(select(ClinicalNote.id))
    episode = page(browser, f"/timeline/{pid}/episodes/1")
    detail = page(browser, f"/patients/{pid}")
    edit = page(browser, f"/patients/{pid}/notes/{note_id}/edit")
    if language == "es":
        assert "Ann Smith: episodio 1" in episode and "Solo lectura. Cirugía" in episode
        assert "Episodio 2; anteriores:" in detail and "episodio 1 (cirugía" in detail
        assert "Editar la nota sobre Ann Smith" in edit and "Escrita el" in edit
    else:
        assert "Ann Smith: episode 1" in episode and "Read-only. Surgery" in episode
        assert "Episode 2; earlier:" in detail and "episode 1 (surgery" in detail
        assert "Edit note on Ann Smith" in edit and "Written " in edit


def test_every_schema_message_has_its_spanish(app):
    """A message added to a schema without its msgid would reach Spanish
    readers in English: each validator's and field's message is translated."""
    from marshmallow import Schema

    from recovery.api import schemas as api_schemas
    from recovery.cohorts import schemas as cohort_schemas
    from recovery.errors import translate_message
    from recovery.patients import schemas as patient_schemas

    untranslated = set()
    with app.test_request_context(headers={"Accept-Language": "es"}):
        for module in (api_schemas, patient_schemas, cohort_schemas):
            for value in vars(module).values():
                if not (isinstance(value, type) and issubclass(value, Schema)):
                    continue
                for field in value().fields.values():
                    inner = getattr(field, "inner", None)
                    messages = [
                        *field.error_messages.values(),
                        *(getattr(v, "error", None) for v in field.validators),
                        *(
                            getattr(v, "error", None)
                            for v in (inner.validators if inner else ())
                        ),
                    ]
                    untranslated.update(
                        message
                        for message in messages
                        if isinstance(message, str)
                        and "{" not in message
                        and translate_message(message) == message
                    )
    assert not untranslated
