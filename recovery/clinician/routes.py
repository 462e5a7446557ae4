"""The clinician's landing page: the follow-up schedule of their patients, by week."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from recovery.audit.services import (
    record,
    record_patients,
)
from recovery.auth.models import STAFF_ROLES, User
from recovery.auth.services import external_url
from recovery.clinician.services import (
    MAX_WEEKS,
    SCHEDULE_KINDS,
    ScheduleFilter,
    by_week,
    schedule_items,
    schedule_page,
)
from recovery.extensions import db
from recovery.interop.ical import (
    issue_schedule_token,
    schedule_calendar,
    user_for_schedule_token,
)
from recovery.orm import utcnow
from recovery.patients.access import visible_condition
from recovery.patients.models import Patient
from recovery.roles import roles_required
from recovery.validation import parse_int, query_int
from recovery.zones import local_today

bp = Blueprint("clinician", __name__, url_prefix="/clinician")


def parse_filter() -> tuple[ScheduleFilter, dict[str, str]]:
    """Filters from the query string; blank means any. Errors by field."""
    errors: dict[str, str] = {}
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and kind not in SCHEDULE_KINDS:
        errors["kind"] = "Choose one of the listed kinds."
        kind = None
    patient_id = None
    raw = request.args.get("patient_id", "").strip()
    if raw:
        patient_id = parse_int(raw)
        if patient_id is None:
            errors["patient_id"] = "Choose a patient from the list."
    weeks = 8
    raw = request.args.get("weeks", "").strip()
    if raw:
        if parse_int(raw, 1, MAX_WEEKS) is not None:
            weeks = int(raw)
        else:
            errors["weeks"] = f"Weeks ahead must be from 1 to {MAX_WEEKS}."
    return ScheduleFilter(kind, patient_id, weeks), errors


def _patients() -> list[tuple[int, str, str]]:
    """The user's patients for the patient filter."""
    query = select(Patient.id, User.name, Patient.mrn).join(
        User, User.id == Patient.user_id
    )
    scope = visible_condition(current_user)
    if scope is not None:
        query = query.where(scope)
    return [tuple(row) for row in db.session.execute(query.order_by(User.name))]


def _schedule(template: str, per_page: int = 100) -> tuple[str, int]:
    where, errors = parse_filter()
    now = utcnow()
    page = schedule_page(current_user, where, now, query_int("page", 1), per_page)
    items = page.items
    record(
        "view_schedule",
        target="clinician",
        details={
            "filters": where.params(),
            "patient_ids": sorted({item.patient_id for item in items}),
        },
    )
    record_patients(
        "list_schedule", [item.patient_id for item in items], target="clinician"
    )
    today = local_today(current_app.config["CLINIC_TIMEZONE"], now)
    html = render_template(
        template,
        where=where,
        errors=errors,
        weeks=list(by_week(items, today)),
        count=page.total,
        page=page,
        kinds=SCHEDULE_KINDS,
        patients=_patients(),
        feed_url=session.pop("schedule_feed_url", None),
        has_feed=current_user.schedule_token_hash is not None,
        today=today,
        title=_("Follow-up schedule"),
    )
    db.session.commit()
    return html, 400 if errors else 200


@bp.route("/")
@roles_required(*STAFF_ROLES)
def schedule() -> tuple[str, int]:
    """Overdue and upcoming follow-up items of the user's patients, by week."""
    return _schedule("clinician/schedule.html")


@bp.route("/print")
@roles_required(*STAFF_ROLES)
def printable() -> tuple[str, int]:
    """The same schedule laid out for paper."""
    return _schedule("clinician/schedule_print.html", per_page=1000)


@bp.route("/feed", methods=["POST"])
@roles_required(*STAFF_ROLES)
def feed_settings() -> Response:
    """Create (or replace) or switch off the private schedule feed."""
    user = db.session.get(User, current_user.id)
    if request.form.get("action") == "off":
        user.schedule_token_hash = None
        record("revoke_schedule_feed", target="clinician")
        flash(_("Your schedule feed is switched off."), "success")
    else:
        token = issue_schedule_token(user)
        record("issue_schedule_feed", target="clinician")
        # Shown once, on the next page only: the secret is not kept.
        session["schedule_feed_url"] = external_url("clinician.feed", token=token)
        flash(
            _("New feed address below; any older address stopped working."), "success"
        )
    db.session.commit()
    return redirect(url_for("clinician.schedule") + "#feed")


@bp.route("/feed/<token>.ics")
def feed(token: str) -> Response:
    """The schedule as iCalendar for a calendar app; the secret is the login."""
    user = user_for_schedule_token(token)
    if user is None:
        abort(404)
    now = utcnow()
    items = schedule_items(user, ScheduleFilter(weeks=MAX_WEEKS), now)
    record(
        "read_schedule_feed",
        actor=user,
        target="clinician",
        details={"patient_ids": sorted({i.patient_id for i in items})},
    )
    db.session.commit()
    body = schedule_calendar(items, current_app.config["CLINIC_TIMEZONE"], now)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Cache-Control": "private, no-store"},
    )
