"""What the models are built on: the declarative base with a constraint naming
convention, the UTC column type, the JSON codec, json_value, id lists, allowed
values and the UTC clock."""

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    DateTime,
    Dialect,
    MetaData,
    bindparam,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic's batch mode alter them on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so without this the same column would come back naive
    there and aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Hand back aware UTC whatever the database kept."""
        if value is None or value.tzinfo is UTC:  # PostgreSQL's, sessions in UTC
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model."""

    # One registry carries both, as Flask-SQLAlchemy subclasses this base.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


@lru_cache(maxsize=4096)
def json_list(text: str | bytes | None) -> tuple[Any, ...]:
    """A JSON list read as text, as a tuple; each distinct text is decoded once."""
    return tuple(json.loads(text)) if text else ()


def json_loads(text: str | bytes) -> Any:
    """JSON read from the database (the engine's deserializer).

    Every timeline event carries three short lists (allowed, not allowed, reminder
    rules) drawn from a few distinct texts. Short lists are decoded once and
    copied, so no caller can change what another reads. Measured again for issue
    21 (callgrind, bench clinic, once the home page made 6 queries): without it
    the home page runs 4 % more instructions (41.0 M against 39.3 M a request),
    and its throughput floor (half of /account's) has no such margin to spare.
    """
    if len(text) <= 1024 and text[:1] in ("[", b"["):
        values = json_list(text)
        if not any(isinstance(v, list | dict) for v in values):
            return list(values)
    return json.loads(text)


def json_value(value: Any) -> Any:
    """A column's value as JSON holds it: dates, instants and times as ISO text.

    One function for audit details, episode plans and the backup archive, so a
    value reads the same in each.
    """
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def among(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN (ids)`, the ids written into the statement as numbers.

    For the long id lists of batch work: psycopg reads a long statement's
    placeholders again on every execution (3 ms for 500, three times per
    dispatch batch: a tenth of dispatch's time on PostgreSQL, bench/reminders.py).
    """
    values = [int(value) for value in ids]  # numbers only: nothing else is spliced
    return column.in_(bindparam(None, values, expanding=True, literal_execute=True))


def allowed(column: str, values: Iterable[str]) -> CheckConstraint:
    """The database refuses any value of `column` not in `values`, the one list
    the code knows them by (named after the column). Alembic does not compare
    check constraints: a value added to the list needs a migration of its own."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class TimestampMixin:
    """created_at / updated_at columns, set by the database session."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
