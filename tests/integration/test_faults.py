"""Faults: a database that is read-only, full, or gone mid-request gives a clear
503, nothing is half-written, and the app recovers when the database does."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import OperationalError

from recovery import create_app
from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.auth.services import set_password
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.symptoms.models import SymptomLog
from tests.conftest import PASSWORD, Account, Browser, csrf_from


def patient_in(app: Flask, n: int = 1) -> Account:
    """A patient with a password in this app's database."""
    with app.app_context():
        user = User(name="Fay Ult", email=f"fay{n}@mail.example.org", role="patient")
        set_password(user, PASSWORD, utcnow())
        patient = Patient(
            user=user,
            mrn=f"F-{n}",
            date_of_birth=date(1960, 1, 1),
            surgery_date=date(2026, 11, 10),
            procedure="biopsy",
            tumor_location="epidural",
            malignancy="benign",
        )
        db.session.add(patient)
        db.session.commit()
        return Account(user.id, user.email, "patient", patient_id=patient.id)


@pytest.fixture
def own_sqlite(tmp_path):
    """A migrated SQLite file of its own, one patient logged in through the app."""
    path = tmp_path / "fault.db"
    app = create_app(
        "testing", overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    with app.app_context():
        upgrade()
    account = patient_in(app)
    browser = Browser(app.test_client())
    browser.login(account)
    yield path, app, browser
    with app.app_context():
        db.engine.dispose()


def logs(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SymptomLog)) or 0


