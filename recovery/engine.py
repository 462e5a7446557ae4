"""Engine settings that depend on the database in use."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from recovery.extensions import db


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers and one writer work at once; SQLite leaves foreign keys off
    # unless asked, and busy_timeout makes a writer wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: the database
    # stays consistent; a power cut may lose the last commits, not corrupt them.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _postgres_utc(dbapi_connection: Any, connection_record: Any) -> None:
    # Sessions in UTC: psycopg then hands instants back with datetime.UTC itself,
    # which UTCDateTime passes through as they are, whatever the server's default.
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def configure_engine(app: Flask) -> None:
    """SQLite: WAL and foreign keys; PostgreSQL: sessions in UTC."""
    with app.app_context():
        engine: Engine = db.engine
        listener = {"sqlite": _sqlite_pragmas, "postgresql": _postgres_utc}.get(
            engine.dialect.name
        )
        if listener is not None and not event.contains(engine, "connect", listener):
            event.listen(engine, "connect", listener)
