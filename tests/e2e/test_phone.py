"""Every main page of every role on a 390 x 844 phone: nothing wider than the
screen, no serious accessibility problem, and on patient pages every control big
enough for a finger."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from recovery.auth.models import User
from recovery.extensions import db
from tests.e2e.conftest import page_width
from tests.e2e.pages import PAGES, PATIENT, log_in, seed_demo
from tests.e2e.test_accessibility import serious_violations

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
# Apple's and WCAG 2.5.5's minimum touch target.
MIN_TARGET_PX = 44

# Controls smaller than a finger, as "tag#id (height px)": a radio button or a
# checkbox counts by its label, which is what the finger taps.
SMALL_CONTROLS_JS = """
(min) => {
  const small = [];
  for (const el of document.querySelectorAll(
      'main input:not([type=hidden]), main select, main textarea, main button,'
      + ' main [role=button], header button')) {
    if (!el.checkVisibility()) continue;
    let target = el;
    if (el.type === 'radio' || el.type === 'checkbox') {
      target = el.closest('label') || document.querySelector(`label[for="${el.id}"]`);
      if (!target) { small.push(`${el.name}: no label to tap`); continue; }
    }
    const h = target.getBoundingClientRect().height;
    const name = el.id || el.name || el.textContent.trim();
    if (h < min - 0.5) {
      small.push(`${el.tagName.toLowerCase()}#${name} (${Math.round(h)} px)`);
    }
  }
  return small;
}
"""


@pytest.fixture
def demo_ids(app):
    return seed_demo(app)


@pytest.mark.parametrize(
    "email", list(PAGES), ids=lambda e: (e or "anonymous").split("@")[0]
)
def test_every_main_page_fits_a_phone(live_server, chromium, demo_ids, email):
    # bypass_csp lets the test inject axe; the app's own pages run no inline script.
    context = chromium.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    if email:
        log_in(page, live_server, email)
    wider, inaccessible, small = {}, {}, {}
    for path in PAGES[email]:
        response = page.goto(live_server + path.format(**demo_ids))
        assert response.status < 400, (path, response.status)
        width = page_width(page)
        if width > PHONE["width"]:
            wider[path] = width
        problems = serious_violations(page)
        if problems:
            inaccessible[path] = problems
        if email == PATIENT:
            too_small = page.evaluate(SMALL_CONTROLS_JS, MIN_TARGET_PX)
            if too_small:
                small[path] = too_small
    context.close()
    assert wider == {}, "pages wider than the phone (px)"
    assert inaccessible == {}
    assert small == {}, f"patient controls under {MIN_TARGET_PX} px"


def test_header_keeps_log_out_on_screen_for_every_role(live_server, chromium, demo_ids):
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for email in (e for e in PAGES if e):
        log_in(page, live_server, email)
        page.wait_for_load_state("load")  # measured as styled (see page_width)
        box = page.get_by_role("button", name="Log out").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (email, box)
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(lambda url: "/login" in url)
    context.close()


@pytest.mark.parametrize(
    "email", [e for e in PAGES if e], ids=lambda e: e.split("@")[0]
)
def test_every_main_page_fits_a_desktop_too(live_server, chromium, demo_ids, email):
    # Cards are for phones; on a desk wide tables must still stay in their box.
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, live_server, email)
    wider = {}
    for path in PAGES[email]:
        page.goto(live_server + path.format(**demo_ids))
        width = page_width(page)
        if width > 1280:
            wider[path] = width
    context.close()
    assert wider == {}


@pytest.mark.parametrize(
    "email", ["coordinator2@demo.example.org", "clinician@demo.example.org"]
)
def test_staff_pages_in_spanish_fit_a_phone(live_server, chromium, app, email):
    """Spanish words run longer ("Dolor de espalda / pierna"): the staff's pages
    still fit 390 px when the reader chose Spanish."""
    ids = seed_demo(app)
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).language = "es"
        db.session.commit()
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_server, email)
    wider = {}
    for path in PAGES[email]:
        response = page.goto(live_server + path.format(**ids))
        assert response.status < 400, (path, response.status)
        assert page.locator("html").get_attribute("lang") == "es", path
        width = page_width(page)
        if width > PHONE["width"]:
            wider[path] = width
    context.close()
    assert wider == {}, "Spanish pages wider than the phone (px)"
