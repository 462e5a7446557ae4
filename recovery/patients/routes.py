"""The patient's home page and the staff view of one patient."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from recovery.audit.services import record_views
from recovery.auth.models import STAFF_ROLES
from recovery.auth.services import send_link
from recovery.domain.notes import EDIT_WINDOW
from recovery.domain.plan import (
    MALIGNANCIES,
    ORIGINS,
    PROCEDURES,
    TUMOR_LOCATIONS,
    post_op_day,
)
from recovery.errors import flatten_fields
from recovery.extensions import db
from recovery.i18n import current_language
from recovery.notes.forms import NoteForm
from recovery.notes.services import patient_notes
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for, own_patient
from recovery.patients.contact import tel, urgent_advice
from recovery.patients.forms import PhoneForm
from recovery.patients.models import Patient
from recovery.patients.schemas import PatientIn
from recovery.patients.services import (
    PLAN_FIELDS,
    PatientError,
    active_staff,
    change_patient,
    duplicates,
    enrol_patient,
    home_state,
)
from recovery.roles import roles_required
from recovery.symptoms.services import (
    checked_in_on,
    due_questionnaire,
    patient_alerts,
    urgent_banner,
    urgent_signs_for_reader,
)
from recovery.symptoms.trends import trend_data
from recovery.timeline.forms import CompleteForm
from recovery.timeline.services import (
    PHASE_NAMES,
    check_in_asked_on,
    phase_of,
    timeline_view,
)
from recovery.validation import query_int
from recovery.zones import local_today, timezone_names

bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.route("/me")
@roles_required("patient", "caregiver")
def home() -> str:
    """The patient's own page."""
    patient = own_patient(current_user, "view_home")
    now = utcnow()
    today = local_today(patient.user.timezone, now)
    # One query for the page's yes/no questions; the urgent alerts themselves
    # are read only when there are some.
    state = home_state(patient, current_user, today, now)
    g.unread_messages = state.unread_messages  # the header's count (inject_unread)
    page = _render_patient(
        "patients/home.html",
        patient,
        now,
        today,
        checked_in=state.checked_in,
        unread_reply=state.unread_reply,
        banner=urgent_banner(patient, now) if state.urgent else [],
        check_in_asked=check_in_asked_on(patient, today),
        odi_due=due_questionnaire(patient, today),
        advice=urgent_advice(patient),
        signs=urgent_signs_for_reader(),
    )
    db.session.commit()
    return page


# What each audited action means, said to the patient whose record it touched.
ACCESS_WORDS = {  # shown lazily, in the reader's language
    "view_patient": _l("opened your record"),
    "view_timeline": _l("looked at your timeline"),
    "view_symptoms": _l("looked at your check-ins"),
    "view_alerts": _l("looked at your alerts"),
    "view_notes": _l("looked at the notes on your record"),
    "view_reminders": _l("looked at your reminders"),
    "update_patient": _l("changed your plan or details"),
    "recompute_timeline": _l("updated your timeline"),
    "override_event": _l("changed an item of your timeline"),
    "add_event": _l("added an item to your timeline"),
    "review_event": _l("signed off an item of your timeline"),
    "complete_event": _l("marked an item done"),
    "acknowledge_alert": _l("acknowledged an alert"),
    "add_note": _l("added a note"),
    "edit_note": _l("changed a note"),
    "correct_note": _l("added a correction to a note"),
    "start_episode": _l("started a new treatment episode"),
    "access_denied": _l("tried to open your record and was refused"),
    "create_patient": _l("enrolled you"),
    "list_patient": _l("saw you in the cohort list"),
    "list_alert": _l("saw your alerts in the list of alerts"),
    "export_patient": _l("exported your row to a spreadsheet"),
    "list_account": _l("saw your account in the list of users"),
    "list_schedule": _l("saw your appointments in their schedule"),
    "view_messages": _l("read your messages"),
    "api_view_messages": _l("read your messages"),
    "send_message": _l("wrote a message"),
    "close_conversation": _l("closed your conversation"),
    "view_message_queue": _l("saw you in the message queue"),
    "accept_caregiver": _l("accepted your invitation as a caregiver"),
    "view_caregiving": _l("saw you in their list of people they help"),
    "view_caregivers": _l("looked at your caregivers"),
}


