"""Issue 17: no cache keeps patient data; no log keeps a link's secret."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import time_machine
from werkzeug.serving import make_server

from recovery import create_app
from recovery.auth.models import User
from recovery.auth.services import make_link_token
from recovery.extensions import db
from recovery.interop.ical import issue_calendar_token
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.timeline.services import recompute_timeline
from tests.conftest import Browser, bearer_headers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _travel():
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        yield


@pytest.fixture
def team(app, make_user, make_patient):
    clinician = make_user("clinician")
    patient = make_patient(clinician, surgery_date=date(2026, 11, 19))
    with app.test_request_context():
        record = db.session.get(Patient, patient.patient_id)
        recompute_timeline(record, utcnow())
        feed = issue_calendar_token(record)
        db.session.commit()
    return {"clinician": clinician, "patient": patient, "feed": feed}


def test_every_answer_with_patient_data_is_no_store(app, client, team):
    pid = team["patient"].patient_id
    patient = Browser(app.test_client())
    patient.login(team["patient"])
    clinician = Browser(app.test_client())
    clinician.login(team["clinician"])
    headers = bearer_headers(client, team["clinician"])
    pages = {
        "patient home": (patient.client, "/patients/me", {}),
        "timeline": (patient.client, "/timeline/me", {}),
        "record": (clinician.client, f"/patients/{pid}", {}),
        "cohort": (clinician.client, "/cohorts/", {}),
        "cohort csv": (clinician.client, "/cohorts/export.csv", {}),
        "api patient": (client, f"/api/v1/patients/{pid}", headers),
        "api timeline": (client, f"/api/v1/patients/{pid}/timeline", headers),
        "fhir": (client, f"/api/v1/patients/{pid}/fhir", headers),
        "api calendar": (client, f"/api/v1/patients/{pid}/calendar.ics", headers),
        "feed": (client, f"/timeline/feed/{team['feed']}.ics", {}),
        "error page": (clinician.client, "/patients/999999", {}),
    }
    for name, (who, url, extra) in pages.items():
        response = who.get(url, headers=extra)
        response.get_data()  # a streamed answer runs to its end, then closes
        response.close()
        assert response.status_code in (200, 404), name
        assert "no-store" in response.headers.get("Cache-Control", ""), name
    # Static files are the same for everyone and may be cached.
    static = client.get("/static/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def fetch(url: str) -> int:
    """GET a URL on a real server; the status, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secret_links(app, team) -> dict[str, str]:
    with app.app_context():
        user = db.session.get(User, team["clinician"].id)
        key = app.config["SECRET_KEY"]
        return {
            "reset": make_link_token(key, "password-reset", user),
            "invitation": make_link_token(key, "invitation", user),
            "feed": team["feed"],
        }


def test_the_development_server_log_has_no_link_secrets(app, team, caplog):
    secrets = secret_links(app, team)
    server = make_server("127.0.0.1", _free_port(), app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path in (
                f"/reset-password/{secrets['reset']}",
                f"/invitation/{secrets['invitation']}",
                f"/timeline/feed/{secrets['feed']}.ics",
            ):
                assert fetch(base + path) == 200
    finally:
        server.shutdown()
    log = caplog.text
    assert "/reset-password/[redacted]" in log
    assert "/timeline/feed/[redacted].ics" in log
    for secret in secrets.values():
        assert secret not in log


def test_the_gunicorn_access_log_has_no_link_secrets(app, team, tmp_path):
    secrets = secret_links(app, team)
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "RECOVERY_ENV": "testing",
        "SCHEDULER_ENABLED": "0",
    }
    server = subprocess.Popen(  # noqa: S603 - our own server
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            "wsgi:app",
        ],
        cwd=ROOT,  # where gunicorn.conf.py names the redacting logger
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        for path in (
            f"/reset-password/{secrets['reset']}",
            f"/timeline/feed/{secrets['feed']}.ics",
        ):
            # Real time runs there: the reset link may have expired (400).
            assert fetch(base + path) in (200, 400)
    finally:
        server.terminate()
        # Gunicorn stops gracefully; on a loaded machine that can take a while.
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    log = access_log.read_text()
    assert "/reset-password/[redacted]" in log
    assert "/timeline/feed/[redacted].ics" in log
    for secret in secrets.values():
        assert secret not in log


def test_the_console_mail_backend_warns_that_it_prints_live_links(app, caplog):
    with caplog.at_level(logging.WARNING):
        create_app(
            "development",
            {
                "MAIL_BACKEND": "console",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            },
        )
    assert "printed to this console with its live links" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(
            "development",
            {
                "MAIL_BACKEND": "smtp",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            },
        )
    assert "live links" not in caplog.text
