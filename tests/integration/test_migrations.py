"""Migrations: one head, and upgrading an empty database gives exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from config import BASE_DIR
from recovery.extensions import db
from recovery.reminders.models import Reminder  # noqa: F401  (all models loaded)


def test_migrations_have_a_single_head():
    config = Config(str(BASE_DIR / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(BASE_DIR / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_from_empty_matches_the_models(app):
    with app.app_context():
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff


def test_upgrading_a_database_with_data_keeps_it(app):
    """Each revision runs on rows written by the first one (SQLite rebuilds tables)."""
    from sqlalchemy import text

    with app.app_context():
        downgrade(revision="base")
        upgrade(revision="350409ce3dc3")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, role, timezone, active, "
                    "login_token, failed_logins, created_at, updated_at) VALUES "
                    "(1, 'p@example.org', 'P', 'patient', 'UTC', true, 't', 0, "
                    "'2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO patients (id, user_id, mrn, date_of_birth, "
                    "surgery_date, procedure, tumor_location, tumor_type, "
                    "malignancy, origin, "
                    "radiation_planned, radiation_start_day, radiation_weeks, "
                    "radiation_minutes_per_session, brace_required, brace_weeks, "
                    "created_at, updated_at) VALUES (1, 1, 'M1', '1960-01-01', "
                    "'2026-11-10', 'biopsy', 'epidural', '', 'benign', 'primary', "
                    "false, 14, 2, 15, false, 6, '2026-11-01 00:00:00', "
                    "'2026-11-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO timeline_events (patient_id, key, item_id, kind, "
                    "title, instructions, start_date, end_date, status, overridden, "
                    "created_at, updated_at) VALUES (1, 'wound_check:0', "
                    "'wound_check', 'wound_check', 'Wound check', '', "
                    "'2026-11-20', '2026-11-24', "
                    "'upcoming', false, '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                )
            )
            for n, (day, status) in enumerate(
                [
                    ("2026-11-24", "done"),
                    ("2026-11-25", "upcoming"),
                    ("2026-11-26", "cancelled"),
                ]
            ):
                conn.execute(
                    text(
                        "INSERT INTO timeline_events (patient_id, key, item_id, "
                        "kind, title, instructions, start_date, end_date, status, "
                        "overridden, created_at, updated_at) VALUES (1, :key, "
                        "'radiation', 'radiation_session', 'R', '', :day, :day, "
                        ":status, false, '2026-11-01 00:00:00', "
                        "'2026-11-01 00:00:00')"
                    ),
                    {"key": f"radiation:{n}", "day": day, "status": status},
                )
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
            assert conn.execute(
                text("SELECT allowed FROM timeline_events")
            ).scalar() in (
                "[]",
                [],
            )
            assert conn.execute(text("SELECT notify_email FROM users")).scalar() in (
                True,
                1,
            )
            # The radiation window is filled from the stored, not cancelled, sessions.
            window = conn.execute(
                text(
                    "SELECT radiation_first_session, radiation_last_session "
                    "FROM patients"
                )
            ).one()
            assert [str(day) for day in window] == ["2026-11-24", "2026-11-25"]
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
