"""The audit-log helper every read or change of patient data calls."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import defusedcsv.csv as safe_csv
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, insert, select
from sqlalchemy.orm import aliased, contains_eager

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.validation import parse_int


def audit_values(
    action: str,
    *,
    patient_id: int | None = None,
    actor: User | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit row: actor, action, patient, time, IP."""
    ip = ""
    if has_request_context():
        ip = request.remote_addr or ""
        if actor is None and current_user.is_authenticated:
            actor = current_user
    return {
        "at": utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "action": action,
        "patient_id": patient_id,
        "target": target[:200],
        "ip": ip[:45],
        "details": details or {},
    }


def record(action: str, **fields: Any) -> None:
    """Insert an audit row in the request's transaction; the caller commits.

    A plain INSERT rather than an ORM object: every page that shows patient data
    writes one, and the unit of work's flush cost as much as a query.
    """
    db.session.execute(insert(AuditEvent.__table__), audit_values(action, **fields))


def record_many(rows: list[dict[str, Any]]) -> None:
    """Insert many rows from audit_values() in one statement; the caller commits."""
    if rows:
        db.session.execute(insert(AuditEvent), rows)


def record_patients(action: str, patient_ids: Iterable[int], **fields: Any) -> None:
    """One row per patient a list or export showed; the caller commits.

    A list page shows many patients at once: each must find it under "Who saw
    my record", which reads rows by patient_id.
    """
    base = audit_values(action, **fields)
    record_many([{**base, "patient_id": pid} for pid in dict.fromkeys(patient_ids)])


@dataclass(frozen=True)
class AuditFilter:
    """The admin's audit-log filters; None means any."""

    actor: str | None = None
    action: str | None = None
    patient_id: int | None = None
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, str]:
        """Set filters as URL parameters."""
        return {
            key: value.isoformat() if isinstance(value, date) else str(value)
            for key, value in asdict(self).items()
            if value not in (None, "")
        }


def audit_query(where: AuditFilter) -> Select[tuple[AuditEvent]]:
    """Audit rows with their actor loaded, newest first, filtered."""
    actor = aliased(User)
    query = (
        select(AuditEvent)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .options(contains_eager(AuditEvent.actor.of_type(actor)))
    )
    if where.actor:
        wanted = where.actor.strip().lower()
        actor_id = parse_int(wanted)
        query = query.where(
            actor.id == actor_id if actor_id is not None else actor.email == wanted
        )
    if where.action:
        query = query.where(AuditEvent.action == where.action.strip())
    if where.patient_id is not None:
        query = query.where(AuditEvent.patient_id == where.patient_id)
    if where.since is not None:
        query = query.where(AuditEvent.at >= _midnight(where.since))
    if where.until is not None:
        query = query.where(AuditEvent.at < _midnight(where.until + timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


AUDIT_CSV_HEADER = (
    "at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "patient_id",
    "target",
    "ip",
    "details",
)


def audit_csv_lines(where: AuditFilter, chunk: int = 1000) -> Iterator[str]:
    """The filtered log as CSV, read and written a chunk at a time."""
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(AUDIT_CSV_HEADER)
    rows = db.session.scalars(audit_query(where).execution_options(yield_per=chunk))
    for count, event in enumerate(rows, start=1):
        actor = event.actor
        writer.writerow(
            (
                event.at.isoformat(),
                event.actor_id or "",
                actor.email if actor else "",
                actor.role if actor else "",
                event.action,
                event.patient_id or "",
                event.target,
                event.ip,
                json.dumps(event.details, sort_keys=True, default=str),
            )
        )
        if count % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def record_views(patient_id: int, exclude_user_id: int) -> Select[tuple[AuditEvent]]:
    """Who read or changed this patient's record, other than the patient."""
    actor = aliased(User)
    return (
        select(AuditEvent)
        .join(actor, actor.id == AuditEvent.actor_id)
        .options(contains_eager(AuditEvent.actor.of_type(actor)))
        .where(
            AuditEvent.patient_id == patient_id,
            AuditEvent.actor_id != exclude_user_id,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
