"""Timeline pages: the patient's whole timeline, marking done, a clinician's edits."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from recovery.audit.services import record
from recovery.auth.models import ROLES, SCHEDULE_EDITORS, STAFF_ROLES
from recovery.auth.routes import safe_next
from recovery.auth.services import external_url
from recovery.extensions import db
from recovery.i18n import format_day
from recovery.interop.ical import (
    issue_calendar_token,
    patient_for_calendar_token,
    revoke_calendar_token,
    timeline_calendar,
)
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for, own_patient
from recovery.patients.contact import urgent_advice
from recovery.patients.models import Patient
from recovery.patients.services import (
    PatientError,
    active_staff,
    change_patient,
    start_episode,
)
from recovery.roles import roles_required
from recovery.timeline.forms import (
    ChangePlanForm,
    CompleteForm,
    EventForm,
    ExtraEventForm,
    RecurrenceForm,
    ReviewForm,
)
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import (
    EDITABLE_EVENT_FIELDS,
    CompletionRefused,
    TimelineError,
    add_event,
    can_undo,
    complete_event,
    find_event,
    override_event,
    review_event,
    timeline_view,
    undo_completion,
)
from recovery.timeline.texts import event_text_filter
from recovery.zones import local_today

bp = Blueprint("timeline", __name__, url_prefix="/timeline")
# For templates/timeline/_education.html, included by the patient's pages; set
# here, as the timeline's services must not import the patients feature.
bp.add_app_template_global(urgent_advice, "urgent_advice_for")


@bp.app_template_global("can_undo")
def can_undo_now(event: TimelineEvent) -> bool:
    """Whether the person looking may still take back their "Done" on `event`."""
    return current_user.is_authenticated and can_undo(event, current_user, utcnow())


def _event_or_404(patient: Patient, event_id: int) -> TimelineEvent:
    event = find_event(patient, event_id)
    if event is None:
        abort(404)
    return event


def _posted_event(patient_id: int, event_id: int) -> tuple[Patient, TimelineEvent]:
    """The event a Done or Undo button posts about, once its token is checked."""
    if not CompleteForm().validate_on_submit():
        abort(400)
    patient = get_patient_for(current_user, patient_id, "view_timeline")
    return patient, _event_or_404(patient, event_id)


def _back(patient: Patient) -> Response:
    """Back to the page the button was on, else the person's own view of it."""
    fallback = (
        url_for("patients.home")
        if current_user.role in ("patient", "caregiver")
        else url_for("patients.detail", patient_id=patient.id)
    )
    return redirect(safe_next(request.args.get("next")) or fallback)


@bp.route("/me")
@roles_required("patient", "caregiver")
def mine() -> str:
    """The patient's whole timeline: past, today, next."""
    patient = own_patient(current_user, "view_timeline")
    view = timeline_view(patient, local_today(patient.user.timezone, utcnow()))
    page = render_template(
        "timeline/mine.html",
        patient=patient,
        view=view,
        complete_form=CompleteForm(),
        feed_form=CompleteForm(),
        feed_url=session.pop("new_feed_url", None),
        advice=urgent_advice(patient),
    )
    db.session.commit()
    return page


@bp.route("/me/calendar", methods=["POST"])
@roles_required("patient")
def calendar_feed() -> Response:
    """Create (or replace) or switch off the private calendar feed."""
    form = CompleteForm()
    if not form.validate_on_submit():
        abort(400)
    patient = own_patient(current_user, "view_timeline")
    if request.form.get("action") == "revoke":
        revoke_calendar_token(patient)
        record("revoke_calendar_feed", patient_id=patient.id)
        flash(_("Your calendar feed is switched off."), "success")
    else:
        raw = issue_calendar_token(patient)
        record("issue_calendar_feed", patient_id=patient.id)
        # Shown once, on the next page: only its hash is stored.
        session["new_feed_url"] = external_url("timeline.feed", token=raw)
    db.session.commit()
    # Back to the calendar part of the page, not the top of a long timeline.
    return redirect(url_for("timeline.mine", _anchor="calendar"))


