"""A usual check-in on a phone: a few taps and no typing (issue 18)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import days_ago, page_width
from tests.e2e.test_red_flag_journey import PHONE, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def patient(app, make_user, make_patient):
    return make_patient(
        make_user("coordinator"),
        name="Tess Tap",
        surgery_date=days_ago(10),
        timeline=True,
    )


def test_a_usual_check_in_takes_at_most_four_taps_and_no_typing(
    live_server, chromium, patient
):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_server, patient)
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        page.wait_for_load_state("load")  # sizes as styled (see page_width)
        box = locator.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, box
        locator.click()
        taps += 1

    tap(page.get_by_role("button", name="Check in now"))
    # A usual day's questions and their Send button fit on two phone screens.
    page.wait_for_load_state("load")
    send = page.get_by_role("button", name="Send my check-in").bounding_box()
    assert send is not None
    send_bottom = send["y"] + send["height"] + page.evaluate("window.scrollY")
    assert send_bottom <= 2 * PHONE["height"], send_bottom
    tap(
        page.locator("label.scale-option")
        .filter(has=page.get_by_role("radio", name="3", exact=True))
        .first
    )
    tap(page.get_by_role("button", name="Send my check-in"))
    expect(
        page.get_by_role("heading", name="Thank you, your check-in is sent")
    ).to_be_visible()
    assert taps <= 4

    # The next day's "nothing new": two taps from the home page.
    taps = 0
    page.goto(f"{live_server}/patients/me")
    tap(page.get_by_role("button", name="Send another check-in"))
    tap(page.get_by_role("button", name="Nothing new today"))
    expect(
        page.get_by_role("heading", name="Thank you, your check-in is sent")
    ).to_be_visible()
    assert taps <= 4
    assert page_width(page) <= PHONE["width"]
    context.close()
