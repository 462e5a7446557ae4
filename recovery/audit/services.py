"""The audit-log helper every read or change of patient data calls."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.extensions import db


def record(
    action: str,
    *,
    patient_id: int | None = None,
    actor: User | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row (actor, action, patient, time, IP); the caller commits."""
    ip = ""
    if has_request_context():
        ip = request.remote_addr or ""
        if actor is None and current_user.is_authenticated:
            actor = current_user
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        patient_id=patient_id,
        target=target[:200],
        ip=ip[:45],
        details=details or {},
    )
    db.session.add(event)
    return event
