"""Caregiver use cases: invite, accept, revoke, choose whom to help.

Functions change rows and flush; the request commits once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import abort, current_app, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.auth.services import describe_duration, external_url, find_user_by_email
from recovery.caregivers.models import Caregiver
from recovery.extensions import db
from recovery.patients.models import Patient

# The session key of the patient a caregiver is helping right now.
CHOSEN = "caring_for"
INVITATION_SALT = "caregiver-invitation"


class CaregiverError(ValueError):
    """A refused caregiver action, naming the field at fault."""

    def __init__(self, field: str, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.conflict = conflict


def invite_caregiver(
    patient: Patient, email: str, name: str, now: datetime
) -> Caregiver:
    """Invite someone to help the patient; makes their account if needed. Flushes."""
    user = find_user_by_email(email)
    if user is None:
        user = User(
            email=email,
            name=name.strip(),
            role="caregiver",
            timezone=patient.user.timezone,
            # Family usually shares the patient's language; they can change it.
            language=patient.user.language,
        )
        db.session.add(user)
    elif user.role != "caregiver":
        raise CaregiverError(
            "email",
            _(
                "This email belongs to an account that cannot be a caregiver. "
                "Ask them for another address."
            ),
            conflict=True,
        )
    link = None
    if user.id is not None:
        link = db.session.scalar(
            select(Caregiver).where(
                Caregiver.patient_id == patient.id, Caregiver.user_id == user.id
            )
        )
    if link is not None and link.status == "active":
        raise CaregiverError(
            "email", _("This person is already one of your caregivers."), True
        )
    if link is None:
        link = Caregiver(patient_id=patient.id, user=user)
        db.session.add(link)
    # A new invitation (or a second one) replaces any earlier link.
    link.status = "invited"
    link.invitation_nonce = secrets.token_hex(16)
    link.invited_at = now
    link.revoked_at = None
    db.session.flush()
    record("invite_caregiver", patient_id=patient.id, target=f"caregiver:{link.id}")
    return link


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=INVITATION_SALT
    )


def send_invitation(link: Caregiver) -> None:
    """Email the caregiver their signed, single-use, expiring link."""
    from recovery.notify.email import send_email

    token = _serializer().dumps({"c": link.id, "n": link.invitation_nonce})
    max_age: timedelta = current_app.config["INVITATION_MAX_AGE"]
    send_email(
        link.user.email,
        _l("You are invited to Recovery as a caregiver"),
        "caregivers/email_invitation",
        user=link.user,
        patient_name=link.patient.user.name,
        link=external_url("caregivers.accept", token=token),
        valid_for=describe_duration(max_age),
        language=link.user.language,
    )


def read_invitation(token: str, max_age: timedelta) -> Caregiver:
    """The invitation a link is for, or CaregiverError saying why it does not work."""
    try:
        data = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise CaregiverError(
            "token", _("This invitation has expired. Ask for a new one.")
        ) from exc
    except BadSignature as exc:
        raise CaregiverError("token", _("This invitation link is not valid.")) from exc
    link = db.session.get(Caregiver, data.get("c")) if isinstance(data, dict) else None
    if (
        link is None
        or link.status != "invited"
        or not link.invitation_nonce
        or not secrets.compare_digest(str(data.get("n")), link.invitation_nonce)
    ):
        raise CaregiverError(
            "token", _("This invitation has already been used or was withdrawn.")
        )
    if not link.user.active:
        raise CaregiverError("token", _("This account is deactivated."))
    return link


def accept_invitation(link: Caregiver, now: datetime) -> None:
    """The caregiver accepts: from now on they see the patient. Flushes."""
    link.status = "active"
    link.accepted_at = now
    link.invitation_nonce = None
    db.session.flush()
    record(
        "accept_caregiver",
        patient_id=link.patient_id,
        actor=link.user,
        target=f"caregiver:{link.id}",
    )


def revoke_caregiver(link: Caregiver, now: datetime) -> None:
    """End a caregiver's access at once (the next request is refused). Flushes."""
    from recovery.reminders.planning import replan_reminders

    before = link.status
    link.status = "revoked"
    link.revoked_at = now
    link.invitation_nonce = None
    db.session.flush()
    record(
        "revoke_caregiver",
        patient_id=link.patient_id,
        target=f"caregiver:{link.id}",
        details={"before": {"status": before}, "after": {"status": "revoked"}},
    )
    replan_reminders([link.patient], now)


def set_reminders(link: Caregiver, wanted: bool, now: datetime) -> None:
    """The patient's choice: this caregiver gets their reminders, or not."""
    from recovery.reminders.planning import replan_reminders

    if link.receives_reminders == wanted:
        return
    link.receives_reminders = wanted
    db.session.flush()
    record(
        "caregiver_reminders",
        patient_id=link.patient_id,
        target=f"caregiver:{link.id}",
        details={"after": {"receives_reminders": wanted}},
    )
    replan_reminders([link.patient], now)


def caregivers_of(patient: Patient) -> list[Caregiver]:
    """The patient's caregivers with their accounts: current ones first."""
    return list(
        db.session.scalars(
            select(Caregiver)
            .where(Caregiver.patient_id == patient.id)
            .options(joinedload(Caregiver.user))
            .order_by(Caregiver.status == "revoked", Caregiver.id)
        )
    )


def caregiver_link(patient: Patient, caregiver_id: int) -> Caregiver | None:
    """One of the patient's caregiver links by id."""
    link = db.session.get(Caregiver, caregiver_id)
    return link if link is not None and link.patient_id == patient.id else None


def patients_cared_for(user: User) -> list[Caregiver]:
    """The active links of a caregiver, with each patient's name loaded."""
    return list(
        db.session.scalars(
            select(Caregiver)
            .where(Caregiver.user_id == user.id, Caregiver.status == "active")
            .options(joinedload(Caregiver.patient).joinedload(Patient.user))
            .order_by(Caregiver.id)
        )
    )


def chosen_patient_id(user: User) -> int:
    """The patient this caregiver is helping now; sends them to choose if unclear."""
    links = db.session.execute(
        select(Caregiver.patient_id).where(
            Caregiver.user_id == user.id, Caregiver.status == "active"
        )
    ).scalars()
    ids = list(links)
    chosen = session.get(CHOSEN)
    if chosen in ids:
        return int(chosen)
    if len(ids) == 1:
        session[CHOSEN] = ids[0]
        return ids[0]
    abort(redirect(url_for("caregivers.choose")))
