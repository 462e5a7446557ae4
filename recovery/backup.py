"""Backups: every table to one JSON archive, and back into an empty database.

The archive names the schema revision it was taken at; import refuses another
revision (upgrade the database first) and refuses a database that holds data.
Rows keep their ids, so links between tables and the audit trail stay intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import IO, Any

from sqlalchemy import Date, DateTime, Table, Time, func, insert, select, text
from sqlalchemy.types import TypeDecorator

from recovery.extensions import db
from recovery.orm import json_value

FORMAT = "recovery-backup/1"
BATCH = 1000


class BackupError(ValueError):
    """An archive that cannot be imported here; the message says why."""


def _revision() -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _tables() -> list[Table]:
    """Parents before children (foreign keys), the way rows must be inserted."""
    return list(db.metadata.sorted_tables)


def export_archive(
    out: IO[str], now: datetime, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Write the archive, streaming rows table by table; returns rows per table.

    `progress(table, rows)` is told after each table (a command shows it)."""
    counts: dict[str, int] = {}
    out.write("{")
    out.write(f'"format": {json.dumps(FORMAT)}, ')
    out.write(f'"revision": {json.dumps(_revision())}, ')
    out.write(f'"exported_at": {json.dumps(now.isoformat())}, ')
    out.write('"tables": {')
    for n, table in enumerate(_tables()):
        out.write(("" if n == 0 else ", ") + json.dumps(table.name) + ": [")
        key = [c for c in table.primary_key.columns]
        rows = db.session.execute(
            select(table).order_by(*key).execution_options(yield_per=BATCH)
        ).mappings()
        count = 0
        for count, row in enumerate(rows, start=1):
            record = {column: json_value(value) for column, value in row.items()}
            out.write(("" if count == 1 else ", ") + json.dumps(record, sort_keys=True))
        counts[table.name] = count
        out.write("]")
        if progress:
            progress(table.name, count)
    out.write("}}")
    return counts


def _parser(column: Any) -> Any:
    """How to read a column's JSON value back (None: as it is)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, Time):
        return time.fromisoformat
    return None


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """JSON values back to the column types (dates, instants, times)."""
    typed = {}
    for name, value in row.items():
        column = table.columns.get(name)
        if column is None:
            raise BackupError(f"Table {table.name} has no column {name}.")
        parse = _parser(column)
        typed[name] = parse(value) if parse and value is not None else value
    return typed


def import_archive(
    source: IO[str], progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Load an archive into this (empty, same revision) database, in one transaction.

    `progress(table, rows)` is told after each table."""
    try:
        archive = json.load(source)
    except json.JSONDecodeError as error:
        raise BackupError(f"Not a JSON archive: {error}.") from error
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise BackupError(f"Not a {FORMAT} archive.")
    here = _revision()
    if archive.get("revision") != here:
        raise BackupError(
            f"The archive is at schema revision {archive.get('revision')}, this "
            f"database at {here}: migrate to the same revision first."
        )
    tables = {table.name: table for table in _tables()}
    unknown = set(archive["tables"]) - set(tables)
    if unknown:
        raise BackupError(
            f"Unknown tables in the archive: {', '.join(sorted(unknown))}."
        )
    for table in tables.values():
        if db.session.scalar(select(func.count()).select_from(table)):
            raise BackupError(
                f"The database is not empty (table {table.name} has rows): "
                "import only into a new database."
            )
    counts = {}
    for name, table in tables.items():
        rows = archive["tables"].get(name, [])
        for batch in _batches(rows):
            db.session.execute(insert(table), [_typed(table, r) for r in batch])
        counts[name] = len(rows)
        if progress:
            progress(name, len(rows))
    _reset_sequences(tables.values())
    db.session.commit()
    return counts


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _reset_sequences(tables: Any) -> None:
    """PostgreSQL: the next id follows the imported ones (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.columns and table.columns["id"].primary_key:
            highest = select(func.max(table.c.id)).scalar_subquery()
            db.session.execute(
                select(
                    func.setval(
                        func.pg_get_serial_sequence(table.name, "id"),
                        func.coalesce(highest, 0) + 1,
                        False,
                    )
                )
            )
