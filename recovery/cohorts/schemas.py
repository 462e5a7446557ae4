"""The cohort's query, shared by the dashboard page and the API (GET /cohort)."""

from __future__ import annotations

from typing import Any

from apiflask.fields import Boolean, Integer, String
from marshmallow import ValidationError, validates_schema

from recovery.cohorts.filters import DEFAULT_SORT, SORTS
from recovery.domain.cohort import PHASES
from recovery.domain.plan import MALIGNANCIES, PROCEDURES, TUMOR_LOCATIONS
from recovery.paging import PageQuery
from recovery.validation import ID_RANGE, StoredDate, one_of, within

SORT_CHOICES = (*SORTS, *(f"-{name}" for name in SORTS))


class CohortQuery(PageQuery):
    """Filters, sort and page of the cohort (GET /cohort, /cohort.csv, the page)."""

    phase = String(validate=one_of(PHASES))
    procedure = String(validate=one_of(PROCEDURES))
    tumor_location = String(validate=one_of(TUMOR_LOCATIONS))
    malignancy = String(validate=one_of(MALIGNANCIES))
    clinician_id = Integer(validate=ID_RANGE)
    surgery_from = StoredDate()
    surgery_to = StoredDate()
    overdue = Boolean(
        metadata={"description": "true: only patients with overdue items"}
    )
    open_alerts = Boolean(metadata={"description": "true: only patients with alerts"})
    no_checkin_days = Integer(
        validate=within(1, 365, "Days without a check-in"),
        metadata={"description": "Only patients with no check-in for this many days"},
    )
    sort = String(
        load_default=DEFAULT_SORT,
        validate=one_of(SORT_CHOICES),
        metadata={"description": "A column; a leading '-' sorts descending."},
    )

    @validates_schema
    def _range_in_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("surgery_from"), data.get("surgery_to")
        if start and end and end < start:
            raise ValidationError("Must not be before surgery_from.", "surgery_to")
