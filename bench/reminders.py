"""Reminder speed: dispatch throughput against APScheduler's own way, and the planner.

Run: .venv/bin/python bench/reminders.py [--sizes 50000 100000] [--postgres URL]

For each N and database: N due reminders sent by `dispatch_due` (one dispatcher, as the
scheduler runs it) through a null channel, beside the same N sent the way APScheduler
offers on its own (one date job per reminder in a SQLAlchemyJobStore on the same
database, run by a BackgroundScheduler). Floor: at least 5x APScheduler's figure at each
N (issue 21), and flat as N grows. The null channel stands for an outside service, so
each message is journaled as sent before the next (a dispatcher killed mid-batch repeats
at most one); a second line gives the in-app channel, whose delivery is the row itself.
Also prints the planner's rate.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._result import report
from recovery.domain.plan import BracePlan, Plan, RadiationPlan
from recovery.domain.protocol import load_protocols
from recovery.domain.reminders import Preferences, ReminderEvent, plan_reminders
from recovery.domain.timeline import build

FLOOR = 5  # times APScheduler's own job store (issue 21)
DONE = threading.Event()
COUNT = {"n": 0, "target": 0}
LOCK = threading.Lock()


def apscheduler_job() -> None:
    """What each APScheduler job does: count itself (a null send)."""
    with LOCK:
        COUNT["n"] += 1
        if COUNT["n"] >= COUNT["target"]:
            DONE.set()


def bench_planner() -> None:
    """Reminders planned per second for whole timelines."""
    protocols = load_protocols()
    rng = random.Random(4)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    cases = []
    for _ in range(300):
        surgery = date(2026, 11, 26) - timedelta(days=rng.randrange(0, 60))
        plan = Plan(
            surgery_date=surgery,
            procedure="open_resection",
            tumor_location="epidural",
            malignancy="malignant",
            radiation=RadiationPlan(
                planned=True, start_day=rng.randrange(7, 15), weeks=4
            ),
            brace=BracePlan(required=True),
            timezone="America/New_York",
        )
        events = [
            ReminderEvent(e.key, e.kind, e.title, e.start_date, "upcoming", e.reminders)
            for e in build(plan, protocols[plan.procedure])
        ]
        cases.append((events, surgery))
    prefs = Preferences("America/New_York", ("in_app", "email"))
    cadence = protocols["open_resection"].check_in
    planned = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 2:
        for events, surgery in cases:
            planned += len(
                plan_reminders(
                    events, surgery, prefs, now, timedelta(days=14), cadence=cadence
                )
            )
    rate = planned / (time.perf_counter() - start)
    print(
        f"planner: {rate:,.0f} reminders planned per second "
        "(14-day horizon, 2 channels)"
    )
    report("reminders", "planner", rate, "reminders/s", "(none)", None)


def dispatch_rate(url: str, n: int, in_app: bool = False) -> float:
    """Reminders per second through dispatch_due with a null channel.

    The null channel stands for an outside service (email) that costs nothing:
    each message is journaled as it goes. With `in_app`, the real in-app channel,
    whose delivery is the row itself (no journal line).
    """
    from flask_migrate import upgrade
    from sqlalchemy import text

    from recovery import create_app
    from recovery.auth.models import User
    from recovery.extensions import db
    from recovery.notify.channels import InAppChannel, NullChannel
    from recovery.reminders.dispatch import dispatch_due
    from recovery.reminders.models import Reminder

    os.environ["TEST_DATABASE_URL"] = url
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    with app.app_context():
        reset(db, text)
        upgrade()
        user = User(name="Bench", email="bench@example.org", role="clinician")
        db.session.add(user)
        db.session.commit()
        rows = [
            {
                "user_id": user.id,
                "rule": "digest",
                "channel": "in_app",
                "send_at": now - timedelta(seconds=k % 600),
                "status": "pending",
                "attempts": 0,
                "dedupe_key": f"bench:{k}",
                "body": "",
                "last_error": "",
                "created_at": now,
            }
            for k in range(n)
        ]
        for start in range(0, n, 10_000):
            db.session.execute(
                Reminder.__table__.insert(), rows[start : start + 10_000]
            )
        db.session.commit()
        analyze(db.engine, "reminders")
        null = InAppChannel() if in_app else NullChannel()
        began = time.perf_counter()
        result = dispatch_due({"in_app": null, "email": null}, now, batch=500)
        elapsed = time.perf_counter() - began
        assert result.sent == n, result
        db.session.remove()
        db.engine.dispose()
    return n / elapsed


def reset(db, text) -> None:
    """An empty schema: drop everything the last run left."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))


