"""Symptom check-ins, ODI questionnaires and the alerts they raise.

Functions change rows and flush; the request or job commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, select

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.db import utcnow
from recovery.domain.scoring import OdiResult, score_odi
from recovery.domain.symptoms import CheckIn, Finding, evaluate, odi_worse
from recovery.extensions import db
from recovery.patients.models import CareTeamMember, Patient
from recovery.reminders.services import notify_care_team, skip_todays_check_in_reminders
from recovery.symptoms.models import Alert, QuestionnaireResponse, SymptomLog
from recovery.timeline.models import TimelineEvent

SYMPTOM_FIELDS = (
    "back_pain",
    "leg_pain",
    "numbness",
    "leg_weakness",
    "coordination_loss",
    "bladder_incontinence",
    "bowel_incontinence",
    "urinary_retention",
    "saddle_numbness",
    "temperature_c",
    "wound",
    "fatigue",
    "weight_kg",
    "notes",
)
# The rules look back 30 days for weight and 7 days before three check-ins for pain.
HISTORY_DAYS = 40


# The columns the rules read, in CheckIn's order: history rows are read as plain
# values, not as SymptomLog instances (a patient may have a hundred of them).
_CHECK_IN_COLUMNS = tuple(getattr(SymptomLog, f.name) for f in fields(CheckIn))


def _history(patient_id: int, before: datetime) -> list[CheckIn]:
    rows = db.session.execute(
        select(*_CHECK_IN_COLUMNS)
        .where(
            SymptomLog.patient_id == patient_id,
            SymptomLog.recorded_at >= before - timedelta(days=HISTORY_DAYS),
            SymptomLog.recorded_at <= before,
        )
        .order_by(SymptomLog.recorded_at, SymptomLog.id)
    )
    return [CheckIn(*row) for row in rows]


def raise_alerts(
    patient: Patient, findings: list[Finding], symptom_log: SymptomLog | None = None
) -> list[Alert]:
    """Open an alert per finding; a warning already open is not opened again."""
    alerts = []
    for finding in findings:
        if finding.severity == "warning" and db.session.scalar(
            select(
                exists().where(
                    Alert.patient_id == patient.id,
                    Alert.rule == finding.rule,
                    Alert.status == "open",
                )
            )
        ):
            continue
        alert = Alert(
            patient_id=patient.id,
            symptom_log_id=symptom_log.id if symptom_log else None,
            severity=finding.severity,
            rule=finding.rule,
            message=finding.message,
            status="open",
        )
        db.session.add(alert)
        alerts.append(alert)
    db.session.flush()
    now = utcnow()
    for alert in alerts:
        # Reaches the care team within one dispatch cycle.
        notify_care_team(alert, now)
    return alerts


def record_check_in(
    patient: Patient, values: dict[str, Any], actor: User, now: datetime
) -> tuple[SymptomLog, list[Alert]]:
    """Store a check-in, run the red-flag rules, open alerts. Flushes."""
    history = _history(patient.id, now)
    log = SymptomLog(
        patient_id=patient.id,
        recorded_at=now,
        recorded_by_id=actor.id,
        **{field: values.get(field) for field in SYMPTOM_FIELDS if field != "notes"},
        notes=values.get("notes") or "",
    )
    db.session.add(log)
    db.session.flush()
    # Today's check-in is done whether the patient or their caregiver sent it.
    if actor.id == patient.user_id or actor.role == "caregiver":
        skip_todays_check_in_reminders(patient, now)
    alerts = raise_alerts(patient, evaluate(log.as_check_in(), history), log)
    record(
        "record_symptoms",
        patient_id=patient.id,
        target=f"symptom_log:{log.id}",
        details={"alerts": [a.rule for a in alerts]},
    )
    return log, alerts


def symptom_logs(
    patient: Patient, since: datetime | None = None, limit: int = 500
) -> list[SymptomLog]:
    """The patient's check-ins, newest first."""
    query = select(SymptomLog).where(SymptomLog.patient_id == patient.id)
    if since is not None:
        query = query.where(SymptomLog.recorded_at >= since)
    return list(
        db.session.scalars(
            query.order_by(SymptomLog.recorded_at.desc(), SymptomLog.id.desc()).limit(
                limit
            )
        )
    )


