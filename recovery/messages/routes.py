"""Message pages: the patient's thread, the staff queue and reply, wound photos."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from recovery.audit.services import audit_values, record_many
from recovery.auth.models import STAFF_ROLES
from recovery.caregivers.services import CHOSEN, patients_cared_for
from recovery.domain.messages import urgent_signs
from recovery.extensions import db
from recovery.i18n import local_time
from recovery.messages.forms import ButtonForm, MessageForm
from recovery.messages.models import MessageAttachment
from recovery.messages.photos import (
    CleanPhoto,
    PhotoError,
    clean_photo,
    drop_held,
    held_photo,
    hold_photo,
)
from recovery.messages.services import (
    ConversationError,
    MessageError,
    attachment_path,
    close_conversation,
    mark_read,
    open_conversation,
    patient_messages,
    send_message,
    staff_queue,
    upload_dir,
    urgent_guidance,
)
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for, own_patient
from recovery.patients.contact import urgent_advice
from recovery.patients.models import Patient
from recovery.roles import roles_required

bp = Blueprint("messages", __name__, url_prefix="/messages")
# The session key of a photo held while the urgent guidance is shown.
HELD = "held_photo"


@bp.url_value_preprocessor
def allow_photo_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The page that takes a photo reads up to twice its limit (other pages keep
    MAX_CONTENT_LENGTH), so a photo a little too large gets a message on the
    form rather than an error page. Runs before CSRF reads the form."""
    if endpoint == "messages.mine" and request.method == "POST":
        request.max_content_length = 2 * current_app.config["MESSAGE_PHOTO_MAX_BYTES"]


@bp.after_request
def no_store(response: Response) -> Response:
    """Messages and photos are patient data: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _photo_limit() -> int:
    return int(current_app.config["MESSAGE_PHOTO_MAX_BYTES"])


def _read_photo(form: MessageForm) -> CleanPhoto | None:
    upload = request.files.get(form.photo.name)
    if upload is None or not upload.filename:
        return None
    limit = _photo_limit()
    return clean_photo(upload.read(limit + 1), limit)


def _thread_page(
    template: str, patient: Patient, form: MessageForm, **context: Any
) -> str:
    return render_template(
        template,
        patient=patient,
        messages=patient_messages(patient),
        conversation=open_conversation(patient),
        form=form,
        advice=context.pop("advice", None) or urgent_advice(patient),
        **context,
    )


@bp.route("/mine", methods=["GET", "POST"])
@roles_required("patient", "caregiver")
def mine() -> Response | tuple[str, int] | str:
    """The patient's (or caregiver's) conversation with the care team."""
    wanted = request.args.get("patient", type=int)
    # A notice's link names the patient; open that one if this person helps them.
    if current_user.role == "caregiver" and wanted is not None:
        helped = {link.patient_id for link in patients_cared_for(current_user)}
        if wanted in helped:
            session[CHOSEN] = wanted
    patient = own_patient(current_user, "view_messages")
    form = MessageForm()
    warning = None
    if form.validate_on_submit():
        body = form.body.data or ""
        try:
            photo = _read_photo(form)
        except PhotoError as error:
            form.photo.errors = [str(error)]
            photo = None
        confirmed = form.confirmed.data == "yes"
        held = session.get(HELD)
        if photo is None and confirmed and not form.photo.errors:
            # The photo chosen before the guidance was shown goes with the message.
            photo = held_photo(upload_dir(), held, _photo_limit())
        signs = urgent_signs(body)
        if not form.photo.errors and signs and not confirmed:
            # Shown before the message goes: it waits for clinic hours.
            advice = urgent_guidance(patient, signs)
            form.confirmed.data = "yes"
            drop_held(upload_dir(), session.pop(HELD, None))
            if photo is not None:
                session[HELD] = hold_photo(upload_dir(), photo, time.time())
            page = _thread_page(
                "messages/mine.html",
                patient,
                form,
                warning=advice.message,
                advice=advice,
                photo_held=photo is not None,
            )
            db.session.commit()
            return page, 200
        if not form.photo.errors:
            try:
                with db.session.begin_nested():  # undone alone: the audit row stays
                    message = send_message(patient, current_user, body, utcnow(), photo)
            except MessageError as error:
                form.body.errors = [error.message]
            else:
                urgent = message.alert_id is not None
                db.session.commit()
                drop_held(upload_dir(), session.pop(HELD, None))
                flash(
                    _(
                        "Your message is sent. Your care team reads messages "
                        "during clinic hours."
                    ),
                    "success",
                )
                if urgent:
                    flash(urgent_guidance(patient, signs).message, "error")
                return redirect(url_for("messages.mine"))
    if request.method == "GET":
        mark_read(patient, current_user)
    page = _thread_page("messages/mine.html", patient, form, warning=warning)
    db.session.commit()
    return page, (400 if form.errors else 200)


@bp.route("/")
@roles_required(*STAFF_ROLES)
def queue() -> str:
    """Open conversations of the care team's patients: unread first, then oldest."""
    conversations = staff_queue(current_user)
    record_many(
        [
            audit_values("view_message_queue", patient_id=c.patient_id)
            for c in conversations
        ]
    )
    page = render_template(
        "messages/queue.html", conversations=conversations, title=_("Messages")
    )
    db.session.commit()
    return page


@bp.route("/patients/<int:patient_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def conversation(patient_id: int) -> Response | tuple[str, int]:
    """One patient's conversation: read it, reply, close it."""
    patient = get_patient_for(current_user, patient_id, "view_messages")
    form = MessageForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():  # undone alone: the audit row stays
                send_message(patient, current_user, form.body.data or "", utcnow())
        except MessageError as error:
            form.body.errors = [error.message]
        else:
            db.session.commit()
            flash(
                _("Your reply to %(name)s is sent.", name=patient.user.name), "success"
            )
            return redirect(url_for("messages.conversation", patient_id=patient_id))
    if request.method == "GET":
        mark_read(patient, current_user)
    page = _thread_page(
        "messages/conversation.html", patient, form, button=ButtonForm()
    )
    db.session.commit()
    return page, (400 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/close", methods=["POST"])
@roles_required(*STAFF_ROLES)
def close(patient_id: int) -> Response:
    """Close the open conversation; it leaves the queue."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    patient = get_patient_for(current_user, patient_id, "view_messages")
    try:
        close_conversation(patient, current_user, utcnow())
    except ConversationError as error:
        flash(str(error), "info")
    else:
        flash(
            _("The conversation with %(name)s is closed.", name=patient.user.name),
            "success",
        )
    db.session.commit()
    return redirect(url_for("messages.queue"))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Response:
    """A wound photo, only for who may see the patient; never cached."""
    item = db.session.get(MessageAttachment, attachment_id)
    if item is None:
        abort(404)
    get_patient_for(current_user, item.patient_id, "view_messages")
    db.session.commit()
    path = attachment_path(item)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, max_age=0, etag=False)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_template_filter("message_time")
def message_time(value: datetime) -> str:
    """When a message was written, on the reader's own clock."""
    zone = getattr(current_user, "timezone", None) or "UTC"
    return local_time(value, zone, "datetime_zone")


@bp.app_template_global()
def message_author(message: Any, patient: Patient) -> str:
    """Who wrote a message, as the thread shows it."""
    if message.author is None:
        return "Former member of the team"
    if message.author_id == current_user.id:
        return "You"
    if message.from_staff:
        return f"{message.author.name} (care team)"
    if message.author_id == patient.user_id:
        return message.author.name
    return f"{message.author.name} (caregiver)"
