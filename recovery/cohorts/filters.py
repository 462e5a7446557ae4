"""The cohort view's filters and sort, shared by the page, the API and saved views."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from recovery.domain.cohort import PHASES

SORTS = (
    "name",
    "surgery_date",
    "post_op_day",
    "phase",
    "next_event",
    "overdue_count",
    "open_alerts",
    "last_symptom_at",
    "last_back_pain",
)
DEFAULT_SORT = "post_op_day"
PHASE_ORDER = {phase: rank for rank, phase in enumerate(PHASES)}


@dataclass(frozen=True)
class CohortFilter:
    """What the coordinator asked for; None means "any"."""

    phase: str | None = None
    procedure: str | None = None
    tumor_location: str | None = None
    malignancy: str | None = None
    clinician_id: int | None = None
    surgery_from: date | None = None
    surgery_to: date | None = None
    overdue: bool | None = None
    open_alerts: bool | None = None
    no_checkin_days: int | None = None
    sort: str = DEFAULT_SORT

    def params(self) -> dict[str, str]:
        """The filters set, as URL parameters (bookmarks, saved cohorts, pages)."""
        out = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or (field.name == "sort" and value == DEFAULT_SORT):
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            out[field.name] = value if isinstance(value, str) else str(value)
        return out

    def query_string(self) -> str:
        """params() encoded for a URL."""
        return urlencode(self.params())

    @property
    def is_empty(self) -> bool:
        """Whether no filter is set (sort aside)."""
        return not (self.params().keys() - {"sort"})

    @classmethod
    def from_query(cls, data: dict[str, Any]) -> CohortFilter:
        """From CohortQuery().load(...): page and per_page are not filters."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def with_sort(self, column: str) -> CohortFilter:
        """The same view sorted by `column`, reversed when already sorted by it."""
        sort = f"-{column}" if self.sort == column else column
        return replace(self, sort=sort)