@bp.route("/feed/<token>.ics")
def feed(token: str) -> Response:
    """The private iCalendar feed, opened by its secret: calendar apps send no login."""
    patient = patient_for_calendar_token(token)
    if patient is None:
        abort(404)
    record("read_calendar_feed", patient_id=patient.id, target="feed")
    db.session.commit()
    return Response(timeline_calendar(patient, utcnow()), mimetype="text/calendar")


@bp.route("/<int:patient_id>/events/<int:event_id>/complete", methods=["POST"])
@roles_required(*ROLES)
def complete(patient_id: int, event_id: int) -> Response:
    """Mark one event done, then go back to the page the button was on."""
    patient, event = _posted_event(patient_id, event_id)
    try:
        complete_event(event, current_user, utcnow())
    except CompletionRefused as error:
        # Not a button the page offers: a crafted post, refused and audited,
        # and the page says why in the patient's words.
        db.session.commit()
        page = render_template(
            "errors/error.html", code=error.status_code, message=str(error)
        )
        return Response(page, status=error.status_code)
    except TimelineError as error:
        flash(str(error), "error")
    else:
        flash(
            _("Marked done: %(title)s.", title=event_text_filter(event).title),
            "success",
        )
    db.session.commit()
    return _back(patient)


@bp.route("/<int:patient_id>/events/<int:event_id>/undo", methods=["POST"])
@roles_required(*ROLES)  # whoever may mark done may take back their own
def undo(patient_id: int, event_id: int) -> Response:
    """Take back one's own "Done" within a few minutes, then go back."""
    patient, event = _posted_event(patient_id, event_id)
    try:
        undo_completion(event, current_user, utcnow())
    except TimelineError as error:
        flash(str(error), "error")
    else:
        flash(
            _(
                "Undone: %(title)s is open again.",
                title=event_text_filter(event).title,
            ),
            "success",
        )
    db.session.commit()
    return _back(patient)


@bp.route("/<int:patient_id>/events/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(*SCHEDULE_EDITORS)
def edit_event(patient_id: int, event_id: int) -> Response | str:
    """Reschedule or reword one event; recompute will keep the change."""
    patient = get_patient_for(current_user, patient_id, "view_timeline")
    event = _event_or_404(patient, event_id)
    form = EventForm(obj=event)
    if form.validate_on_submit():
        try:
            override_event(
                event,
                {f: getattr(form, f).data for f in EDITABLE_EVENT_FIELDS},
                utcnow(),
            )
        except TimelineError as error:
            form.end_date.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Saved: %(title)s. Plan changes will not move it.",
                    title=event.title,
                ),
                "success",
            )
            return redirect(url_for("patients.detail", patient_id=patient.id))
    page = render_template(
        "timeline/edit_event.html", patient=patient, event=event, form=form
    )
    db.session.commit()
    return page


@bp.route("/<int:patient_id>/plan", methods=["GET", "POST"])
@roles_required(*SCHEDULE_EDITORS)
def plan(patient_id: int) -> Response | tuple[str, int]:
    """Change surgery, tumor, care team, radiation or brace; the timeline follows."""
    patient = get_patient_for(current_user, patient_id, "view_patient")
    now = utcnow()
    form = ChangePlanForm(obj=patient, today=local_today(patient.user.timezone, now))
    form.set_staff(*active_staff())
    for team_field in (form.clinician_id, form.coordinator_id):
        team_field.data = team_field.data or 0  # 0: "None yet"
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():  # undone alone: the audit row stays
                changes = change_patient(patient, form.changes(), now)
        except PatientError as error:
            _show_refusal(form, error)
            page = render_template("timeline/plan.html", patient=patient, form=form)
            db.session.commit()
            return page, 400
        db.session.commit()
        if changes is None:
            flash(_("Nothing changed."), "info")
        else:
            counts = changes.counts()
            flash(
                _(
                    "Plan saved. Timeline: %(added)s added, %(updated)s moved, "
                    "%(cancelled)s cancelled, %(reactivated)s back.",
                    **counts,
                ),
                "success",
            )
        return redirect(url_for("patients.detail", patient_id=patient.id))
    page = render_template("timeline/plan.html", patient=patient, form=form)
    db.session.commit()
    return page, 400 if form.errors else 200


