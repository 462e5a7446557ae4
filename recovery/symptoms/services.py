"""Symptom check-ins, ODI questionnaires and the alerts they raise.

Functions change rows and flush; the request or job commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.domain.checkins import asked_dates
from recovery.domain.questionnaire import Questionnaire
from recovery.domain.scoring import OdiResult, score_odi
from recovery.domain.symptoms import (
    CheckIn,
    Finding,
    RedFlagRules,
    check_ins_lapsed,
    evaluate,
    finding_text,
    load_red_flags,
    odi_worse,
)
from recovery.extensions import db
from recovery.i18n import current_language
from recovery.patients.models import CareTeamMember, Patient
from recovery.reminders.planning import notify_care_team, skip_todays_check_in_reminders
from recovery.symptoms.models import Alert, QuestionnaireResponse, SymptomLog
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import PAIN_RISING_RULES, mark_done, open_pain_review
from recovery.zones import local_day_bounds, local_today

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


def init_app(app: Flask) -> None:
    """Load the red-flag rules once per process; a bad file stops start-up."""
    from pathlib import Path

    app.extensions["red_flags"] = load_red_flags(
        Path(app.config["RED_FLAGS_FILE"]), tuple(app.config["LANGUAGES"])
    )
    app.jinja_env.filters["finding_text"] = finding_text_filter


def red_flag_rules() -> RedFlagRules:
    """The app's red-flag rules (thresholds and the urgent signs)."""
    return current_app.extensions["red_flags"]


def urgent_signs_for_reader() -> tuple[str, ...]:
    """The urgent signs in the language of the page being made."""
    return red_flag_rules().signs_in(current_language())


def finding_text_filter(alert: Alert, language: str | None = None) -> str:
    """`{{ alert | finding_text }}`: what an alert says, in the page's language."""
    return finding_text(
        red_flag_rules(), alert.rule, alert.message, language or current_language()
    )


def history_days(rules: RedFlagRules) -> int:
    """How far back the rules read: the longer of the weight window and the pain
    baseline, and 10 days more for the run of rising check-ins before it."""
    return max(rules.weight_window_days, rules.pain_baseline_days) + 10


# The columns the rules read, in CheckIn's order: history rows are read as plain
# values, not as SymptomLog instances (a patient may have a hundred of them).
NO_CHECK_IN_RULE = "no_check_in"
_CHECK_IN_COLUMNS = tuple(getattr(SymptomLog, f.name) for f in fields(CheckIn))


def _history(patient_id: int, before: datetime, days: int) -> list[CheckIn]:
    rows = db.session.execute(
        select(*_CHECK_IN_COLUMNS)
        .where(
            SymptomLog.patient_id == patient_id,
            SymptomLog.recorded_at >= before - timedelta(days=days),
            SymptomLog.recorded_at <= before,
        )
        .order_by(SymptomLog.recorded_at, SymptomLog.id)
    )
    return [CheckIn(*row) for row in rows]


def raise_alerts(
    patient: Patient,
    findings: list[Finding],
    now: datetime,
    symptom_log: SymptomLog | None = None,
) -> list[Alert]:
    """Open an alert per finding, or add to the one still open for its rule.

    An urgent sign reported again while its alert is open adds a report to that
    alert and tells the care team again (nobody has acted on it yet); once staff
    acknowledged it, the next report opens a new alert. A warning already open is
    not raised again: it is on the queue until someone looks.
    """
    raised: list[Alert] = []
    to_notify: list[Alert] = []
    for finding in findings:
        open_alert = db.session.scalars(
            select(Alert)
            .where(
                Alert.patient_id == patient.id,
                Alert.rule == finding.rule,
                Alert.status == "open",
            )
            .order_by(Alert.id.desc())
            .limit(1)
        ).first()
        if open_alert is not None:
            if finding.severity != "urgent":
                continue
            open_alert.reports += 1
            open_alert.last_reported_at = now
            open_alert.last_symptom_log_id = symptom_log.id if symptom_log else None
            raised.append(open_alert)
            to_notify.append(open_alert)
            continue
        alert = Alert(
            patient_id=patient.id,
            symptom_log_id=symptom_log.id if symptom_log else None,
            last_symptom_log_id=symptom_log.id if symptom_log else None,
            severity=finding.severity,
            rule=finding.rule,
            message=finding.message,
            status="open",
            created_at=now,
            last_reported_at=now,
        )
        db.session.add(alert)
        raised.append(alert)
        to_notify.append(alert)
    db.session.flush()
    for alert in to_notify:
        # Reaches the care team within one dispatch cycle.
        notify_care_team(alert, now)
    if any(f.rule in PAIN_RISING_RULES for f in findings):
        open_pain_review(patient, now)  # "again whenever pain rises"
    return raised


