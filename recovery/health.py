"""Health checks for load balancers and orchestrators (no login, no patient data)."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import text

from recovery.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def live() -> Response:
    """The process answers (liveness): no database, no session, no template."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/healthz/ready")
@limiter.exempt
def ready() -> Response:
    """The database answers too (readiness); 503 while it does not."""
    db.session.execute(text("SELECT 1"))  # an OperationalError becomes a 503
    return Response("ready\n", mimetype="text/plain")
