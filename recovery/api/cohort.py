"""The cohort: filtered, sorted pages of the patients staff follow, and CSV."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user

from recovery.api import auth, bp, require_roles
from recovery.api.paging import link_header, page_links
from recovery.api.schemas import CohortPageOut
from recovery.auth.models import STAFF_ROLES
from recovery.cohorts.filters import CohortFilter
from recovery.cohorts.routes import csv_response
from recovery.cohorts.schemas import CohortQuery
from recovery.cohorts.services import cohort_page, record_view
from recovery.extensions import db
from recovery.orm import utcnow


@bp.get("/cohort")
@bp.auth_required(auth)
@bp.input(CohortQuery, location="query", arg_name="query")
@bp.output(CohortPageOut)
@bp.doc(responses=[400, 401, 403, 422])
def cohort(query: dict[str, Any]) -> Any:
    """Patients of the caller's care teams with phase, next event and alerts."""
    require_roles(*STAFF_ROLES)
    view = CohortFilter.from_query(query)
    page = cohort_page(current_user, view, utcnow(), query["page"], query["per_page"])
    record_view(page, view, "api")
    db.session.commit()
    links = page_links(
        "api.cohort", page.page, page.per_page, page.total, view.params()
    )
    body = {
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "items": [row.document() for row in page.rows],
        "links": links,
    }
    return body, 200, link_header(links)


@bp.get("/cohort.csv")
@bp.auth_required(auth)
@bp.input(CohortQuery, location="query", arg_name="query")
@bp.doc(
    responses={
        200: {
            "description": "CSV, one row per patient",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        401: "Not logged in",
        403: "Patients may not list the cohort",
        422: "A filter is not valid",
    }
)
def cohort_csv(query: dict[str, Any]) -> Response:
    """The same view as CSV, every page, streamed."""
    require_roles(*STAFF_ROLES)
    return csv_response(current_user, CohortFilter.from_query(query))