def local_day_bounds(timezone: str, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a calendar day in `timezone` starts and ends."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return start, end


def checked_in_on(patient: Patient, day: date) -> bool:
    """Whether the patient sent a check-in on this day of their own calendar."""
    start, end = local_day_bounds(patient.user.timezone, day)
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    SymptomLog.patient_id == patient.id,
                    SymptomLog.recorded_at >= start,
                    SymptomLog.recorded_at < end,
                )
            )
        )
    )


def due_questionnaire(patient: Patient, today: date) -> TimelineEvent | None:
    """The ODI event due today, if any."""
    for event in patient.events:
        if event.kind == "questionnaire" and event.status_on(today) == "due":
            return event
    return None


@dataclass(frozen=True)
class OdiOutcome:
    """What an ODI submission produced."""

    response: QuestionnaireResponse
    result: OdiResult
    alerts: list[Alert]


def submit_odi(
    patient: Patient, answers: list[int | None], actor: User, now: datetime, today: date
) -> OdiOutcome:
    """Score and store an ODI, mark the due ODI event done, warn if 10 points worse."""
    result = score_odi(answers)  # ValueError for malformed answers
    previous = db.session.scalar(
        select(QuestionnaireResponse.score_percent)
        .where(
            QuestionnaireResponse.patient_id == patient.id,
            QuestionnaireResponse.score_percent.is_not(None),
        )
        .order_by(QuestionnaireResponse.recorded_at.desc())
        .limit(1)
    )
    event = due_questionnaire(patient, today)
    response = QuestionnaireResponse(
        patient_id=patient.id,
        event_id=event.id if event else None,
        questionnaire="odi",
        answers=list(answers),
        score_percent=result.score_percent,
        band=result.band,
        recorded_at=now,
    )
    db.session.add(response)
    if event is not None:
        event.status = "done"
        event.completed_at = now
        event.completed_by_id = actor.id
    db.session.flush()
    alerts: list[Alert] = []
    if result.score_percent is not None:
        worse = odi_worse(result.score_percent, previous)
        if worse:
            alerts = raise_alerts(patient, [worse])
    record(
        "submit_odi",
        patient_id=patient.id,
        target=f"questionnaire:{response.id}",
        details={"score": result.score_percent, "event": event.id if event else None},
    )
    return OdiOutcome(response, result, alerts)


def odi_responses(patient: Patient) -> list[QuestionnaireResponse]:
    """The patient's ODI responses, oldest first."""
    return list(
        db.session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.recorded_at)
        )
    )


def visible_alerts(user: User) -> Select[tuple[Alert]]:
    """Alerts of the patients this member of staff follows (admins: all)."""
    query = select(Alert)
    if user.role != "admin":
        query = query.where(
            exists().where(
                CareTeamMember.patient_id == Alert.patient_id,
                CareTeamMember.user_id == user.id,
            )
        )
    return query


def alert_queue(user: User, status: str = "open", limit: int = 200) -> list[Alert]:
    """Open (or acknowledged) alerts for this user: urgent first, oldest first."""
    from sqlalchemy.orm import joinedload

    severity_order = (Alert.severity != "urgent").label("order")
    return list(
        db.session.scalars(
            visible_alerts(user)
            .where(Alert.status == status)
            .options(joinedload(Alert.patient).joinedload(Patient.user))
            .order_by(severity_order, Alert.created_at, Alert.id)
            .limit(limit)
        )
    )


class AlertError(ValueError):
    """A refused alert action."""


def acknowledge(alert: Alert, user: User, note: str, now: datetime) -> None:
    """Mark an alert seen and handled, with the acting person's note."""
    if alert.status != "open":
        raise AlertError("This alert was already acknowledged.")
    alert.status = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by_id = user.id
    alert.acknowledge_note = note
    record(
        "acknowledge_alert",
        patient_id=alert.patient_id,
        target=f"alert:{alert.id}",
        details={"before": {"status": "open"}, "after": {"status": "acknowledged"}},
    )
    db.session.flush()


def patient_alerts(patient: Patient) -> list[Alert]:
    """Every alert of one patient, newest first."""
    return list(
        db.session.scalars(
            select(Alert)
            .where(Alert.patient_id == patient.id)
            .order_by(Alert.created_at.desc(), Alert.id.desc())
        )
    )
