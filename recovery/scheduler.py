"""APScheduler: the periodic jobs, declared as data; each job calls services.

Never started by create_app: `make run` starts one in-process scheduler (guarded
against the reloader), production runs `flask --app wsgi scheduler run` on its own.
Reminder rows, not scheduler jobs, carry the work, so any number of schedulers can
run: dispatch claims each reminder once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select

from recovery.extensions import db
from recovery.orm import utcnow

log = logging.getLogger(__name__)


def dispatch_reminders() -> None:
    """Send every due reminder."""
    from recovery.notify.channels import default_channels
    from recovery.reminders.dispatch import dispatch_due

    result = dispatch_due(default_channels(), utcnow())
    if result.sent or result.failed or result.retried or result.expired:
        # Counts only: no patient data in logs.
        log.info(
            "reminders: %s sent, %s retried, %s failed, %s expired",
            result.sent,
            result.retried,
            result.failed,
            result.expired,
        )


def mark_missed_events() -> None:
    """Store 'missed' on events whose window has passed."""
    from recovery.timeline.services import mark_missed_events as mark

    mark(utcnow())
    db.session.commit()


@dataclass
class PlanTotals:
    """What planning did: patients gone through, reminder rows added or changed."""

    patients: int = 0
    rows: int = 0


def plan_ahead(progress: Callable[[int, int], None] | None = None) -> PlanTotals:
    """Extend every patient's reminders to the horizon (one commit per batch).

    `progress(patients done, reminder rows changed)` is told after each batch."""
    from recovery.reminders.planning import replan_reminders
    from recovery.timeline.services import patients_in_batches

    now = utcnow()
    totals = PlanTotals()
    for batch in patients_in_batches():
        totals.rows += replan_reminders(batch, now)
        totals.patients += len(batch)
        db.session.commit()
        db.session.expunge_all()
        if progress:
            progress(totals.patients, totals.rows)
    return totals


def staff_digests() -> None:
    """At 07:00 in each person's timezone: the day's overview for staff who want it."""
    from flask_babel import gettext

    from recovery.auth.models import User
    from recovery.i18n import language_of
    from recovery.reminders.planning import queue_digest
    from recovery.reminders.services import reminders_needing_attention
    from recovery.symptoms.services import alert_queue
    from recovery.zones import local_hour

    now = utcnow()
    staff = db.session.scalars(
        select(User).where(User.daily_digest.is_(True), User.active.is_(True))
    ).all()
    for user in staff:
        if local_hour(user.timezone, now) != 7:
            continue
        alerts = alert_queue(user)
        urgent = sum(a.severity == "urgent" for a in alerts)
        problems = reminders_needing_attention(user, now - timedelta(days=1))
        with language_of(user.language):  # the digest reads in its reader's
            text = gettext(
                "Open alerts: %(alerts)s (%(urgent)s urgent). "
                "Reminders failed or expired: %(problems)s.",
                alerts=len(alerts),
                urgent=urgent,
                problems=len(problems),
            )
        queue_digest(user, text, now)
    db.session.commit()


def missed_check_ins() -> None:
    """A warning for each patient whose daily check-ins have lapsed."""
    from recovery.symptoms.services import raise_missed_check_in_alerts

    raised = raise_missed_check_in_alerts(utcnow())
    db.session.commit()
    if raised:
        log.info("missed check-ins: %s warnings raised", raised)  # a count only


# The job table: (id, function, trigger arguments).
JOBS: list[tuple[str, Callable[[], None], dict[str, object]]] = [
    ("dispatch_reminders", dispatch_reminders, {"trigger": "interval", "minutes": 1}),
    ("mark_missed_events", mark_missed_events, {"trigger": "cron", "minute": 5}),
    ("missed_check_ins", missed_check_ins, {"trigger": "cron", "minute": 10}),
    ("plan_ahead", plan_ahead, {"trigger": "cron", "hour": 2, "minute": 15}),
    ("staff_digests", staff_digests, {"trigger": "cron", "minute": 2}),
]


def _in_app_context(app: Flask, job: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job()
            finally:
                db.session.remove()

    run.__name__ = job.__name__
    return run


def create_scheduler(app: Flask, blocking: bool = False) -> BaseScheduler:
    """A scheduler with the job table; not started."""
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(
        timezone=UTC,
        # A job that missed runs while busy or down runs once, never piles up.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 120},
    )
    for job_id, func, trigger in JOBS:
        scheduler.add_job(_in_app_context(app, func), id=job_id, **trigger)  # type: ignore[arg-type]
    return scheduler


def start_in_process(app: Flask) -> BaseScheduler | None:
    """Start a background scheduler in this process, once, if configured."""
    if not app.config["SCHEDULER_ENABLED"]:
        return None
    # Under the reloader the parent process only watches files: start in the child.
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    if app.extensions.get("scheduler") is not None:
        return app.extensions["scheduler"]
    scheduler = create_scheduler(app)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    return scheduler
