"""The check-in in the patient's own units, and today's check-in corrected
(issue 18): °F and lb are typed as the thermometer and scale show them, stored in
°C and kg; a correction is audited and runs the red-flag rules again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.extensions import db
from recovery.symptoms.models import Alert, SymptomLog

pytestmark = pytest.mark.travel("2026-11-26 15:00 +0000")


@pytest.fixture
def patient(app, make_user, make_patient):
    return make_patient(
        make_user("coordinator"), surgery_date=date(2026, 11, 20), timeline=True
    )


def logs(app) -> list[SymptomLog]:
    with app.app_context():
        rows = db.session.scalars(select(SymptomLog).order_by(SymptomLog.id)).all()
        db.session.expunge_all()
        return list(rows)


def alerts(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [
            (a.rule, a.reports)
            for a in db.session.scalars(select(Alert).order_by(Alert.id))
        ]


def audit_actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action)
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_fahrenheit_and_pounds_are_stored_in_celsius_and_kg_and_remembered(
    app, browser, patient
):
    browser.login(patient)
    page = browser.client.get("/symptoms/check-in").get_data(as_text=True)
    assert '<input checked id="temperature_unit-0"' in page  # °C unless chosen
    assert '<input checked id="weight_unit-0"' in page  # kg unless chosen
    response = browser.submit(
        "/symptoms/check-in",
        {
            "back_pain": "3",
            "temperature": "101.3",
            "temperature_unit": "F",
            "weight": "154.3",
            "weight_unit": "lb",
        },
    )
    assert response.status_code == 302
    log = logs(app)[-1]
    assert log.temperature_c == pytest.approx(38.5, abs=0.01)
    assert log.weight_kg == pytest.approx(69.99, abs=0.01)
    # 38.5 °C is a fever: the rules read the stored unit.
    assert [rule for rule, _ in alerts(app)] == ["fever"]
    with app.app_context():
        user = db.session.get(User, patient.id)
        assert (user.temperature_unit, user.weight_unit) == ("F", "lb")
    # The next check-in opens in °F and lb, and history reads in them.
    again = browser.client.get("/symptoms/check-in").get_data(as_text=True)
    assert '<input checked id="temperature_unit-1"' in again  # °F
    assert '<input checked id="weight_unit-1"' in again  # lb
    history = browser.client.get("/symptoms/history").get_data(as_text=True)
    assert "101.3 °F" in history and "154.3 lb" in history


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"temperature": "38.5", "temperature_unit": "F"},
            "Temperature must be from 93.2 to 109.4 °F.",
        ),
        (
            {"temperature": "101", "temperature_unit": "C"},
            "Temperature must be from 34 to 43 °C.",
        ),
        (
            {"weight": "900", "weight_unit": "lb"},
            "Weight must be from 44.1 to 881.8 lb.",
        ),
        ({"weight": "5", "weight_unit": "kg"}, "Weight must be from 20 to 400 kg."),
    ],
)
def test_a_number_out_of_range_is_named_in_the_unit_typed_and_nothing_saved(
    app, browser, patient, data, message
):
    browser.login(patient)
    response = browser.submit("/symptoms/check-in", {"back_pain": "3", **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    # What was typed stays in the box.
    value = data.get("temperature") or data.get("weight")
    assert f'value="{value}"' in page
    assert logs(app) == []


def test_todays_check_in_is_corrected_audited_and_the_rules_run_again(
    app, browser, patient, clock
):
    browser.login(patient)
    browser.submit("/symptoms/check-in", {"back_pain": "3", "notes": "fine"})
    log = logs(app)[-1]
    assert alerts(app) == []
    result = browser.client.get(f"/symptoms/check-in/{log.id}").get_data(as_text=True)
    assert f"/symptoms/check-in/{log.id}/correct" in result

    form = browser.client.get(f"/symptoms/check-in/{log.id}/correct")
    page = form.get_data(as_text=True)
    assert "Correct today&#39;s check-in" in page or "Correct today's check-in" in page
    assert "fine" in page  # the form holds what was sent
    response = browser.submit(
        f"/symptoms/check-in/{log.id}/correct",
        {"back_pain": "3", "bladder_incontinence": "y", "notes": "I forgot this"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/symptoms/check-in/{log.id}")
    corrected = logs(app)
    assert len(corrected) == 1  # corrected in place, not a second check-in
    assert corrected[0].bladder_incontinence is True
    assert corrected[0].notes == "I forgot this"
    assert [rule for rule, _ in alerts(app)] == ["new_bladder_incontinence"]
    (row,) = audit_actions(app, "correct_symptoms")
    assert row.details["before"] == {"bladder_incontinence": False, "notes": "fine"}
    assert row.details["after"] == {
        "bladder_incontinence": True,
        "notes": "I forgot this",
    }
    assert row.details["alerts"] == ["new_bladder_incontinence"]

    # Correcting again without the sign leaves the alert for the team to close,
    # and does not tell them a second time.
    browser.submit(f"/symptoms/check-in/{log.id}/correct", {"back_pain": "4"})
    assert alerts(app) == [("new_bladder_incontinence", 1)]
    assert logs(app)[0].back_pain == 4


def test_an_earlier_days_check_in_cannot_be_corrected_and_nothing_changes(
    app, browser, patient, clock
):
    browser.login(patient)
    browser.submit("/symptoms/check-in", {"back_pain": "3"})
    log = logs(app)[-1]
    clock.shift(timedelta(days=1))
    browser.login(patient)
    page = browser.client.get(f"/symptoms/check-in/{log.id}").get_data(as_text=True)
    assert f"/symptoms/check-in/{log.id}/correct" not in page
    refused = browser.submit(
        f"/symptoms/check-in/{log.id}/correct",
        {"back_pain": "9"},
        form_url="/symptoms/check-in",
    )
    assert refused.status_code == 409
    assert "Only today" in refused.get_data(as_text=True)
    assert logs(app)[0].back_pain == 3
    assert len(audit_actions(app, "refused_correct_symptoms")) == 1
    assert audit_actions(app, "correct_symptoms") == []


def test_nobody_corrects_another_patients_check_in(
    app, browser, patient, make_user, make_patient
):
    browser.login(patient)
    browser.submit("/symptoms/check-in", {"back_pain": "3"})
    log = logs(app)[-1]
    other = make_patient(make_user("coordinator"), surgery_date=date(2026, 11, 20))
    browser.logout()
    browser.login(other)
    assert browser.client.get(f"/symptoms/check-in/{log.id}/correct").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SymptomLog)) == 1
    assert logs(app)[0].back_pain == 3


def test_a_correction_leaves_an_untouched_number_exactly_as_stored(
    app, browser, patient
):
    browser.login(patient)
    browser.submit(
        "/symptoms/check-in", {"back_pain": "3", "temperature": "38.4", "weight": "70"}
    )
    log = logs(app)[-1]
    # The patient switches to °F and lb on a later check-in of the day.
    browser.submit(
        "/symptoms/check-in",
        {"back_pain": "3", "temperature_unit": "F", "weight_unit": "lb"},
    )
    form = browser.client.get(f"/symptoms/check-in/{log.id}/correct").get_data(
        as_text=True
    )
    assert 'value="101.1"' in form and 'value="154.3"' in form
    # Sent back as shown: nothing changed, nothing recorded.
    browser.submit(
        f"/symptoms/check-in/{log.id}/correct",
        {
            "back_pain": "3",
            "temperature": "101.1",
            "temperature_unit": "F",
            "weight": "154.3",
            "weight_unit": "lb",
        },
    )
    again = logs(app)[0]
    assert (again.temperature_c, again.weight_kg) == (38.4, 70.0)
    assert audit_actions(app, "correct_symptoms") == []