def test_a_read_only_database_gives_a_clear_503(own_sqlite):
    path, _, browser = own_sqlite
    readonly = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{path}?mode=ro&uri=true"
        },
    )
    client = readonly.test_client()
    session = browser.client.get_cookie("session")
    client.set_cookie("session", session.value)
    # Reading a record writes its audit row: with no audit, no read.
    response = client.get("/patients/me")
    assert response.status_code == 503
    assert (
        "The database is read-only just now; nothing was saved."
        in response.get_data(as_text=True)
    )
    assert response.headers["Retry-After"] == "30"
    api = client.get("/api/v1/patients", headers={"Accept": "application/json"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
    # Health: the process lives and the database still answers reads.
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz/ready").status_code == 200
    with readonly.app_context():
        db.engine.dispose()


def test_a_full_disk_gives_a_clear_503_and_saves_nothing(own_sqlite):
    _, app, browser = own_sqlite
    form = browser.client.get("/symptoms/check-in")
    assert form.status_code == 200
    with app.app_context():
        # SQLite stops at max_page_count as it would at a full disk: fill it up.
        pages = db.session.execute(text("PRAGMA page_count")).scalar()
        db.session.execute(text(f"PRAGMA max_page_count = {pages}"))
        filler = {
            "action": "filler",
            "target": "",
            "ip": "",
            "details": {},
            "at": utcnow(),
        }
        for batch in (100, 10, 1):
            with pytest.raises(OperationalError, match="full"):
                for _ in range(100_000):
                    db.session.execute(insert(AuditEvent), [filler] * batch)
                    db.session.commit()
            db.session.rollback()
        # Every connection of the pool gets the limit from now on.
        event.listen(
            db.engine,
            "connect",
            lambda conn, _: conn.execute(f"PRAGMA max_page_count = {pages}"),
        )
        db.engine.dispose()
    # The form was loaded before the disk filled up; now it is sent.
    token = csrf_from(form.get_data(as_text=True))
    response = browser.client.post(
        "/symptoms/check-in",
        data={"back_pain": "4", "notes": "x" * 2000, "csrf_token": token},
    )
    assert response.status_code == 503
    assert "disk is full; nothing was saved." in response.get_data(as_text=True)
    assert logs(app) == 0


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="PostgreSQL only: its server going away mid-request",
)
def test_postgres_going_away_mid_check_in_is_a_503_then_recovers(
    app, browser, make_user, make_patient
):
    account = make_patient(make_user("coordinator"))
    browser.login(account)
    with app.app_context():
        engine = db.engine

    def kill_own_connection(conn, cursor, statement, *args):
        # As a server restart would: the connection dies as the check-in is written.
        if statement.startswith("INSERT INTO symptom_logs"):
            event.remove(engine, "before_cursor_execute", kill_own_connection)
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(engine, "before_cursor_execute", kill_own_connection)
    response = browser.submit("/symptoms/check-in", {"back_pain": "6"})
    assert response.status_code == 503
    assert "cannot be reached" in response.get_data(as_text=True)
    assert logs(app) == 0  # nothing half-written
    # The pool's pre-ping drops the dead connection: the next try goes through.
    retry = browser.submit("/symptoms/check-in", {"back_pain": "6"})
    assert retry.status_code == 302
    assert logs(app) == 1


def test_a_dispatcher_process_killed_mid_batch_then_restarted(own_sqlite, tmp_path):
    """A real `reminders dispatch` process, SIGKILLed while sending over SMTP:
    after the lease a new one sends the rest; nothing lost, at most one twice."""
    import asyncio
    import signal
    import subprocess
    import time
    from pathlib import Path

    from aiosmtpd.controller import Controller

    from recovery.reminders.models import Reminder
    from tests.clocks import python_command
    from tests.integration.test_smtp import free_port

    path, app, _ = own_sqlite

    class SlowCollector:
        def __init__(self) -> None:
            self.count = 0

        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.05)  # a mail server taking its time
            self.count += 1
            return "250 OK"

    handler = SlowCollector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    total = 60
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        db.session.add_all(
            Reminder(
                user_id=user.id,
                rule="digest",
                channel="email",
                send_at=utcnow(),
                status="pending",
                dedupe_key=f"kill:{n}",
                body="Your daily summary.",
            )
            for n in range(total)
        )
        db.session.commit()
    env = {
        **os.environ,
        "RECOVERY_ENV": "development",
        "DATABASE_URL": f"sqlite:///{path}",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "REMINDER_LEASE_SECONDS": "2",
        "SCHEDULER_ENABLED": "0",
    }
    root = Path(__file__).resolve().parents[2]
    # The child reads the test's clock, moved or not (tests/clocks.py).
    command = python_command("-m", "flask", "--app", "wsgi", "reminders", "dispatch")
    try:
        first = subprocess.Popen(command, cwd=root, env=env)  # noqa: S603
        deadline = time.monotonic() + 60
        while handler.count < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = handler.count
        assert 15 <= killed_at < total  # killed mid-batch
        time.sleep(2.5)  # the dead dispatcher's lease runs out
        done = subprocess.run(  # noqa: S603
            command, cwd=root, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        time.sleep(0.2)
    finally:
        controller.stop()
    with app.app_context():
        statuses = db.session.scalars(select(Reminder.status)).all()
    assert statuses == ["sent"] * total  # none lost
    assert total <= handler.count <= total + 1  # at most the in-flight one twice


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(*command: str) -> list[str]:
    # initdb and the server refuse to run as root.
    return (
        ["runuser", "-u", "postgres", "--", *command]
        if os.geteuid() == 0
        else list(command)
    )


@pytest.fixture
def private_postgres():
    """A PostgreSQL server of this test's own (initdb, loopback, a free port), so
    it can be restarted without taking the suite's shared database away."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql")
    home = Path(tempfile.mkdtemp(prefix="recovery-pg-"))
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = functools.partial(subprocess.run, check=True, capture_output=True)
    run(
        _as_postgres(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl(*args: str) -> None:
        run(
            _as_postgres(
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(home / "log"),
                *args,
            )
        )

    pg_ctl("-o", options, "start")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    try:
        yield url, lambda: pg_ctl("-o", options, "-m", "fast", "restart")
    finally:
        pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="PostgreSQL only: its server restarted under load",
)
def test_postgres_restarted_under_load_gives_503s_then_recovers(private_postgres):
    """Patients keep checking in while the server restarts: each request either
    succeeds or gets the clear 503; every check-in that succeeded is stored whole
    (with its audit row); once the server is back, check-ins go through again."""
    url, restart = private_postgres
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    accounts = [patient_in(app, n) for n in range(3)]
    statuses: list[int] = []
    bodies: list[str] = []
    stop = threading.Event()

    crashes: list[BaseException] = []

    def patient_checks_in(account: Account) -> None:
        try:
            check_in_until_stopped(account)
        except BaseException as error:  # a 500 would surface here
            crashes.append(error)

    def check_in_until_stopped(account: Account) -> None:
        browser = Browser(app.test_client())
        browser.login(account)
        # One form's token serves the whole session: no page load during the outage.
        token = csrf_from(
            browser.client.get("/symptoms/check-in").get_data(as_text=True)
        )
        while not stop.is_set():
            response = browser.client.post(
                "/symptoms/check-in", data={"back_pain": "4", "csrf_token": token}
            )
            statuses.append(response.status_code)
            if response.status_code != 302:
                bodies.append(response.get_data(as_text=True))
                time.sleep(0.05)

    threads = [threading.Thread(target=patient_checks_in, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    time.sleep(1)
    before = len(statuses)
    restart()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert crashes == []
    assert before > 0 and set(statuses) <= {302, 503}, Counter(statuses)
    assert 503 in statuses  # the restart was felt...
    assert statuses[-1] == 302  # ...and the app recovered without a restart of its own
    assert all("cannot be reached" in body for body in bodies)
    with app.app_context():
        stored = logs(app)
        audited = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "record_symptoms")
        )
        db.engine.dispose()
    assert (
        stored == statuses.count(302) == audited
    )  # nothing lost, nothing half-written
