"""Pain and ODI over time, in post-operative days, for the charts and their tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from recovery.auth.models import User
from recovery.domain.plan import post_op_day
from recovery.domain.timeline import radiation_dates
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.symptoms.services import odi_responses, symptom_logs
from recovery.timeline.services import plan_for
from recovery.zones import local_today


def trend_data(patient: Patient, days: int = 365) -> dict[str, Any]:
    """Chart series (x = day after surgery) and the rows of the table fallback."""
    zone = patient.user.timezone
    logs = list(reversed(symptom_logs(patient, limit=days * 2)))
    # A check-in someone else sent for the patient (a caregiver, staff) says so.
    others = {log.recorded_by_id for log in logs} - {patient.user_id, None}
    recorders = (
        {
            row.id: f"{row.name} ({row.role})"
            for row in db.session.execute(
                select(User.id, User.name, User.role).where(User.id.in_(others))
            )
        }
        if others
        else {}
    )
    rows = []
    for log in logs:
        day = local_today(zone, log.recorded_at)
        rows.append(
            {
                "date": day.isoformat(),
                "day": post_op_day(patient.surgery_date, day),
                "back": log.back_pain,
                "leg": log.leg_pain,
                "log": log,
                "by": recorders.get(log.recorded_by_id or 0),
            }
        )
    odi = [
        {
            "date": local_today(zone, r.recorded_at).isoformat(),
            "day": post_op_day(patient.surgery_date, local_today(zone, r.recorded_at)),
            "score": r.score_percent,
            "band": r.band,
        }
        for r in odi_responses(patient)
        if r.score_percent is not None
    ]
    sessions = radiation_dates(plan_for(patient))
    radiation = (
        [
            post_op_day(patient.surgery_date, sessions[0]),
            post_op_day(patient.surgery_date, sessions[-1]),
        ]
        if sessions
        else None
    )
    chart = {
        "back": [{"x": r["day"], "y": r["back"]} for r in rows],
        "leg": [{"x": r["day"], "y": r["leg"]} for r in rows if r["leg"] is not None],
        "odi": [{"x": o["day"], "y": o["score"]} for o in odi],
        "radiation": radiation,
    }
    return {"rows": rows, "odi": odi, "chart": chart}
