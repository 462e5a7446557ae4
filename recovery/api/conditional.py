"""ETags and If-Match: two people editing one record at once cannot overwrite
each other; the second gets 412 and reloads.

A patient's `version` moves with every change of the record or its timeline.
The patient's ETag is "p<id>.v<version>"; the timeline's adds the patient's
calendar day, as statuses ("due", "missed") follow the date.
"""

from __future__ import annotations

import re
from datetime import date

from apiflask import abort
from flask import Response, request
from sqlalchemy import update

from recovery.extensions import db
from recovery.patients.models import Patient

_TAG = re.compile(r"^[pt](\d+)\.v(\d+)(?:\.(\d{4}-\d{2}-\d{2}))?$")


def patient_etag(patient: Patient) -> str:
    """The patient document's entity tag (unquoted)."""
    return f"p{patient.id}.v{patient.version}"


def timeline_etag(patient: Patient, today: date) -> str:
    """The timeline document's entity tag (unquoted)."""
    return f"t{patient.id}.v{patient.version}.{today.isoformat()}"


def not_modified(tag: str) -> Response | None:
    """A 304 when the client already holds this version (If-None-Match)."""
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": f'"{tag}"'})
    return None


def claim(patient: Patient, current: str) -> None:
    """Honour If-Match before a change: 412 unless the client saw `current`.

    The claim is one UPDATE ... WHERE version = <the client's version>, so of two
    requests holding the same tag exactly one gets through, on SQLite and
    PostgreSQL alike. Without If-Match the change goes ahead (older clients).

    The read transaction ends here, whatever the headers: its audit row stands,
    and a change refused after the claim is undone by a rollback, version and all.
    """
    # SQLite cannot upgrade a stale snapshot to a write: the claim must be the
    # first statement of its transaction.
    db.session.commit()
    if "If-Match" not in request.headers:
        return
    if request.if_match.star_tag:
        return
    if not request.if_match.contains(current):
        _refuse()
    match = _TAG.match(current)
    assert match is not None
    claimed = db.session.execute(
        update(Patient.__table__)
        .where(
            Patient.__table__.c.id == patient.id,
            Patient.__table__.c.version == int(match.group(2)),
        )
        .values(version=Patient.__table__.c.version + 1)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        _refuse()
    db.session.expire(patient, ["version"])


def _refuse() -> None:
    abort(
        412,
        "This record changed since you read it: fetch it again, then retry.",
        detail={"If-Match": ["Does not match the current ETag."]},
    )


def tagged(body: object, tag: str) -> tuple[object, int, dict[str, str]]:
    """A response body with its ETag."""
    return body, 200, {"ETag": f'"{tag}"'}
