"""Load test: gunicorn on loopback, PostgreSQL behind, a clinic of 10,000 patients.

Run: make load  (or .venv/bin/python bench/load.py [--quick] [--seconds 60])

1. Builds the clinic in its own PostgreSQL database (`recovery_load`) with
   bench/cohort.py's builder; 100 patients get a password.
2. Starts gunicorn (production settings, no scheduler) on a free loopback port.
3. Locust (its own virtualenv, .venv-load) runs 100 patients checking in and
   viewing their pages and 10 staff browsing dashboards for 60 s: errors and p95.
4. Throughput ratio, same server, same user count, no waiting: the patient home
   page against /account, the lightest signed-in page.
Targets: no errors, p95 under 250 ms (issue 8); home page >= 50 % of /account's
throughput (issue 21).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._result import report  # noqa: E402
from bench.cohort import PASSWORD, build_clinic  # noqa: E402

LOCUST = ROOT / ".venv-load" / "bin" / "locust"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(name: str) -> str:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
        conn.autocommit = True
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


def prepare(url: str, patients: int) -> None:
    from sqlalchemy import text

    from recovery import create_app
    from recovery.auth.services import _hasher
    from recovery.extensions import db

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    build_clinic(app, patients, 20)
    with app.app_context():
        hashed = _hasher.hash(PASSWORD)
        db.session.execute(
            text(
                "UPDATE users SET password_hash = :h, password_set_at = now() "
                "WHERE email LIKE 'p%@bench.example.org' AND id IN ("
                "SELECT id FROM users WHERE role = 'patient' ORDER BY id LIMIT 100)"
            ),
            {"h": hashed},
        )
        db.session.commit()
        db.engine.dispose()


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "RECOVERY_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": "load-test-" + "x" * 40,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FORCE_HTTPS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "SCHEDULER_ENABLED": "0",
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "MAIL_BACKEND": "locmem",
    }
    process = subprocess.Popen(  # noqa: S603 (our own server)
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/ready", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not come up")


def locust(
    port: int,
    classes: list[str],
    users: int,
    seconds: int,
    out: str,
    spawn_rate: int | None = None,
    steady: bool = True,
) -> dict:
    """Run Locust headless; the aggregated row of its stats CSV.

    `steady`: figures of the steady state, counted once every user has logged in
    (logins are argon2, slow on purpose; locustfile.log_in starts the figures
    over); otherwise the whole run, every request of the ramp included.
    """
    subprocess.run(  # noqa: S603 (our own tool)
        [
            str(LOCUST),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(spawn_rate or max(users, 10)),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            out,
            "--only-summary",
            *(["--reset-stats"] if steady else []),
            "--loglevel",
            "WARNING",
            *classes,
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_PASSWORD": PASSWORD},
        check=False,
    )
    with open(f"{out}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    return {row["Name"]: row for row in rows}


def main() -> None:
    """Build, serve, load, measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 patients, 15 s")
    parser.add_argument(
        "--ci",
        action="store_true",
        help="CI's short run: 500 patients, 10 s, no throughput phase; "
        "exits 1 on any error",
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not LOCUST.exists():
        sys.exit("Locust is missing: run `make load` (it creates .venv-load).")
    patients = 500 if args.ci else 1_000 if args.quick else 10_000
    seconds = 10 if args.ci else 15 if args.quick else args.seconds
    url = create_database("recovery_load_ci" if args.ci else "recovery_load")
    started = time.perf_counter()
    prepare(url, patients)
    print(
        f"clinic of {patients:,} patients built in "
        f"{time.perf_counter() - started:.0f} s"
    )
    port = free_port()
    server = start_gunicorn(url, port, args.workers)
    folder = tempfile.mkdtemp(prefix="recovery-load-")
    try:
        # Users arrive 5 a second (CI: 25); the figures start once all are in.
        rate = 25 if args.ci else 5
        ramp = 110 // rate
        mixed = locust(
            port,
            ["Patient", "Staff"],
            110,
            seconds + ramp,
            f"{folder}/mixed",
            rate,
            # CI asks for no error at all, so it counts the logins of the ramp too.
            steady=not args.ci,
        )
        total = mixed["Aggregated"]
        failures = int(total["Failure Count"])
        # Each page's own p95; logging in (argon2, by design slow) is shown apart.
        pages = {n: r for n, r in mixed.items() if n not in ("Aggregated", "/login")}
        p95 = max(float(r["95%"]) for r in pages.values())
        rps = float(total["Requests/s"])
        print(
            f"mixed load, 100 patients + 10 staff, {seconds} s, "
            f"gunicorn x{args.workers}:"
            f" {int(total['Request Count']):,} requests, {failures} errors,"
            f" {rps:,.0f} req/s; worst page p95 {p95:.0f} ms"
        )
        for name, row in sorted(mixed.items()):
            if name != "Aggregated":
                print(
                    f"  {name:<32} n={row['Request Count']:>6} p95 {row['95%']:>5} ms"
                )
        if args.ci:
            sys.exit(1 if failures else 0)
        # Home page against /account, the lightest signed-in page (issue 21):
        # the same server, users, logins and session work; one after the other.
        length = min(seconds, 20)
        account = locust(port, ["Account"], 20, length, f"{folder}/account")
        home = locust(port, ["Home"], 20, length, f"{folder}/home")
        # No row when no user got past logging in (an overloaded machine).
        account_rps = float(account.get("/account", {}).get("Requests/s", 0))
        home_rps = float(home.get("/patients/me", {}).get("Requests/s", 0))
        ratio = home_rps / account_rps if account_rps else 0.0
        print(
            "throughput, 20 users without waiting: "
            f"/account {account_rps:,.0f} req/s,"
            f" patient home {home_rps:,.0f} req/s = {ratio:.0%} (target >= 50 %)"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    report(
        "load",
        f"errors under mixed load ({patients:,} patients)",
        failures,
        "errors",
        "0",
        failures == 0,
    )
    report("load", "worst page p95 under mixed load", p95, "ms", "< 250 ms", p95 < 250)
    report(
        "load",
        "patient home throughput",
        home_rps,
        "req/s",
        ">= 50% of /account",
        ratio >= 0.50,
        account_rps,
        "/account, same server and users",
    )


if __name__ == "__main__":
    main()