@bp.route("/me/access")
@roles_required("patient")
def access_log() -> str:
    """Who on the staff read or changed this patient's record, newest first."""
    patient = own_patient(current_user, "view_access_log")
    page = db.paginate(
        record_views(patient.id, current_user.id),
        page=query_int("page", 1),
        per_page=50,
        error_out=False,
    )
    html = render_template(
        "patients/access.html",
        page=page,
        words=ACCESS_WORDS,
        zone=ZoneInfo(current_user.timezone),
        title=_("Who saw my record"),
    )
    db.session.commit()
    return html


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new() -> Response | tuple[str, int]:
    """Enrol a patient with their whole plan; they get an invitation email."""
    errors: dict[str, str] = {}
    values: dict[str, str] = dict(request.form) if request.method == "POST" else {}
    if request.method == "POST":
        try:
            # The API's own schema: the page and POST /patients validate alike.
            data = PatientIn().load(enrolment_body(request.form))
            patient = enrol_patient(data, current_user, utcnow())
        except ValidationError as error:
            errors = plain_words(flatten_fields(error.messages))
            # Name a taken email or MRN now too, not after the other fixes.
            errors = {
                **duplicates(request.form.get("email"), request.form.get("mrn")),
                **errors,
            }
        except PatientError as error:
            db.session.rollback()
            errors = dict(error.fields)
        else:
            db.session.commit()
            send_link(patient.user, "invitation")
            flash(
                _(
                    "%(name)s is enrolled; an invitation went to %(email)s.",
                    name=patient.user.name,
                    email=patient.user.email,
                ),
                "success",
            )
            return redirect(url_for("patients.detail", patient_id=patient.id))
    else:
        values = {
            "timezone": current_app.config["CLINIC_TIMEZONE"],
            "language": current_app.config["LANGUAGES"][0],
            "radiation_start_day": "14",
            "radiation_weeks": "2",
            "radiation_minutes_per_session": "",
            "brace_weeks": "6",
            "coordinator_id": (
                str(current_user.id) if current_user.role == "coordinator" else ""
            ),
            "clinician_id": (
                str(current_user.id) if current_user.role == "clinician" else ""
            ),
        }
    clinicians, coordinators = active_staff()
    return render_template(
        "patients/new.html",
        values=values,
        errors=errors,
        clinicians=clinicians,
        coordinators=coordinators,
        zones=timezone_names(),
        choices={
            name: [(v, v.replace("_", " ").capitalize()) for v in options]
            for name, options in (
                ("procedure", PROCEDURES),
                ("tumor_location", TUMOR_LOCATIONS),
                ("malignancy", MALIGNANCIES),
                ("origin", ORIGINS),
            )
        },
        title=_("Enrol a patient"),
    ), (400 if errors else 200)


# What the enrolment form asks for, in the words its errors use.
ENROLMENT_WORDS = {
    "name": "Enter the patient's full name.",
    "email": "Enter the patient's email address.",
    "mrn": "Enter the medical record number (MRN).",
    "date_of_birth": "Enter the date of birth.",
    "timezone": "Enter the timezone where the patient lives, e.g. America/Chicago.",
    "surgery_date": "Enter the surgery date.",
    "procedure": "Choose the procedure.",
    "tumor_location": "Choose the tumor location.",
    "malignancy": "Choose benign, malignant or unknown.",
    "radiation.start_day": "Enter the day of the first radiation session (7 to 14).",
    "radiation.weeks": "Enter the weeks of radiation (2 to 6).",
    "radiation.minutes_per_session": "Enter the minutes per radiation session.",
    "brace.weeks": "Enter the weeks of brace.",
}
# The schema's generic messages, as a person would say them on the form.
GENERIC_WORDS = {
    "Not a valid date.": "Enter a full date (day, month and year).",
    "Not a valid email address.": "Enter an email address such as name@example.org.",
    "Not a valid integer.": "Enter a whole number.",
}


