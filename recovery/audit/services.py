"""The audit-log helper every read or change of patient data calls."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.db import utcnow
from recovery.extensions import db


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


def record(action: str, **fields: Any) -> AuditEvent:
    """Add an audit row; the caller commits."""
    event = AuditEvent(**audit_values(action, **fields))
    db.session.add(event)
    return event


def record_many(rows: list[dict[str, Any]]) -> None:
    """Insert many rows from audit_values() in one statement; the caller commits."""
    if rows:
        db.session.execute(insert(AuditEvent), rows)
