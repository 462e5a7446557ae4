"""Cohort dashboard speed at clinic scale: 10,000 patients, 1,000,000 symptom logs.

Run: .venv/bin/python bench/cohort.py [--patients N] [--logs-per-patient N]
                                     [--postgres URL | --no-postgres] [--samples N]
                                     [--sqlite FILE] [--reuse]

For SQLite (a file) and PostgreSQL, builds a clinic (timelines from the real
protocols, a check-in history, some open alerts), then times through Flask's test
client: the dashboard's first page unfiltered and with each single filter, as an
admin (all patients) and as a coordinator (their care team's tenth of them), the
summary charts, and the CSV export of all patients. Each figure is also given
against a bare Flask endpoint timed the same way in the same run.
Targets: p95 under 150 ms for the first page with any one filter (issue 5); the
admin's summary charts over all patients under 1 s (issue 21).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._result import report

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 15, tzinfo=UTC)
PASSWORD = "bench-password-1"  # noqa: S105
FILTERS = [
    ("no filter", ""),
    ("phase=radiation", "phase=radiation"),
    ("phase=early_recovery", "phase=early_recovery"),
    ("procedure", "procedure=open_resection"),
    ("tumor_location", "tumor_location=epidural"),
    ("malignancy", "malignancy=malignant"),
    ("clinician_id", "clinician_id={clinician}"),
    ("surgery date range", "surgery_from=2026-09-01&surgery_to=2026-10-31"),
    ("overdue", "overdue=true"),
    ("open_alerts", "open_alerts=true"),
    ("no check-in 3 days", "no_checkin_days=3"),
]
SORTS = ["overdue_count", "-last_symptom_at", "next_event", "phase"]


def build_clinic(app, patients: int, logs_per_patient: int) -> dict[str, int]:
    """Patients with timelines, check-ins and alerts, inserted in bulk."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, text

    from recovery.auth.models import User
    from recovery.auth.services import _hasher
    from recovery.domain.plan import (
        MALIGNANCIES,
        PROCEDURES,
        TUMOR_LOCATIONS,
        BracePlan,
        Plan,
        RadiationPlan,
    )
    from recovery.domain.timeline import PERIOD_KINDS, build
    from recovery.extensions import db
    from recovery.patients.models import CareTeamMember, Patient
    from recovery.symptoms.models import Alert, SymptomLog
    from recovery.timeline.models import TimelineEvent

    rng = random.Random(7)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        hashed = _hasher.hash(PASSWORD)
        staff = [{"name": "Admin", "email": "admin@bench.example.org", "role": "admin"}]
        staff += [
            {"name": f"Coord {i}", "email": f"c{i}@bench.example.org", "role": r}
            for i, r in enumerate(["coordinator"] * 10 + ["clinician"] * 10)
        ]
        for row in staff:
            row.update(
                password_hash=hashed,
                password_set_at=NOW,
                login_token=f"t{row['email']}",
                timezone="America/New_York",
            )
        db.session.execute(insert(User), staff)
        ids = dict(db.session.execute(text("SELECT email, id FROM users")).all())
        coordinators = [ids[f"c{i}@bench.example.org"] for i in range(10)]
        clinicians = [ids[f"c{i}@bench.example.org"] for i in range(10, 20)]
        zones = ["America/New_York"] * 6 + ["America/Chicago"] * 3 + ["Europe/Oslo"]
        db.session.execute(
            insert(User),
            [
                {
                    "name": f"Patient {n}",
                    "email": f"p{n}@bench.example.org",
                    "role": "patient",
                    "timezone": zones[n % len(zones)],
                    "login_token": f"p{n}",
                }
                for n in range(patients)
            ],
        )
        users = dict(
            db.session.execute(
                text("SELECT email, id FROM users WHERE role = 'patient'")
            ).all()
        )
        plans, rows = [], []
        for n in range(patients):
            plan = Plan(
                surgery_date=TODAY - timedelta(days=rng.randrange(-20, 400)),
                procedure=rng.choice(PROCEDURES),
                tumor_location=rng.choice(TUMOR_LOCATIONS),
                malignancy=rng.choice(MALIGNANCIES),
                radiation=RadiationPlan(
                    planned=rng.random() < 0.4,
                    start_day=rng.randrange(7, 15),
                    weeks=rng.randrange(2, 7),
                ),
                brace=BracePlan(required=rng.random() < 0.4, weeks=8),
            )
            plans.append(plan)
            rows.append(
                {
                    "user_id": users[f"p{n}@bench.example.org"],
                    "mrn": f"B{n:06d}",
                    "date_of_birth": date(1960, 1, 1),
                    "surgery_date": plan.surgery_date,
                    "procedure": plan.procedure,
                    "tumor_location": plan.tumor_location,
                    "malignancy": plan.malignancy,
                    "radiation_planned": plan.radiation.planned,
                    "radiation_start_day": plan.radiation.start_day,
                    "radiation_weeks": plan.radiation.weeks,
                    "brace_required": plan.brace.required,
                    "clinician_id": clinicians[n % 10],
                    "coordinator_id": coordinators[n % 10],
                }
            )
        db.session.execute(insert(Patient), rows)
        patient_ids = [
            pid
            for (pid,) in db.session.execute(
                text("SELECT id FROM patients ORDER BY id")
            )
        ]
        db.session.execute(
            insert(CareTeamMember),
            [
                {"patient_id": pid, "user_id": staff_id, "created_at": NOW}
                for n, pid in enumerate(patient_ids)
                for staff_id in (coordinators[n % 10], clinicians[n % 10])
            ],
        )
        protocols = app.extensions["protocols"]
        events = []
        for pid, plan in zip(patient_ids, plans, strict=True):
            for event in build(plan, protocols[plan.procedure]):
                past = event.end_date < TODAY
                done = past and event.kind not in PERIOD_KINDS and rng.random() < 0.85
                events.append(
                    {
                        "patient_id": pid,
                        "key": event.key,
                        "item_id": event.item_id,
                        "kind": event.kind,
                        "title": event.title,
                        "instructions": "",
                        "start_date": event.start_date,
                        "end_date": event.end_date,
                        "status": "done" if done else "upcoming",
                        "allowed": [],
                        "not_allowed": [],
                        "reminder_rules": [],
                    }
                )
            if len(events) > 50_000:
                db.session.execute(insert(TimelineEvent), events)
                events = []
        if events:
            db.session.execute(insert(TimelineEvent), events)
        # As recompute_timelines does after writing events.
        from recovery.timeline.services import refresh_radiation_windows

        refresh_radiation_windows(db.session.scalars(select(Patient)).all())
        # Check-ins: each patient's history since surgery, most recent day first,
        # some patients stopping a few days ago.
        logs, total = [], 0
        for pid, plan in zip(patient_ids, plans, strict=True):
            days = max(1, (TODAY - plan.surgery_date).days)
            stopped = rng.choice([0, 0, 0, 1, 2, 5, 10])
            for k in range(logs_per_patient):
                day_back = stopped + int(k * days / logs_per_patient)
                logs.append(
                    {
                        "patient_id": pid,
                        "recorded_at": NOW - timedelta(days=day_back, hours=k % 5),
                        "back_pain": max(0, min(10, 7 - (days - day_back) // 20)),
                        "notes": "",
                    }
                )
            if len(logs) >= 50_000:
                db.session.execute(insert(SymptomLog), logs)
                total += len(logs)
                logs = []
        if logs:
            db.session.execute(insert(SymptomLog), logs)
            total += len(logs)
        db.session.execute(
            insert(Alert),
            [
                {
                    "patient_id": pid,
                    "severity": rng.choice(["urgent", "warning"]),
                    "rule": "fever",
                    "message": "Temperature 38.4 C",
                    "status": "open" if rng.random() < 0.7 else "acknowledged",
                    "created_at": NOW - timedelta(hours=rng.randrange(1, 200)),
                    "acknowledge_note": "",
                }
                for pid in rng.sample(patient_ids, k=max(1, patients // 30))
            ],
        )
        db.session.commit()
        # What autovacuum (PostgreSQL) or an operator's ANALYZE leaves in a running
        # clinic: planner statistics and, on PostgreSQL, a fresh visibility map.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE")
                )
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        return {
            "admin": ids["admin@bench.example.org"],
            "coordinator": coordinators[0],
            "clinician": clinicians[0],
            "logs": total,
        }


def find_clinic(app) -> dict[str, int] | None:
    """The ids of a clinic that build_clinic left in this database, if any."""
    from sqlalchemy import inspect, text

    from recovery.extensions import db

    with app.app_context():
        if not inspect(db.engine).has_table("symptom_logs"):
            return None
        ids = dict(
            db.session.execute(
                text(
                    "SELECT email, id FROM users WHERE email IN "
                    "('admin@bench.example.org', 'c0@bench.example.org', "
                    "'c10@bench.example.org')"
                )
            ).all()
        )
        if len(ids) < 3:
            return None
        return {
            "admin": ids["admin@bench.example.org"],
            "coordinator": ids["c0@bench.example.org"],
            "clinician": ids["c10@bench.example.org"],
            "logs": db.session.scalar(text("SELECT count(*) FROM symptom_logs")),
        }


def timings(fn: Callable[[], object], samples: int) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds, after one warm-up call."""
    fn()
    seconds = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return statistics.median(seconds) * 1000, p95 * 1000


def run(
    url: str, patients: int, logs_per_patient: int, samples: int, reuse: bool
) -> bool:
    """Build the clinic on one database, then time the dashboard. True if met."""
    import time_machine

    from recovery import create_app

    os.environ["TEST_DATABASE_URL"] = url
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False},
    )
    app.add_url_rule("/bench-bare", "bench_bare", lambda: "ok")
    started = time.perf_counter()
    # Building 1,000,000 check-ins takes minutes: --reuse times the clinic a
    # previous run left (migrated to the current head first).
    found = find_clinic(app) if reuse else None
    if found is None:
        ids = build_clinic(app, patients, logs_per_patient)
    else:
        from flask_migrate import upgrade

        ids = found
        with app.app_context():
            upgrade()
    with app.app_context():
        from recovery.extensions import db

        dialect = db.engine.dialect.name
    print(
        f"\n{dialect}: {patients:,} patients, {ids['logs']:,} symptom logs "
        + ("(reused)" if found else f"(built in {time.perf_counter() - started:.0f} s)")
    )
    met = True
    with time_machine.travel(NOW, tick=True):
        clients = {}
        for role in ("admin", "coordinator"):
            client = app.test_client()
            email = (
                "admin@bench.example.org" if role == "admin" else "c0@bench.example.org"
            )
            reply = client.post("/login", data={"email": email, "password": PASSWORD})
            assert reply.status_code == 302, reply.status_code
            clients[role] = client

        def get(client, path: str) -> Callable[[], object]:
            def call() -> object:
                reply = client.get(path)
                assert reply.status_code == 200, (path, reply.status_code)
                return reply.get_data()

            return call

        bare_median, bare_p95 = timings(get(clients["admin"], "/bench-bare"), samples)
        print(
            f"  bare Flask endpoint: median {bare_median:5.2f} ms, "
            f"p95 {bare_p95:5.2f} ms"
        )
        print(f"  {'first page':<26}{'who':<13}{'median':>9}{'p95':>9}{'x bare':>9}")
        worst = 0.0
        for role, client in clients.items():
            for label, query in FILTERS:
                query = query.format(clinician=ids["clinician"])
                median, p95 = timings(get(client, f"/cohorts/?{query}"), samples)
                worst = max(worst, p95)
                print(
                    f"  {label:<26}{role:<13}{median:7.1f}ms{p95:7.1f}ms"
                    f"{median / bare_median:8.0f}x"
                )
        print(
            f"  target p95 < 150 ms for the first page with any one filter: "
            f"{'met' if worst < 150 else 'NOT met'} (worst p95 {worst:.1f} ms)"
        )
        met = worst < 150
        report(
            "cohort",
            f"dashboard first page, worst p95 of any one filter, {dialect}",
            worst,
            "ms",
            "p95 < 150 ms",
            met,
            bare_p95,
            "bare Flask endpoint p95",
        )
        for sort in SORTS:
            median, p95 = timings(
                get(clients["admin"], f"/cohorts/?sort={sort}"), max(5, samples // 4)
            )
            print(
                f"  sorted by {sort:<17} admin {median:7.1f}ms{p95:7.1f}ms (no target)"
            )
        median, _ = timings(get(clients["admin"], "/cohorts/summary"), 3)
        summary_met = median < 1000
        met = met and summary_met
        print(
            f"  summary charts, all patients (admin): {median:7.0f} ms "
            f"(target < 1000 ms: {'met' if summary_met else 'NOT met'}; "
            f"{median / bare_median:,.0f}x bare)"
        )
        report(
            "cohort",
            f"summary charts, all {patients:,} patients (admin), median, {dialect}",
            median,
            "ms",
            "< 1000 ms",
            summary_met,
            bare_median,
            "bare Flask endpoint median",
        )
        median, _ = timings(get(clients["coordinator"], "/cohorts/summary"), 3)
        print(f"  summary charts, one care team:         {median:7.0f} ms (no target)")
        start = time.perf_counter()
        body = clients["admin"].get("/cohorts/export.csv").get_data(as_text=True)
        seconds = time.perf_counter() - start
        rows = body.count("\r\n") - 1
        report(
            "cohort",
            f"CSV export of {rows:,} patients, {dialect}",
            seconds,
            "s",
            "(none)",
            None,
        )
        print(
            f"  CSV export of all {rows:,} patients: {seconds:.2f} s "
            f"({rows / seconds:,.0f} rows/s; {len(body) / 1e6:.1f} MB)"
        )
    return met


def main() -> None:
    """SQLite then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--logs-per-patient", type=int, default=100)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="PostgreSQL URL (its schema is dropped); default: a database of its "
        "own, recovery_bench, on 127.0.0.1",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--sqlite", help="the SQLite file (default: a new one)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the clinic already in the databases, if one is there",
    )
    args = parser.parse_args()
    sqlite = args.sqlite or f"{tempfile.mkdtemp(prefix='recovery-bench-')}/cohort.db"
    urls = [f"sqlite:///{os.path.abspath(sqlite)}"]
    if not args.no_postgres:
        from bench.load import create_database

        urls.append(args.postgres or create_database("recovery_bench"))
    results = [
        run(url, args.patients, args.logs_per_patient, args.samples, args.reuse)
        for url in urls
    ]
    print("\ncohort targets:", "met" if all(results) else "NOT met")


if __name__ == "__main__":
    main()
