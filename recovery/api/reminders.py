"""A patient's reminders."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from recovery.api import auth, bp
from recovery.api.schemas import ReminderOut
from recovery.extensions import db
from recovery.patients.access import get_patient_for
from recovery.reminders.models import Reminder


@bp.get("/patients/<int:patient_id>/reminders")
@bp.auth_required(auth)
@bp.output(ReminderOut(many=True))
@bp.doc(responses=[401, 403, 404])
def list_reminders(patient_id: int) -> list[Any]:
    """The patient's own reminders (not staff alerts about them), by send time."""
    patient = get_patient_for(current_user, patient_id, "api_view_reminders")
    db.session.commit()
    return list(
        db.session.scalars(
            select(Reminder)
            .where(
                Reminder.patient_id == patient.id, Reminder.user_id == patient.user_id
            )
            .order_by(Reminder.send_at, Reminder.id)
            .limit(2000)
        )
    )