def close_alerts(patient: Patient, rule: str, note: str, now: datetime) -> int:
    """Close the patient's open alerts of one rule that the app itself resolved
    (a check-in ends a lapse of check-ins); audited."""
    alerts = db.session.scalars(
        select(Alert).where(
            Alert.patient_id == patient.id, Alert.rule == rule, Alert.status == "open"
        )
    ).all()
    for alert in alerts:
        alert.status = "resolved"
        alert.acknowledged_at = now
        alert.acknowledge_note = note
        record(
            "resolve_alert",
            patient_id=patient.id,
            target=f"alert:{alert.id}",
            details={"before": {"status": "open"}, "after": {"status": "resolved"}},
        )
    db.session.flush()
    return len(alerts)


def record_check_in(
    patient: Patient, values: dict[str, Any], actor: User, now: datetime
) -> tuple[SymptomLog, list[Alert]]:
    """Store a check-in, run the red-flag rules, open alerts. Flushes."""
    rules = red_flag_rules()
    history = _history(patient.id, now, history_days(rules))
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
    close_alerts(patient, NO_CHECK_IN_RULE, "Closed by the patient's check-in.", now)
    alerts = raise_alerts(
        patient, evaluate(log.as_check_in(), history, rules), now, log
    )
    record(
        "record_symptoms",
        patient_id=patient.id,
        target=f"symptom_log:{log.id}",
        details={"alerts": [a.rule for a in alerts]},
    )
    return log, alerts


def correctable(log: SymptomLog, patient: Patient, now: datetime) -> bool:
    """Only a check-in of the patient's today can be corrected: older ones are
    what the care team has already read."""
    start, end = local_day_bounds(
        patient.user.timezone, local_today(patient.user.timezone, now)
    )
    return log.patient_id == patient.id and start <= log.recorded_at < end


def correct_check_in(
    log: SymptomLog, values: dict[str, Any], now: datetime
) -> list[Alert]:
    """Change today's check-in, audited with before and after, and run the rules
    again on it. Flushes.

    A sign the correction adds raises its alert; a sign it removes leaves its
    alert open for the care team to close (they may already be acting on it),
    and a rule this check-in already raised does not tell the team a second time.
    """
    patient = log.patient
    new = {field: values.get(field) for field in SYMPTOM_FIELDS}
    new["notes"] = new["notes"] or ""
    changed = {f: (getattr(log, f), v) for f, v in new.items() if getattr(log, f) != v}
    if not changed:
        return []  # sent again as it was: nothing to record or to check again
    for field, (_before, after) in changed.items():
        setattr(log, field, after)
    db.session.flush()
    rules = red_flag_rules()
    already = {alert.rule for alert in alerts_of_check_in(log)}
    # The history the rules compare with: what came before this check-in.
    history = [
        c
        for c in _history(patient.id, log.recorded_at, history_days(rules))
        if c.recorded_at < log.recorded_at
    ]
    findings = [
        f for f in evaluate(log.as_check_in(), history, rules) if f.rule not in already
    ]
    alerts = raise_alerts(patient, findings, now, log)
    record(
        "correct_symptoms",
        patient_id=patient.id,
        target=f"symptom_log:{log.id}",
        details={
            "before": {field: before for field, (before, _after) in changed.items()},
            "after": {field: after for field, (_before, after) in changed.items()},
            "alerts": [a.rule for a in alerts],
        },
    )
    return alerts


