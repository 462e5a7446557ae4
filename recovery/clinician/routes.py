"""The clinician's landing page: the patients they follow."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from recovery.audit.services import record
from recovery.db import utcnow
from recovery.extensions import db
from recovery.patients.services import patient_rows, patients_page
from recovery.roles import roles_required

bp = Blueprint("clinician", __name__, url_prefix="/clinician")


@bp.route("/")
@roles_required("clinician", "admin")
def schedule() -> str:
    """The clinician's patients, one page at a time."""
    page = patients_page(current_user, request.args.get("page", 1, type=int))
    record("list_patients", target="clinician", details={"page": page.page})
    db.session.commit()
    return render_template(
        "clinician/schedule.html",
        page=page,
        rows=patient_rows(page.items, utcnow()),
        title="Your patients",
    )
