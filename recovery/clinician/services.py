"""The clinician's schedule: their patients' follow-up items still to do, by week."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import aliased

from recovery.auth.models import User
from recovery.domain.timeline import OPEN_STATUSES, PERIOD_KINDS, status_on
from recovery.extensions import db
from recovery.paging import Paged, fetch_page
from recovery.patients.access import visible_condition
from recovery.patients.models import Patient
from recovery.timeline.models import TimelineEvent
from recovery.zones import local_today

# What the schedule shows; radiation appears only as its first and last session.
SCHEDULE_KINDS = {
    "imaging": "Imaging",
    "follow_up_visit": "Visit",
    "wound_check": "Wound check",
    "questionnaire": "Questionnaire",
    "pain_review": "Pain review",
    "therapy": "Therapy",
    "radiation_start": "Radiation starts",
    "radiation_end": "Radiation ends",
}
MAX_WEEKS = 26


@dataclass(frozen=True)
class ScheduleFilter:
    """Which items: a kind, one patient, and how many weeks ahead."""

    kind: str | None = None
    patient_id: int | None = None
    weeks: int = 8

    def params(self) -> dict[str, str]:
        """Set filters as URL parameters."""
        return {
            k: str(v)
            for k, v in asdict(self).items()
            if v is not None and not (k == "weeks" and v == 8)
        }


@dataclass(frozen=True)
class ScheduleItem:
    """One follow-up item of one patient, with its status on their own today."""

    event_id: int
    patient_id: int
    patient_name: str
    mrn: str
    kind: str
    title: str
    start_date: date
    end_date: date
    status: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str

    @property
    def label(self) -> str:
        """The kind, for people."""
        return SCHEDULE_KINDS[self.kind]


@dataclass(frozen=True)
class SchedulePage(Paged):
    """One page of the schedule."""

    items: list[ScheduleItem]
    total: int
    page: int
    per_page: int


def schedule_page(
    user: User, where: ScheduleFilter, now: datetime, page: int, per_page: int = 100
) -> SchedulePage:
    """A page of the schedule: a clinician with a thousand patients has thousands
    of items, and a page of them is what a person can read (and render fast)."""
    total, rows = fetch_page(_query(user, where, now), page, per_page)
    return SchedulePage(_items(rows, now), total, page, per_page)


def schedule_items(
    user: User, where: ScheduleFilter, now: datetime
) -> list[ScheduleItem]:
    """Every overdue and upcoming item of the user's patients: overdue first,
    then soonest first."""
    return _items(db.session.execute(_query(user, where, now)).all(), now)


def _items(rows: Sequence[Any], now: datetime) -> list[ScheduleItem]:
    """Schedule items from rows of `_query`, each status on its patient's today."""
    items = []
    for row in rows:
        today = local_today(row.timezone, now)
        status = status_on(row.status, row.kind, row.start_date, row.end_date, today)
        kind = row.kind
        if kind == "radiation_session":
            first_day = row.radiation_first_session
            kind = "radiation_start" if row.start_date == first_day else "radiation_end"
        items.append(
            ScheduleItem(
                row.id,
                row.patient_id,
                row.patient_name,
                row.mrn,
                kind,
                row.title,
                row.start_date,
                row.end_date,
                status,
                row.reviewed_at,
                row.reviewer_name,
                row.review_note,
            )
        )
    return items


def _query(user: User, where: ScheduleFilter, now: datetime) -> Any:
    """The schedule's rows, filtered and ordered, in SQL."""
    event = TimelineEvent
    reviewer = aliased(User)
    first = event.start_date == Patient.radiation_first_session
    last = event.start_date == Patient.radiation_last_session
    clinic_today = local_today(current_app.config["CLINIC_TIMEZONE"], now)
    horizon = clinic_today + timedelta(weeks=where.weeks)
    # The columns the page shows, not whole events: no JSON lists, no instances.
    query = (
        select(
            event.id,
            event.kind,
            event.title,
            event.status,
            event.start_date,
            event.end_date,
            event.reviewed_at,
            event.review_note,
            Patient.id.label("patient_id"),
            User.name.label("patient_name"),
            User.timezone,
            Patient.mrn,
            Patient.radiation_first_session,
            reviewer.name.label("reviewer_name"),
        )
        .join(Patient, Patient.id == event.patient_id)
        .join(User, User.id == Patient.user_id)
        .outerjoin(reviewer, reviewer.id == event.reviewed_by_id)
        .where(
            event.episode == Patient.episode,
            event.status.in_(OPEN_STATUSES),
            event.kind.not_in(PERIOD_KINDS),
            or_(event.kind != "radiation_session", first, last),
            event.start_date <= horizon,
        )
        # Overdue first (by the clinic's day), then soonest first.
        .order_by(
            case((event.end_date < clinic_today, 0), else_=1),
            event.start_date,
            User.name,
            event.id,
        )
    )
    scope = visible_condition(user)
    if scope is not None:
        query = query.where(scope)
    if where.patient_id is not None:
        query = query.where(Patient.id == where.patient_id)
    if where.kind == "radiation_start":
        query = query.where(and_(event.kind == "radiation_session", first))
    elif where.kind == "radiation_end":
        query = query.where(and_(event.kind == "radiation_session", last))
    elif where.kind is not None:
        query = query.where(event.kind == where.kind)
    return query


def by_week(
    items: list[ScheduleItem], today: date
) -> Iterator[tuple[str, list[ScheduleItem]]]:
    """Overdue items first, then one group per week (Monday) of when they are due."""
    overdue = [item for item in items if item.status == "missed"]
    if overdue:
        yield "Overdue", overdue

    def monday(item: ScheduleItem) -> date:
        day = max(item.start_date, today)
        return day - timedelta(days=day.weekday())

    rest = sorted((i for i in items if i.status != "missed"), key=monday)
    for week, group in groupby(rest, key=monday):
        label = "This week" if week <= today else f"Week of {week:%d %b %Y}"
        yield label, list(group)
