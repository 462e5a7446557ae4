"""The coordinator's dashboard: alert queue, cohort table, CSV, charts, saved views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from recovery.audit.services import record, record_patients
from recovery.auth.models import STAFF_ROLES, User
from recovery.cohorts.filters import CohortFilter
from recovery.cohorts.schemas import CohortQuery
from recovery.cohorts.services import (
    cohort_page,
    cohort_summary,
    csv_export,
    forget_cohort,
    record_view,
    save_cohort,
    saved_cohorts,
)
from recovery.domain.cohort import weekly_chart
from recovery.domain.plan import MALIGNANCIES, PROCEDURES, TUMOR_LOCATIONS
from recovery.errors import flatten_fields
from recovery.extensions import db
from recovery.i18n import labelled
from recovery.orm import utcnow
from recovery.patients.services import active_staff
from recovery.reminders.services import reminders_needing_attention
from recovery.roles import roles_required
from recovery.symptoms.services import alert_queue
from recovery.timeline.services import PHASE_NAMES

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")


def parse_view(
    args: MultiDict[str, str],
) -> tuple[CohortFilter, int, int, dict[str, str]]:
    """Filters, page and page size from a query string; errors by field name.

    Blank form fields mean "any". On errors the filters fall back to none, so the
    page still shows the whole cohort under the messages.
    """
    known = CohortQuery().fields
    wanted = {k: v for k, v in args.items() if k in known and v.strip()}
    try:
        data = CohortQuery().load(wanted)
    except ValidationError as error:
        errors = flatten_fields(error.messages)
        if errors.keys() - {"page", "per_page"}:
            return CohortFilter(), 1, 25, errors
        # A mangled page number in a hand-edited URL: the first page will do.
        wanted.pop("page", None)
        wanted.pop("per_page", None)
        data = CohortQuery().load(wanted)
    return CohortFilter.from_query(data), data["page"], data["per_page"], {}


def _choices() -> dict[str, Any]:
    """What the filter form's selects offer."""
    clinicians, _ = active_staff()
    return {
        "phases": PHASE_NAMES,
        "procedures": labelled(PROCEDURES, "procedure"),
        "locations": labelled(TUMOR_LOCATIONS, "location"),
        "malignancies": labelled(MALIGNANCIES, "malignancy"),
        "clinicians": clinicians,
    }


@bp.app_template_filter("phase_label")
def phase_label(phase: str) -> str:
    """A phase's name for people."""
    return str(PHASE_NAMES.get(phase, phase))


@bp.route("/")
@roles_required(*STAFF_ROLES)
def dashboard() -> Response | tuple[str, int]:
    """Open alerts first, then the filtered, sorted cohort table."""
    view, page_number, per_page, errors = parse_view(request.args)
    if not errors and any(not value.strip() for value in request.args.values()):
        # The filter form sends blank fields: keep bookmarks short and clean.
        return redirect(_canonical("cohorts.dashboard", view, page_number, per_page))
    now = utcnow()
    page = cohort_page(current_user, view, now, page_number, per_page)
    if page.page > page.pages:
        abort(404)
    record_view(page, view, "cohorts")
    saved = saved_cohorts(current_user)
    alerts = alert_queue(current_user)
    troubles = reminders_needing_attention(current_user, now - timedelta(days=7))
    record_patients(
        "list_patient",
        [
            *(row.patient_id for row in page.rows),
            *(alert.patient_id for alert in alerts),
            *(reminder.patient_id for reminder in troubles),
        ],
        target="cohorts",
    )
    # Rendered before the audit row is committed: a commit expires what was loaded,
    # and the template would then reload each alert on its own.
    html = render_template(
        "cohorts/dashboard.html",
        view=view,
        page=page,
        errors=errors,
        saved=saved,
        alerts=alerts,
        troubles=troubles,
        choices=_choices(),
        title=_("Your cohort"),
    )
    db.session.commit()
    return html, 400 if errors else 200