def remember_units(patient: Patient, temperature_unit: str, weight_unit: str) -> None:
    """The units the patient's numbers were typed in become their default."""
    user = patient.user
    if (user.temperature_unit, user.weight_unit) != (temperature_unit, weight_unit):
        user.temperature_unit, user.weight_unit = temperature_unit, weight_unit
        record(
            "update_units",
            patient_id=patient.id,
            target=f"user:{user.id}",
            details={"after": {"temperature": temperature_unit, "weight": weight_unit}},
        )


def alerts_of_check_in(log: SymptomLog) -> list[Alert]:
    """The alerts a check-in opened or added a report to."""
    return list(
        db.session.scalars(
            select(Alert)
            .where(
                or_(
                    Alert.symptom_log_id == log.id,
                    Alert.last_symptom_log_id == log.id,
                )
            )
            .order_by(Alert.id)
        )
    )


def _in_urgent_banner(patient_id: Any, since: Any) -> ColumnElement[bool]:
    # Values, or bound parameters for a statement built once (home_state).
    return and_(
        Alert.patient_id == patient_id,
        Alert.severity == "urgent",
        or_(
            Alert.status == "open",
            (Alert.status == "acknowledged") & (Alert.acknowledged_at >= since),
        ),
    )


def urgent_banner(patient: Patient, now: datetime) -> list[Alert]:
    """The patient's urgent alerts to keep in sight on their home page: every one
    still open, and those acknowledged in the last day (to say who did, when)."""
    return list(
        db.session.scalars(
            select(Alert)
            .where(_in_urgent_banner(patient.id, banner_since(now)))
            .order_by(Alert.status != "open", Alert.id.desc())
            .limit(10)
        )
    )


def banner_since(now: datetime) -> datetime:
    """Acknowledged urgent alerts stay in the banner for a day."""
    return now - timedelta(days=1)


def has_urgent_banner(patient_id: Any, since: Any) -> Exists:
    """EXISTS: an alert for urgent_banner (for a query that asks more at once);
    `since` is banner_since(now)."""
    return exists().where(_in_urgent_banner(patient_id, since))


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


def checked_in_on(patient: Patient, day: date) -> bool:
    """Whether the patient sent a check-in on this day of their own calendar."""
    start, end = local_day_bounds(patient.user.timezone, day)
    return bool(
        db.session.scalar(select(has_checked_in_between(patient.id, start, end)))
    )


def has_checked_in_between(patient_id: Any, start: Any, end: Any) -> Exists:
    """EXISTS: a check-in from `start` to before `end` (a day of the patient's
    calendar: local_day_bounds); values or bound parameters."""
    return exists().where(
        SymptomLog.patient_id == patient_id,
        SymptomLog.recorded_at >= start,
        SymptomLog.recorded_at < end,
    )


def due_questionnaire(patient: Patient, today: date) -> TimelineEvent | None:
    """The ODI event due today, if any."""
    for event in patient.events:
        if event.kind == "questionnaire" and event.status_on(today) == "due":
            return event
    return None


class QuestionnaireError(ValueError):
    """A questionnaire that cannot be taken as answered; the message is for people."""


def odi_texts() -> Questionnaire:
    """The ODI's sections and choices, loaded at start-up (setting ODI_FILE)."""
    return current_app.extensions["odi"]


@dataclass(frozen=True)
class OdiOutcome:
    """What an ODI submission produced."""

    response: QuestionnaireResponse
    result: OdiResult
    alerts: list[Alert]


def submit_odi(
    patient: Patient, answers: list[int | None], actor: User, now: datetime, today: date
) -> OdiOutcome:
    """Score and store an ODI, mark the due ODI event done, warn if 10 points worse.

    Fewer sections answered than the questionnaire needs for a score are refused:
    a questionnaire is done only when it can be scored.
    """
    least = odi_texts().min_answered
    result = score_odi(answers, least)  # ValueError for malformed answers
    if result.answered < least:
        raise QuestionnaireError(
            _(
                "Answer at least %(least)s of the %(total)s sections "
                "(you answered %(answered)s).",
                least=least,
                total=len(answers),
                answered=result.answered,
            )
        )
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
        mark_done(event, actor, now)
    db.session.flush()
    alerts: list[Alert] = []
    if result.score_percent is not None:
        worse = odi_worse(result.score_percent, previous, red_flag_rules())
        if worse:
            alerts = raise_alerts(patient, [worse], now)
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