def analyze(engine, table: str) -> None:
    """Statistics for a table just filled, on PostgreSQL: in use, autovacuum has
    analyzed a queue long before it holds 50,000 due rows; without statistics
    the planner takes a freshly filled table for a few rows, and sorts all of
    them to take each batch. Done for both contenders' tables."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"ANALYZE {table}"))


def apscheduler_rate(url: str, n: int) -> float:
    """The same N sent as N date jobs of APScheduler's SQLAlchemyJobStore."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    store = SQLAlchemyJobStore(engine=engine)
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(10)},
        job_defaults={"misfire_grace_time": None, "coalesce": False},
        timezone=UTC,
    )
    scheduler.start(paused=True)
    due = datetime.now(UTC) - timedelta(seconds=1)
    for k in range(n):
        scheduler.add_job(
            f"{__name__}:apscheduler_job", "date", run_date=due, id=f"r{k}"
        )
    analyze(engine, "apscheduler_jobs")
    COUNT["n"], COUNT["target"] = 0, n
    DONE.clear()
    began = time.perf_counter()
    scheduler.resume()
    DONE.wait(timeout=3600)
    elapsed = time.perf_counter() - began
    scheduler.shutdown(wait=True)
    engine.dispose()
    return COUNT["n"] / elapsed


def main() -> None:
    """Planner, then dispatch against APScheduler for each size and database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="PostgreSQL URL (its schema is dropped); '' to skip; default: a "
        "database of its own, recovery_bench, on 127.0.0.1",
    )
    args = parser.parse_args()
    if args.postgres is None:
        from bench.load import create_database

        args.postgres = create_database("recovery_bench")
    bench_planner()
    databases = [("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='rb-')}/bench.db")]
    if args.postgres:
        databases.append(("postgresql", args.postgres))
    print(
        f"{'db':<11}{'N':>9}{'dispatch_due/s':>16}{'APScheduler/s':>15}"
        f"{'ratio':>8}  target"
    )
    for name, url in databases:
        for n in args.sizes:
            ours = dispatch_rate(url, n)
            inbox = dispatch_rate(url, n, in_app=True)
            theirs = apscheduler_rate(url, n)
            ratio = ours / theirs
            verdict = "met" if ratio >= FLOOR else "NOT met"
            print(
                f"{name:<11}{n:>9,}{ours:>16,.0f}{theirs:>15,.0f}{ratio:>7.1f}x"
                f"  >={FLOOR}x {verdict}"
            )
            report(
                "reminders",
                f"dispatch {n:,} due, {name}",
                ours,
                "/s",
                f">= {FLOOR}x APScheduler",
                ratio >= FLOOR,
                theirs,
                "APScheduler SQLAlchemyJobStore",
            )
            print(
                f"{'':<11}{'':>9}{inbox:>16,.0f}{'':>15}{inbox / theirs:>7.1f}x"
                "  (in-app channel: the row is the delivery)"
            )
            report(
                "reminders",
                f"dispatch {n:,} due in-app, {name}",
                inbox,
                "/s",
                "(none)",
                None,
                theirs,
                "APScheduler SQLAlchemyJobStore",
            )


if __name__ == "__main__":
    main()