@bp.route("/export.csv")
@roles_required(*STAFF_ROLES)
def export_csv() -> Response:
    """The current filtered view as CSV, streamed a chunk of patients at a time."""
    view, _page, _per_page, errors = parse_view(request.args)
    if errors:
        flash(
            _(
                "Fix the filters before exporting: %(errors)s",
                errors=" ".join(errors.values()),
            ),
            "error",
        )
        return redirect(url_for("cohorts.dashboard"))
    return csv_response(current_user, view)


def csv_response(user: User, view: CohortFilter) -> Response:
    """Audit the export, then stream it (shared with GET /api/v1/cohort.csv).

    The rows' ids are read first, so that each exported patient gets its row.
    """
    now = utcnow()
    ids, lines = csv_export(user, view, now)
    record("export_cohort", target="cohorts", details={"filters": view.params()})
    record_patients("export_patient", ids, target="cohorts")
    db.session.commit()
    stamp = now.strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="cohort-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/summary")
@roles_required(*STAFF_ROLES)
def summary() -> Response | tuple[str, int]:
    """Charts (and their numbers as tables) for the current filtered view."""
    view, _page, _per_page, errors = parse_view(request.args)
    if not errors and any(not value.strip() for value in request.args.values()):
        return redirect(_canonical("cohorts.summary", view))
    figures = cohort_summary(current_user, view, utcnow())
    record("view_cohort_summary", target="cohorts", details={"filters": view.params()})
    page = render_template(
        "cohorts/summary.html",
        view=view,
        errors=errors,
        summary=figures,
        phase_names=PHASE_NAMES,
        choices=_choices(),
        chart={
            **weekly_chart(figures.pain, figures.pain_patients, figures.adherence),
            "phases": [str(PHASE_NAMES[p]) for p, _ in figures.phases],
            "phase_counts": [n for _, n in figures.phases],
        },
        title=_("Cohort summary"),
    )
    db.session.commit()
    return page, 400 if errors else 200


@bp.route("/saved", methods=["POST"])
@roles_required(*STAFF_ROLES)
def save_view() -> Response:
    """Save the current filters by name (the same name replaces the old view)."""
    name = (request.form.get("name") or "").strip()
    view, _page, _per_page, errors = parse_view(
        MultiDict(_query_pairs(request.form.get("query")))
    )
    if not name or len(name) > 100:
        flash(_("Give the saved cohort a name of at most 100 characters."), "error")
    elif errors:
        flash(_("These filters are not valid and were not saved."), "error")
    else:
        if save_cohort(current_user, name, view.query_string()):
            flash(_("Saved “%(name)s”.", name=name), "success")
        else:
            flash(_("Updated “%(name)s”.", name=name), "success")
        db.session.commit()
    return redirect(url_for("cohorts.dashboard") + _suffix(view.query_string()))


@bp.route("/saved/<int:saved_id>/delete", methods=["POST"])
@roles_required(*STAFF_ROLES)
def delete_view(saved_id: int) -> Response:
    """Forget one of the user's own saved cohorts."""
    saved = forget_cohort(current_user, saved_id)
    if saved is None:
        flash(_("That saved cohort does not exist."), "error")
    else:
        db.session.commit()
        flash(_("Removed “%(name)s”.", name=saved.name), "success")
    return redirect(url_for("cohorts.dashboard"))


def _canonical(
    endpoint: str, view: CohortFilter, page: int = 1, per_page: int = 25
) -> str:
    """The view's URL with only the filters set."""
    extra = {"page": page} if page > 1 else {}
    if per_page != 25:
        extra["per_page"] = per_page
    return url_for(endpoint, **view.params(), **extra)


def _query_pairs(query: str | None) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query or "", keep_blank_values=False)[:50]


def _suffix(query: str) -> str:
    return f"?{query}" if query else ""
