"""A patient's conversation with the care team, and wound photos attached to it."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, abort
from apiflask.fields import DateTime, File, Integer, List, Nested, String
from apiflask.validators import Length
from flask import Response, current_app, request, send_file, url_for
from flask_login import current_user

from recovery.api import auth, bp
from recovery.api.schemas import AdviceOut
from recovery.extensions import db
from recovery.messages.models import Message, MessageAttachment
from recovery.messages.photos import PhotoError, clean_photo, remove_photo
from recovery.messages.services import (
    BODY_MAX,
    MessageError,
    add_photo,
    attachment_path,
    patient_messages,
    send_message,
    upload_dir,
    urgent_guidance,
)
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for


@bp.url_value_preprocessor
def allow_photo_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A photo upload may be larger than other requests: MESSAGE_PHOTO_MAX_BYTES."""
    if endpoint == "api.attach_photo":
        request.max_content_length = 2 * current_app.config["MESSAGE_PHOTO_MAX_BYTES"]


class MessageIn(Schema):
    """A message to the care team (or a reply from it)."""

    body = String(required=True, validate=Length(min=1, max=BODY_MAX))


class AttachmentOut(Schema):
    """A wound photo, re-encoded without metadata."""

    id = Integer()
    content_type = String(metadata={"enum": ["image/jpeg", "image/png"]})
    width = Integer()
    height = Integer()
    url = String()


class AttachmentCreated(AttachmentOut):
    """The photo just attached (its own name: apispec met AttachmentOut twice here)."""


class MessageOut(Schema):
    """One message of the conversation."""

    id = Integer()
    patient_id = Integer()
    author_id = Integer(allow_none=True)
    body = String()
    created_at = DateTime()
    alert_id = Integer(allow_none=True)
    attachments = List(Nested(AttachmentOut))
    advice = Nested(AdviceOut)


class PhotoIn(Schema):
    """A JPEG or PNG photo, as multipart/form-data field `photo`."""

    photo = File(required=True)


def attachment_document(item: MessageAttachment, patient_id: int) -> dict[str, Any]:
    """An attachment as the API shows it."""
    return {
        "id": item.id,
        "content_type": item.content_type,
        "width": item.width,
        "height": item.height,
        "url": url_for(
            "api.get_photo",
            patient_id=patient_id,
            message_id=item.message_id,
            attachment_id=item.id,
        ),
    }


def message_document(message: Message) -> dict[str, Any]:
    """A message as the API shows it."""
    return {
        "id": message.id,
        "patient_id": message.patient_id,
        "author_id": message.author_id,
        "body": message.body,
        "created_at": message.created_at,
        "alert_id": message.alert_id,
        "attachments": [
            attachment_document(a, message.patient_id) for a in message.attachments
        ],
    }


@bp.post("/patients/<int:patient_id>/messages")
@bp.auth_required(auth)
@bp.input(MessageIn, arg_name="body")
@bp.output(MessageOut, status_code=201)
@bp.doc(responses=[400, 401, 403, 404, 422])
def post_message(patient_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Write to the care team (patient, caregiver) or reply (care team).

    Text naming an urgent sign raises an alert (`alert_id`) and comes back with
    `advice`: messages wait for clinic hours, urgent signs must not.
    """
    patient = get_patient_for(current_user, patient_id, "api_view_messages")
    try:
        with db.session.begin_nested():  # undone alone: the audit row stays
            message = send_message(patient, current_user, body["body"], utcnow())
    except MessageError as error:
        db.session.commit()
        abort(422, error.message, detail={error.field: [error.message]})
    document = message_document(message)
    db.session.commit()
    if message.alert_id is not None:
        from recovery.domain.messages import urgent_signs

        advice = urgent_guidance(patient, urgent_signs(message.body))
        document["advice"] = advice.as_dict()
    return document


@bp.get("/patients/<int:patient_id>/messages")
@bp.auth_required(auth)
@bp.output(MessageOut(many=True))
@bp.doc(responses=[401, 403, 404])
def list_messages(patient_id: int) -> list[dict[str, Any]]:
    """The conversation with the care team, oldest first."""
    patient = get_patient_for(current_user, patient_id, "api_view_messages")
    documents = [message_document(m) for m in patient_messages(patient)]
    db.session.commit()
    return documents


def _message_or_404(patient_id: int, message_id: int) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.patient_id != patient_id:
        abort(404, "No such message.")
    return message


@bp.post("/patients/<int:patient_id>/messages/<int:message_id>/attachments")
@bp.auth_required(auth)
@bp.input(PhotoIn, location="files", arg_name="files")
@bp.output(AttachmentCreated, status_code=201)
@bp.doc(responses=[400, 401, 403, 404, 413, 422])
def attach_photo(patient_id: int, message_id: int, files: dict[str, Any]) -> Any:
    """Attach a wound photo (JPEG or PNG, MESSAGE_PHOTO_MAX_BYTES) to one's message."""
    patient = get_patient_for(current_user, patient_id, "api_view_messages")
    message = _message_or_404(patient.id, message_id)
    if message.author_id != current_user.id:
        abort(403, "Only the author of a message may attach a photo to it.")
    limit = current_app.config["MESSAGE_PHOTO_MAX_BYTES"]
    try:
        photo = clean_photo(files["photo"].read(limit + 1), limit)
    except PhotoError as error:
        db.session.commit()  # nothing was written but the audit row
        abort(422, str(error), detail={"photo": [str(error)]})
    item = add_photo(message, photo, utcnow())
    try:
        document = attachment_document(item, patient.id)
        db.session.commit()
    except Exception:  # the row is not kept: nor is its file
        remove_photo(upload_dir(), item.stored_name)
        raise
    return document


@bp.get(
    "/patients/<int:patient_id>/messages/<int:message_id>/attachments/<int:attachment_id>"
)
@bp.auth_required(auth)
@bp.doc(
    responses={
        200: {
            "description": "The photo, re-encoded without metadata; never cached.",
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        401: "Not logged in",
        403: "Not in the care team",
        404: "No such photo",
    }
)
def get_photo(patient_id: int, message_id: int, attachment_id: int) -> Response:
    """A wound photo, for who may see the patient."""
    patient = get_patient_for(current_user, patient_id, "api_view_messages")
    item = db.session.get(MessageAttachment, attachment_id)
    db.session.commit()
    if item is None or item.message_id != message_id or item.patient_id != patient.id:
        abort(404, "No such photo.")
    path = attachment_path(item)
    if not path.is_file():
        abort(404, "No such photo.")
    response = send_file(path, mimetype=item.content_type, max_age=0, etag=False)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Messages, photos and caregivers are patient data: no cache keeps them.
NO_STORE_ENDPOINTS = frozenset(
    {
        "api.post_message",
        "api.list_messages",
        "api.attach_photo",
        "api.get_photo",
        "api.invite",
        "api.list_caregivers",
    }
)


@bp.after_request
def no_store(response: Response) -> Response:
    """Cache-Control: no-store on this module's and the caregivers' answers."""
    if request.endpoint in NO_STORE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response
