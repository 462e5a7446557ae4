"""A Spanish-speaking patient on a phone (issue 20): home, a check-in with a red flag
and its urgent guidance, the timeline, all in Spanish, fitting 390 px, axe clean;
an English-speaking patient's pages stay as they were."""

from __future__ import annotations

import re

import pytest

from recovery.auth.models import User
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.timeline.services import recompute_timeline
from tests.e2e.conftest import days_ago, page_width, snap
from tests.e2e.test_accessibility import serious_violations

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
# What sticks out past the right edge, to name it when a page is too wide.
WIDE_JS = """
(width) => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > width + 0.5)
  .slice(-3)
  .map(el => el.tagName.toLowerCase() + '.' + el.className + ': '
       + el.textContent.trim().slice(0, 60))
"""


@pytest.fixture
def patients(app, make_user, make_patient):
    """Rosa reads Spanish, Ann English; both 10 days after surgery, with radiation
    and a brace so their pages carry the longest texts."""
    clinician = make_user("clinician")
    accounts = {}
    for language, name in (("es", "Rosa María Díaz"), ("en", "Ann Smith")):
        account = make_patient(
            clinician,
            name=name,
            surgery_date=days_ago(10),
            radiation_planned=True,
            radiation_start_day=7,
            radiation_weeks=3,
            brace_required=True,
            brace_weeks=6,
            phone="+1 312 555 0101",
        )
        with app.app_context():
            db.session.get(User, account.id).language = language
            recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
            db.session.commit()
        accounts[language] = account
    return accounts


def log_in(page, base, account, button="Log in"):
    page.goto(f"{base}/login")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: "/login" not in url)


def check_page(page, shot: str | None = None) -> None:
    """The page fits the phone and axe finds nothing serious; a screenshot."""
    assert page_width(page) <= PHONE["width"], (
        page.url,
        page.evaluate(WIDE_JS, PHONE["width"]),
    )
    assert serious_violations(page) == [], page.url
    if shot:
        snap(page, shot)


def test_a_spanish_patient_checks_in_with_a_red_flag_in_spanish(
    live_server, chromium, patients
):
    from playwright.sync_api import expect

    context = chromium.new_context(
        viewport=PHONE,
        bypass_csp=True,
        locale="en-US",  # her choice beats the browser's
    )
    page = context.new_page()
    log_in(page, live_server, patients["es"])
    expect(page).to_have_url(f"{live_server}/patients/me")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Hola, Rosa María Díaz")).to_be_visible()
    expect(
        page.get_by_text("Día 10 después de la cirugía", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("heading", name="El control de hoy")).to_be_visible()
    check_page(page, "es-patient-home-390.png")

    page.get_by_role("button", name="Hacer el control ahora").click()
    expect(page.get_by_role("heading", name="¿Cómo se encuentra hoy?")).to_be_visible()
    check_page(page, "es-check-in-390.png")
    page.get_by_role("group", name=re.compile("^Dolor de espalda")).get_by_label(
        "6", exact=True
    ).check()
    page.get_by_label("No puedo controlar la orina (es nuevo)").check()
    page.get_by_role("button", name="Enviar mi control").click()

    urgent = page.get_by_role("alert")
    expect(urgent.get_by_role("heading", name="Llame ahora a su equipo médico"))
    expect(urgent).to_contain_text("Usted nos dijo:")
    expect(urgent).to_contain_text("no espere a que le llamen")
    expect(
        urgent.get_by_role("link", name=re.compile("^Llamar a su equipo médico"))
    ).to_have_attribute("href", re.compile("^tel:"))
    check_page(page, "es-check-in-result-390.png")

    page.goto(f"{live_server}/patients/me")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Usted avisó:")
    expect(banner).to_contain_text("Este mensaje seguirá aquí")

    page.goto(f"{live_server}/timeline/me")
    expect(page.get_by_role("heading", name="Mi calendario")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Hoy, "))).to_be_visible()
    expect(page.locator("#radiation-course")).to_contain_text("Radioterapia:")
    check_page(page, "es-timeline-390.png")

    for path in (
        "/symptoms/history",
        "/symptoms/odi",
        "/reminders/preferences",
        "/reminders/inbox",
        "/account",
        "/patients/me/access",
        "/caregivers/",
        "/messages/mine",
    ):
        page.goto(live_server + path)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        check_page(page)
    context.close()


def test_an_english_patient_sees_english(live_server, chromium, patients):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport=PHONE, locale="es-ES")
    page = context.new_page()
    log_in(page, live_server, patients["en"], button="Iniciar sesión")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Hello, Ann Smith")).to_be_visible()
    expect(page.get_by_role("heading", name="Today's check-in")).to_be_visible()
    page.goto(f"{live_server}/timeline/me")
    expect(page.get_by_role("heading", name="My timeline")).to_be_visible()
    context.close()


def test_before_login_the_browser_language_is_used(live_server, chromium):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport=PHONE, bypass_csp=True, locale="es-MX")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    check_page(page)
    context.close()
