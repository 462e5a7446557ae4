"""The coordinator's landing page: the patients they follow."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user

from recovery.audit.services import record
from recovery.db import utcnow
from recovery.extensions import db
from recovery.patients.services import patient_rows, patients_page
from recovery.reminders.services import reminders_needing_attention
from recovery.roles import roles_required
from recovery.symptoms.forms import AcknowledgeForm
from recovery.symptoms.services import alert_queue

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")


@bp.route("/")
@roles_required("coordinator", "admin")
def dashboard() -> str:
    """The coordinator's patients, one page at a time."""
    page = patients_page(current_user, request.args.get("page", 1, type=int))
    alerts = alert_queue(current_user)
    troubles = reminders_needing_attention(current_user, utcnow() - timedelta(days=7))
    record("list_patients", target="cohorts", details={"page": page.page})
    db.session.commit()
    return render_template(
        "cohorts/dashboard.html",
        page=page,
        rows=patient_rows(page.items, utcnow()),
        alerts=alerts,
        troubles=troubles,
        ack_form=AcknowledgeForm(),
        title="Your cohort",
    )