def _show_refusal(form: ChangePlanForm, error: PatientError) -> None:
    """A refused plan: each message under its field, the rest as a flash."""
    for name, message in error.fields.items():
        field = form._fields.get(name.replace(".", "_"))
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


@bp.route("/<int:patient_id>/events/<int:event_id>/review", methods=["POST"])
@roles_required(*SCHEDULE_EDITORS)
def review(patient_id: int, event_id: int) -> Response:
    """Sign off a follow-up item with a note; the care team sees who and when."""
    patient = get_patient_for(current_user, patient_id, "view_timeline")
    event = _event_or_404(patient, event_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(
            " ".join(map(str, form.note.errors)) or _("The form expired; try again."),
            "error",
        )
    else:
        try:
            review_event(event, current_user, form.note.data or "", utcnow())
        except TimelineError as error:
            flash(str(error), "error")
        else:
            flash(_("Reviewed: %(title)s.", title=event.title), "success")
    db.session.commit()
    back = safe_next(request.args.get("next"))
    return redirect(back or url_for("patients.detail", patient_id=patient.id))


@bp.route("/<int:patient_id>/events/new", methods=["GET", "POST"])
@roles_required(*SCHEDULE_EDITORS)
def add_extra(patient_id: int) -> Response | tuple[str, int]:
    """Add an extra imaging or visit to the current episode."""
    patient = get_patient_for(current_user, patient_id, "view_timeline")
    form = ExtraEventForm()
    if form.validate_on_submit():
        values = {f: getattr(form, f).data for f in EDITABLE_EVENT_FIELDS}
        try:
            event = add_event(patient, form.kind.data, values, utcnow())
        except TimelineError as error:
            form.kind.errors = [str(error)]
        else:
            db.session.commit()
            flash(
                _(
                    "Added: %(title)s on %(date)s.",
                    title=event.title,
                    date=format_day(event.start_date),
                ),
                "success",
            )
            return redirect(url_for("patients.detail", patient_id=patient.id))
    page = render_template("timeline/add_event.html", patient=patient, form=form)
    db.session.commit()
    return page, 400 if form.errors else 200


@bp.route("/<int:patient_id>/recurrence", methods=["GET", "POST"])
@roles_required(*SCHEDULE_EDITORS)
def recurrence(patient_id: int) -> Response | tuple[str, int]:
    """Start a new episode (tumor regrowth); the old timeline stays readable."""
    patient = get_patient_for(current_user, patient_id, "view_patient")
    now = utcnow()
    form = RecurrenceForm(obj=patient, today=local_today(patient.user.timezone, now))
    if request.method == "GET":
        form.surgery_date.data = None  # the new surgery's date is asked for afresh
    if form.validate_on_submit():
        changes = form.changes()
        reason = changes.pop("reason")
        try:
            with db.session.begin_nested():  # undone alone: the audit row stays
                start_episode(patient, changes, reason, current_user, now)
        except PatientError as error:
            _show_refusal(form, error)
            page = render_template(
                "timeline/recurrence.html", patient=patient, form=form
            )
            db.session.commit()
            return page, 400
        db.session.commit()
        flash(
            _(
                "Episode %(episode)s started; episode %(previous)s is kept below, "
                "read-only.",
                episode=patient.episode,
                previous=patient.episode - 1,
            ),
            "success",
        )
        return redirect(url_for("patients.detail", patient_id=patient.id))
    page = render_template("timeline/recurrence.html", patient=patient, form=form)
    db.session.commit()
    return page, 400 if form.errors else 200


@bp.route("/<int:patient_id>/episodes/<int:number>")
@roles_required(*STAFF_ROLES)
def episode(patient_id: int, number: int) -> str:
    """A finished episode's plan and timeline, read-only."""
    patient = get_patient_for(current_user, patient_id, "view_timeline")
    past = next((e for e in patient.episodes if e.number == number), None)
    if past is None:
        abort(404)
    events = [e for e in patient.all_events if e.episode == number]
    page = render_template(
        "timeline/episode.html", patient=patient, episode=past, events=events
    )
    db.session.commit()
    return page
