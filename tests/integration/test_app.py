"""Configuration, security headers, the database engine and the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from config import DEFAULT_SECRET_KEY
from recovery import create_app
from recovery.auth.models import User
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.symptoms.models import SymptomLog

GOOD_KEY = "k" * 40


@pytest.mark.parametrize("key", [DEFAULT_SECRET_KEY, "", "short-key"])
def test_production_refuses_a_default_or_weak_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            "production", overrides={"SECRET_KEY": key, "DATABASE_URL_SET": True}
        )


def test_production_requires_a_database_url():
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(
            "production", overrides={"SECRET_KEY": GOOD_KEY, "DATABASE_URL_SET": False}
        )


def test_production_cookies_are_secure():
    app = create_app(
        "production",
        overrides={
            "SECRET_KEY": GOOD_KEY,
            "DATABASE_URL_SET": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        },
    )
    assert app.config["SESSION_COOKIE_SECURE"]
    assert app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    response = app.test_client().get("/login", base_url="https://clinic.example.org")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="RECOVERY_ENV"):
        create_app("staging")


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(browser, make_user):
    browser.login(make_user("admin"))
    for path in ("/login", "/admin/users", "/admin/users/new", "/cohorts/", "/account"):
        page = browser.client.get(path).get_data(as_text=True)
        assert (
            "<script>" not in page and " style=" not in page and "<style" not in page
        ), path


def test_session_cookie_is_httponly_and_samesite(browser, make_user):
    browser.login(make_user("clinician"))
    cookie = browser.client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_sqlite_runs_with_wal_and_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only apply to SQLite")
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        db.session.add(SymptomLog(patient_id=424242, back_pain=3))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_cli_creates_staff_who_can_log_in(runner, browser):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Cli.Coord@Clinic.example.org",
            "--role",
            "coordinator",
            "--name",
            "Cli Coord",
            "--password",
            "cli password 1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "cli.coord@clinic.example.org" in result.output
    response = browser.submit(
        "/login",
        {"email": "cli.coord@clinic.example.org", "password": "cli password 1"},
    )
    assert response.headers["Location"] == "/cohorts/"


def test_cli_refuses_bad_input_with_a_message(runner, make_user):
    make_user("clinician", email="dup@clinic.example.org")
    duplicate = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "dup@clinic.example.org",
            "--role",
            "clinician",
            "--name",
            "Dup",
            "--password",
            "long enough pw",
        ]
    )
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    short = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "new@clinic.example.org",
            "--role",
            "clinician",
            "--name",
            "New",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0
    assert "at least 10 characters" in short.output
    patient_role = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "p@clinic.example.org",
            "--role",
            "patient",
            "--name",
            "P",
            "--password",
            "long enough pw",
        ]
    )
    assert patient_role.exit_code != 0
    missing = runner.invoke(
        args=[
            "users",
            "set-password",
            "--email",
            "nobody@x.org",
            "--password",
            "long enough pw",
        ]
    )
    assert missing.exit_code != 0
    assert "No account" in missing.output


def test_demo_seed_builds_a_clinic_once(app, runner, browser):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.example.org" in result.output
    assert "recovery-demo" in result.output
    with app.app_context():
        roles = dict(
            db.session.execute(
                select(User.role, func.count()).group_by(User.role)
            ).all()
        )
        assert roles == {
            "admin": 1,
            "coordinator": 2,
            "clinician": 3,
            "patient": 30,
            "caregiver": 1,
        }
        assert db.session.scalar(select(func.count()).select_from(SymptomLog)) > 300
        assert db.session.scalar(
            select(func.count(Patient.id)).where(Patient.radiation_planned)
        )
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0
    assert "skipped" in again.output
    refused = runner.invoke(args=["demo", "seed"])
    assert refused.exit_code != 0
    # The printed logins work.
    response = browser.submit(
        "/login", {"email": "clinician@demo.example.org", "password": "recovery-demo"}
    )
    assert response.headers["Location"] == "/clinician/"
    page = browser.client.get("/clinician/").get_data(as_text=True)
    assert "patients" in page and "DEMO-" in page


def test_a_bad_protocol_file_stops_start_up_naming_file_item_and_reason(tmp_path):
    from recovery.domain.protocol import PROTOCOL_DIR, ProtocolError

    for source in PROTOCOL_DIR.glob("*.toml"):
        (tmp_path / source.name).write_text(source.read_text())
    broken = tmp_path / "laminectomy.toml"
    broken.write_text(
        broken.read_text().replace(
            'id = "wound_check"\nkind = "wound_check"',
            'id = "wound_check"\nkind = "wound_care"',
        )
    )
    with pytest.raises(ProtocolError) as error:
        create_app("testing", overrides={"PROTOCOL_DIR": str(tmp_path)})
    assert str(broken) in str(error.value)
    assert "'wound_check'" in str(error.value)
    assert "unknown kind 'wound_care'" in str(error.value)


def test_bad_clinic_holidays_stop_start_up():
    with pytest.raises(RuntimeError, match="CLINIC_HOLIDAYS: '2026-13-01'"):
        create_app("testing", overrides={"CLINIC_HOLIDAYS": "2026-12-25, 2026-13-01"})


def test_behind_a_trusted_proxy_https_is_seen_and_not_redirected():
    app = create_app(
        "production",
        overrides={
            "SECRET_KEY": GOOD_KEY,
            "DATABASE_URL_SET": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TRUSTED_PROXIES": 1,
        },
    )
    client = app.test_client()
    plain = client.get("/login")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200


def test_instants_come_back_as_utc_whatever_zone_they_were_given_in(app):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from recovery.audit.models import AuditEvent

    # 07:30 in New York on the morning clocks went forward is 11:30 UTC.
    given = datetime(2026, 3, 8, 7, 30, tzinfo=ZoneInfo("America/New_York"))
    with app.app_context():
        db.session.add(AuditEvent(action="test", at=given))
        db.session.commit()
        db.session.expire_all()
        read = db.session.scalar(select(AuditEvent.at))
        assert read == given
        assert read.tzinfo is UTC and read.hour == 11
        if db.engine.dialect.name == "postgresql":
            assert db.session.scalar(text("SHOW TIME ZONE")) == "UTC"


def test_json_lists_read_back_belong_to_their_reader(app, make_patient):
    """Equal short lists are decoded once (a cache): no reader may change another's."""
    from datetime import date

    from recovery.timeline.models import TimelineEvent

    patient_id = make_patient().patient_id
    with app.app_context():
        for n in range(2):
            db.session.add(
                TimelineEvent(
                    patient_id=patient_id,
                    key=f"test:{n}",
                    item_id="test",
                    kind="activity_restriction",
                    title="Limits",
                    instructions="",
                    start_date=date(2026, 11, 10),
                    end_date=date(2026, 12, 22),
                    status="upcoming",
                    allowed=["sitting", "walking"],
                    not_allowed=[{"nested": ["lists"]}],
                )
            )
        db.session.commit()
        db.session.expire_all()
        first, second = db.session.scalars(
            select(TimelineEvent).order_by(TimelineEvent.key)
        ).all()
        first.allowed.append("heavy lifting")
        first.not_allowed[0]["nested"].append("changed")
        assert second.allowed == ["sitting", "walking"]
        assert second.not_allowed == [{"nested": ["lists"]}]
        db.session.rollback()
        assert db.session.get(TimelineEvent, first.id).allowed == ["sitting", "walking"]
