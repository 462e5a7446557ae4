"""The check-in fits the day (issue 18): no wound question before surgery or once
the wound check is done; "nothing new today" in one tap."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from recovery.extensions import db
from recovery.symptoms.models import Alert, SymptomLog
from recovery.timeline.models import TimelineEvent

pytestmark = pytest.mark.travel("2026-11-26 15:00 +0000")


def enrol(app, make_user, make_patient, surgery: date):
    return make_patient(make_user("coordinator"), surgery_date=surgery, timeline=True)


def logs(app) -> list[SymptomLog]:
    with app.app_context():
        rows = db.session.scalars(select(SymptomLog).order_by(SymptomLog.id)).all()
        db.session.expunge_all()
        return list(rows)


@pytest.mark.parametrize(
    ("surgery", "wound_done", "asked"),
    [
        (date(2026, 12, 1), False, False),  # before surgery
        (date(2026, 11, 20), False, True),  # day 6: healing
        (date(2026, 11, 10), True, False),  # wound check done: healed
    ],
)
def test_the_wound_question_is_asked_only_while_the_wound_heals(
    app, browser, make_user, make_patient, surgery, wound_done, asked
):
    account = enrol(app, make_user, make_patient, surgery)
    if wound_done:
        with app.app_context():
            for event in db.session.scalars(
                select(TimelineEvent).where(
                    TimelineEvent.patient_id == account.patient_id,
                    TimelineEvent.kind == "wound_check",
                )
            ):
                event.status = "done"
            db.session.commit()
    browser.login(account)
    html = browser.client.get("/symptoms/check-in").get_data(as_text=True)
    assert ("My wound looks" in html) is asked


def test_nothing_new_today_repeats_the_last_answers_in_one_tap(
    app, browser, make_user, make_patient
):
    account = enrol(app, make_user, make_patient, date(2026, 11, 20))
    browser.login(account)
    first = browser.client.get("/symptoms/check-in").get_data(as_text=True)
    assert "Nothing new today" not in first  # nothing to repeat yet
    browser.submit(
        "/symptoms/check-in", {"back_pain": "4", "leg_pain": "2", "numbness": "y"}
    )
    page = browser.client.get("/symptoms/check-in").get_data(as_text=True)
    assert "Nothing new today" in page and "back pain 4, leg pain 2" in page
    response = browser.submit(
        "/symptoms/check-in/nothing-new", {}, form_url="/symptoms/check-in"
    )
    assert response.status_code == 302
    last = logs(app)[-1]
    assert (last.back_pain, last.leg_pain, last.numbness) == (4, 2, None)
    assert last.notes == "Nothing new today."


def test_nothing_new_without_a_token_or_a_last_check_in_records_nothing(
    app, browser, make_user, make_patient
):
    account = enrol(app, make_user, make_patient, date(2026, 11, 20))
    browser.login(account)
    refused = browser.client.post("/symptoms/check-in/nothing-new")
    assert refused.status_code in (302, 400)
    browser.submit("/symptoms/check-in/nothing-new", {}, form_url="/symptoms/check-in")
    assert logs(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Alert)) == 0
