"""Message use cases: write, reply, read, close, the staff queue, wound photos.

Functions change rows and flush; the request commits once. A message's text is
patient data: it goes in no log line, no audit detail and no email.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, insert, select
from sqlalchemy.orm import joinedload, selectinload

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.auth.services import external_url
from recovery.caregivers.models import Caregiver
from recovery.domain.messages import UrgentSign, guidance, urgent_signs
from recovery.domain.symptoms import Finding
from recovery.extensions import db
from recovery.i18n import current_language
from recovery.messages.models import Conversation, Message, MessageAttachment, open_of
from recovery.messages.photos import CleanPhoto, remove_photo, store_photo
from recovery.patients.contact import Advice, urgent_advice
from recovery.patients.models import CareTeamMember, Patient
from recovery.reminders.models import Reminder
from recovery.reminders.planning import preferences
from recovery.symptoms.services import raise_alerts, red_flag_rules

BODY_MAX = 5000
URGENT_RULE = "message_urgent_sign"


def urgent_guidance(patient: Patient, signs: list[UrgentSign]) -> Advice:
    """Whom to call about the signs a message names (the care team's number)."""
    advice = urgent_advice(patient)
    fever_c = red_flag_rules().fever_with_wound_c
    return replace(
        advice,
        message=guidance(
            signs,
            advice.care_team_phone,
            advice.emergency_number,
            fever_c,
            current_language(),
        ),
    )


def upload_dir() -> str:
    """Where wound photos are kept: outside the web root, never served statically."""
    return str(current_app.config["MESSAGE_UPLOAD_DIR"])


def patient_messages(patient: Patient) -> list[Message]:
    """The whole conversation of a patient with their care team, oldest first."""
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.patient_id == patient.id)
            .options(joinedload(Message.author), selectinload(Message.attachments))
            .order_by(Message.created_at, Message.id)
        )
    )


def open_conversation(patient: Patient) -> Conversation | None:
    """The patient's open conversation, if any."""
    return db.session.scalar(open_of(patient.id))


