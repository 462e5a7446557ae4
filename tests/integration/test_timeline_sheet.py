"""The timeline as the clinical sheet says, through the real pages and API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import recompute_timeline

SURGERY = date(2026, 8, 3)  # a Monday


def build(app, patient_id: int) -> None:
    with app.test_request_context():
        recompute_timeline(db.session.get(Patient, patient_id))
        db.session.commit()


def log_on(app, patient_id: int, day: int, back_pain: int = 3) -> None:
    from recovery.symptoms.models import SymptomLog

    with app.app_context():
        db.session.add(
            SymptomLog(
                patient_id=patient_id,
                recorded_at=datetime.combine(
                    SURGERY + timedelta(days=day), datetime.min.time(), UTC
                )
                + timedelta(hours=15),
                back_pain=back_pain,
            )
        )
        db.session.commit()


def test_cohort_adherence_counts_the_days_asked_before_an_mri(
    app, browser, make_user, make_patient
):
    coordinator = make_user("coordinator")
    with time_machine.travel("2026-12-20 15:00 +0000", tick=False):
        account = make_patient(
            coordinator, surgery_date=SURGERY, procedure="open_resection"
        )
        build(app, account.patient_id)
        with app.app_context():
            mri = db.session.scalar(
                select(TimelineEvent.start_date).where(
                    TimelineEvent.patient_id == account.patient_id,
                    TimelineEvent.key == "imaging_benign:0",
                )
            )
        assert (mri - SURGERY).days == 77  # day 91, window from day 77
        # Week 11 (days 70-76): asked on day 70 (weekly) and 75, 76 (before the MRI).
        for day in (70, 72, 75):
            log_on(app, account.patient_id, day)
        browser.login(coordinator)
        html = browser.client.get("/cohorts/summary").get_data(as_text=True)
    assert "<tr><td>11</td><td>1</td><td>3</td><td>2</td><td>66.7 %</td></tr>" in html
    # Week 7 holds day 42, the last daily one: one check-in asked.
    assert "<tr><td>7</td><td>1</td><td>1</td><td>0</td><td>0.0 %</td></tr>" in html
    # Week 14 (days 91-97): nothing asked any more.
    assert "<tr><td>14</td><td>1</td><td>0</td><td>0</td><td>—</td></tr>" in html