class NoteRequired(AlertError):
    """An urgent alert acknowledged without saying what was done."""


def acknowledge(alert: Alert, user: User, note: str, now: datetime) -> None:
    """Mark an alert seen and handled, with the acting person's note; an urgent
    alert needs a note of what was done (the next person reads it)."""
    if alert.status != "open":
        raise AlertError(_("This alert was already acknowledged."))
    note = (note or "").strip()
    if alert.severity == "urgent" and not note:
        raise NoteRequired(
            "Write what was done (for example: called the patient, sent to A&E) "
            "before acknowledging an urgent alert."
        )
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


def raise_missed_check_in_alerts(now: datetime) -> int:
    """The scheduled scan: a warning for each patient with no check-in on the last
    N days (red_flags.toml) while daily check-ins were asked, once per lapse (not
    again until a check-in ends it: record_check_in closes the alert). Flushes."""
    days = red_flag_rules().no_check_in_days
    cadence = {
        procedure: protocol.check_in
        for procedure, protocol in current_app.extensions["protocols"].items()
    }
    # Only patients whose daily check-ins can span the window: a cheap first cut,
    # a day wider than any timezone, before each patient's own calendar decides.
    latest_surgery = (now - timedelta(days=days - 1)).date()
    last_check_in = (
        select(
            SymptomLog.patient_id,
            func.max(SymptomLog.recorded_at, type_=SymptomLog.recorded_at.type).label(
                "last"
            ),
        )
        .group_by(SymptomLog.patient_id)
        .subquery()
    )
    last_lapse = (
        select(
            Alert.patient_id,
            func.max(Alert.created_at, type_=Alert.created_at.type).label("raised"),
        )
        .where(Alert.rule == NO_CHECK_IN_RULE)
        .group_by(Alert.patient_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Patient, last_check_in.c.last, last_lapse.c.raised)
        .outerjoin(last_check_in, last_check_in.c.patient_id == Patient.id)
        .outerjoin(last_lapse, last_lapse.c.patient_id == Patient.id)
        .where(Patient.discharged_at.is_(None), Patient.surgery_date <= latest_surgery)
        .options(selectinload(Patient.user))
    ).all()
    raised = 0
    for patient, last, lapse_raised in rows:
        if lapse_raised is not None and (last is None or lapse_raised > last):
            continue  # this lapse already has its alert
        zone = patient.user.timezone
        finding = check_ins_lapsed(
            # The daily and weekly cadence alone: three asked days in a row
            # happen only while the check-in is daily.
            set(asked_dates(patient.surgery_date, cadence[patient.procedure])),
            local_today(zone, last) if last else None,
            local_today(zone, now),
            days,
        )
        if finding:
            raise_alerts(patient, [finding], now)
            raised += 1
    return raised


def wound_asked(patient: Patient, today: date) -> bool:
    """Whether the check-in asks about the wound: from the day of surgery until
    the wound check is marked done (stitches out: the plan says it has healed)."""
    if today < patient.surgery_date:
        return False
    checks = [e for e in patient.events if e.kind == "wound_check"]
    return not checks or any(e.status != "done" for e in checks)


# What "nothing new today" repeats of the last check-in: the scales and the leg
# strength. Signs, temperature, wound, weight and notes are today's own answers.
SAME_AS_LAST = ("back_pain", "leg_pain", "leg_weakness", "fatigue")


def last_check_in(patient: Patient) -> SymptomLog | None:
    """The patient's latest check-in."""
    return db.session.scalars(
        select(SymptomLog)
        .where(SymptomLog.patient_id == patient.id)
        .order_by(SymptomLog.recorded_at.desc(), SymptomLog.id.desc())
        .limit(1)
    ).first()


def nothing_new_values(last: SymptomLog) -> dict[str, Any]:
    """Today's answers when nothing changed since `last`: its pain, strength and
    tiredness, and no sign (the rules still run on them)."""
    values: dict[str, Any] = {field: getattr(last, field) for field in SAME_AS_LAST}
    values["notes"] = "Nothing new today."
    return values