class MessageError(ValueError):
    """A refused message, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def send_message(
    patient: Patient,
    author: User,
    body: str,
    now: datetime,
    photo: CleanPhoto | None = None,
) -> Message:
    """Store a message (and its photo); urgent words open an alert. Flushes.

    The patient's side reopens the conversation or starts one; staff replies too.
    Both sides are notified in the app and by email, without the text.
    """
    text = body.strip()
    if not text:
        raise MessageError("body", _("Write your message first."))
    if len(text) > BODY_MAX:
        raise MessageError(
            "body", _("Please keep a message under %(max)s characters.", max=BODY_MAX)
        )
    from_staff = author.is_staff
    conversation = open_conversation(patient)
    if conversation is None:
        conversation = Conversation(patient_id=patient.id, created_at=now)
        db.session.add(conversation)
    conversation.last_message_at = now
    conversation.unread_by_staff = not from_staff
    conversation.unread_by_patient = from_staff
    message = Message(
        conversation=conversation,
        patient_id=patient.id,
        author_id=author.id,
        from_staff=from_staff,
        body=text,
        created_at=now,
    )
    db.session.add(message)
    signs = [] if from_staff else urgent_signs(text)
    if signs:
        fever_c = red_flag_rules().fever_with_wound_c
        (alert,) = raise_alerts(patient, [urgent_finding(signs, fever_c)], now)
        message.alert_id = alert.id
    db.session.flush()
    if photo is not None:
        _attach(message, photo, now)
    record(
        "send_message",
        patient_id=patient.id,
        target=f"message:{message.id}",
        details={"alert": message.alert_id, "photos": len(message.attachments)},
    )
    queue_notices(message, patient, now)
    return message


def add_photo(message: Message, photo: CleanPhoto, now: datetime) -> MessageAttachment:
    """A photo added to a message already sent (by its author). Flushes."""
    item = _attach(message, photo, now)
    try:
        record(
            "attach_photo",
            patient_id=message.patient_id,
            target=f"message:{message.id}",
            details={"attachment": item.id},
        )
    except Exception:
        remove_photo(upload_dir(), item.stored_name)
        raise
    return item


def _attach(message: Message, photo: CleanPhoto, now: datetime) -> MessageAttachment:
    """The photo stored on disk and its row written; the file is removed again if
    the row cannot be."""
    stored = store_photo(upload_dir(), photo)
    item = MessageAttachment(
        patient_id=message.patient_id,
        stored_name=stored,
        content_type=photo.content_type,
        size_bytes=len(photo.data),
        width=photo.width,
        height=photo.height,
        created_at=now,
    )
    message.attachments.append(item)
    try:
        db.session.flush()
    except Exception:
        remove_photo(upload_dir(), stored)
        raise
    return item


def urgent_finding(signs: list[UrgentSign], fever_c: float) -> Finding:
    """The alert a message with urgent words raises, naming the signs, not the text
    (the patient's home banner shows it too: "You reported: Named in a message …")."""
    named = "; ".join(sign.description.format(fever_c=fever_c) for sign in signs)
    return Finding("urgent", URGENT_RULE, f"Named in a message: {named}.")


def _recipients(
    message: Message, patient: Patient
) -> list[tuple[User, tuple[str, dict[str, int]]]]:
    """Who is told of a message, each with the endpoint and arguments it opens."""
    if message.from_staff:
        people = [
            patient.user,
            *db.session.scalars(
                select(User)
                .join(Caregiver, Caregiver.user_id == User.id)
                .where(Caregiver.patient_id == patient.id, Caregiver.status == "active")
            ),
        ]
        target = ("messages.mine", {"patient": patient.id})
    else:
        people = list(
            db.session.scalars(
                select(User)
                .join(CareTeamMember, CareTeamMember.user_id == User.id)
                .where(CareTeamMember.patient_id == patient.id)
            )
        )
        target = ("messages.conversation", {"patient_id": patient.id})
    return [
        (user, target)
        for user in people
        if user.active and user.id != message.author_id
    ]


def queue_notices(message: Message, patient: Patient, now: datetime) -> int:
    """An in-app notice and an email for each recipient; they say only that there
    is a new message, with a link (dispatch sends them within a minute)."""
    rows: list[dict[str, Any]] = []
    for user, (endpoint, values) in _recipients(message, patient):
        for channel in preferences(user).channels:
            # The inbox shows the page's path as a link; an email needs it whole.
            link = external_url(endpoint, **values)
            body = (
                _path(link)
                if channel == "in_app"
                else f"You have a new message in Recovery. Open it here: {link}"
            )
            rows.append(
                {
                    # No patient on the row: the reminder planner leaves it alone.
                    "patient_id": None,
                    "user_id": user.id,
                    "rule": "message",
                    "channel": channel,
                    "send_at": now,
                    "status": "pending",
                    "attempts": 0,
                    "dedupe_key": f"message:{message.id}:{user.id}:{channel}",
                    "body": body,
                    "last_error": "",
                }
            )
    if rows:
        db.session.execute(insert(Reminder), rows)
    return len(rows)


def _path(url: str) -> str:
    """The path and query of an absolute link (jobs and commands have no request)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def mark_read(patient: Patient, reader: User) -> None:
    """The reader's side has seen the conversation."""
    conversation = open_conversation(patient)
    if conversation is None:
        return
    if reader.is_staff:
        conversation.unread_by_staff = False
    else:
        conversation.unread_by_patient = False


class ConversationError(ValueError):
    """A refused conversation action."""


def close_conversation(patient: Patient, user: User, now: datetime) -> Conversation:
    """Staff close the open conversation; the next message opens a new one."""
    conversation = open_conversation(patient)
    if conversation is None:
        raise ConversationError(_("There is no open conversation."))
    conversation.status = "closed"
    conversation.closed_at = now
    conversation.closed_by_id = user.id
    conversation.unread_by_staff = False
    db.session.flush()
    record(
        "close_conversation",
        patient_id=patient.id,
        target=f"conversation:{conversation.id}",
    )
    return conversation


def staff_queue(user: User, limit: int = 200) -> list[Conversation]:
    """Open conversations of this person's patients: unread first, then oldest."""
    query = select(Conversation).where(Conversation.status == "open")
    if user.role != "admin":
        query = query.where(
            exists().where(
                CareTeamMember.patient_id == Conversation.patient_id,
                CareTeamMember.user_id == user.id,
            )
        )
    return list(
        db.session.scalars(
            query.options(joinedload(Conversation.patient).joinedload(Patient.user))
            .order_by(
                Conversation.unread_by_staff.desc(),
                Conversation.last_message_at,
                Conversation.id,
            )
            .limit(limit)
        )
    )


def attachment_path(attachment: MessageAttachment) -> Path:
    """Where an attachment's file is."""
    return Path(upload_dir()) / attachment.stored_name