def plain_words(errors: dict[str, str]) -> dict[str, str]:
    """Marshmallow's messages ("Missing data for required field.") in plain words."""
    words = {}
    for field, message in errors.items():
        if "Missing data for required field." in message or message.startswith(
            "Field may not be null."
        ):
            message = ENROLMENT_WORDS.get(field, "Fill in this field.")
        words[field] = GENERIC_WORDS.get(message, message)
    return words


def enrolment_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """The enrolment form in POST /patients' shape; blanks are left out."""
    body: dict[str, Any] = {
        key: form[key].strip()
        for key in (
            *("name", "email", "mrn", "date_of_birth", "timezone", "phone", "language"),
            *(f for f in PLAN_FIELDS if not f.startswith(("radiation_", "brace_"))),
        )
        if form.get(key, "").strip()
    }
    for key in ("clinician_id", "coordinator_id"):
        body[key] = form.get(key) or None
    radiation: dict[str, Any] = {"planned": "radiation_planned" in form}
    for key in ("start_day", "weeks", "minutes_per_session"):
        if form.get(f"radiation_{key}", "").strip():
            radiation[key] = form[f"radiation_{key}"].strip()
    brace: dict[str, Any] = {"required": "brace_required" in form}
    if form.get("brace_weeks", "").strip():
        brace["weeks"] = form["brace_weeks"].strip()
    body["radiation"], body["brace"] = radiation, brace
    return body


@bp.route("/<int:patient_id>")
@roles_required(*STAFF_ROLES)
def detail(patient_id: int) -> str:
    """One patient's record, for their care team."""
    patient = get_patient_for(current_user, patient_id, "view_patient")
    page = _render_detail(patient)
    db.session.commit()
    return page


@bp.route("/<int:patient_id>/phone", methods=["POST"])
@roles_required(*STAFF_ROLES)
def change_phone(patient_id: int) -> Response | tuple[str, int]:
    """Change the patient's phone number (audited, before and after)."""
    patient = get_patient_for(current_user, patient_id, "view_patient")
    form = PhoneForm()
    if not form.validate_on_submit():
        # The page again, the number as typed and the reason beside it.
        page = _render_detail(patient, form)
        db.session.commit()
        return page, 400
    change_patient(patient, {"phone": form.phone.data or ""}, utcnow())
    db.session.commit()
    flash(_("Phone number saved."), "success")
    return redirect(url_for("patients.detail", patient_id=patient_id))


def _render_detail(patient: Patient, phone_form: PhoneForm | None = None) -> str:
    """The staff view of the record: its alerts, check-ins and notes too."""
    now = utcnow()
    today = local_today(patient.user.timezone, now)
    return _render_patient(
        "patients/detail.html",
        patient,
        now,
        today,
        checked_in=checked_in_on(patient, today),
        trend=trend_data(patient),
        alerts=patient_alerts(patient),
        notes=patient_notes(patient),
        note_form=NoteForm(),
        phone_form=phone_form or PhoneForm(phone=patient.phone),
        note_window=EDIT_WINDOW,
    )


def _render_patient(
    template: str, patient: Patient, now: datetime, today: date, **page: Any
) -> str:
    """A page of the record on the patient's own today; the view commits after it."""
    return render_template(
        template,
        patient=patient,
        day=post_op_day(patient.surgery_date, today),
        today=today,
        now=now,
        phase=PHASE_NAMES[phase_of(patient, today)],
        view=timeline_view(patient, today, current_language()),
        complete_form=CompleteForm(),
        **page,
    )


@bp.app_template_filter("tel")
def tel_filter(number: str) -> str:
    """A phone number as a `tel:` link target."""
    return tel(number)
