"""The cohort: patients staff follow, filtered and sorted in SQL, a page at a time.

Every figure that filters or sorts (phase, next event, overdue items, open alerts,
last check-in) is a SQL expression over the patient's own calendar day, so one
query pages 10,000 patients. Each expression mirrors a pure rule of
recovery.domain.timeline (phase_on, status_on); tests hold the two together.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import defusedcsv.csv as safe_csv
from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    Text,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    text,
)

from recovery.audit.services import record
from recovery.auth.models import User
from recovery.cohorts.filters import PHASE_ORDER, CohortFilter
from recovery.cohorts.models import SavedCohort
from recovery.domain.checkins import asked_days
from recovery.domain.cohort import (
    PHASES,
    SUMMARY_WEEKS,
    Adherence,
    Spread,
    adherence_of,
    pain_spread,
)
from recovery.domain.plan import post_op_day
from recovery.extensions import db
from recovery.paging import Paged, fetch_page
from recovery.patients.access import visible_condition
from recovery.patients.models import Patient
from recovery.symptoms.models import Alert, SymptomLog
from recovery.timeline.models import OPEN_ITEM_SQL, TimelineEvent
from recovery.zones import local_today


class Cohort:
    """The SQL expressions of one cohort view, bound to a user and an instant."""

    def __init__(self, user: User, cohort_filter: CohortFilter, now: datetime):
        self.user = user
        self.filter = cohort_filter
        self.now = now
        clinic_zone = current_app.config["CLINIC_TIMEZONE"]
        # Dates of care are the patient's own: one "today" per timezone in use.
        zones = db.session.scalars(
            select(distinct(User.timezone)).where(User.role == "patient")
        ).all()
        self.today_by_zone = {zone: local_today(zone, now) for zone in zones}
        self.clinic_today = local_today(clinic_zone, now)
        self._build()

    def today_of(self, timezone: str) -> date:
        """A patient's today, from their timezone."""
        return self.today_by_zone.get(timezone) or self.clinic_today

    def day(self, days_back: int = 0) -> ColumnElement[date]:
        """The patient's today minus `days_back`, as a SQL value per row."""
        shift = timedelta(days=days_back)
        whens = {
            zone: literal(day - shift, Date) for zone, day in self.today_by_zone.items()
        }
        fallback = literal(self.clinic_today - shift, Date)
        if not whens:
            return fallback
        return case(whens, value=User.timezone, else_=fallback)

    def _build(self) -> None:
        event = TimelineEvent
        today = self.day()
        mine = event.patient_id == Patient.id

        first, last = Patient.radiation_first_session, Patient.radiation_last_session
        bounds = current_app.extensions["phase_bounds"]
        # recovery.domain.timeline.phase_on, in SQL.
        self.phase = case(
            (Patient.discharged_at.is_not(None), "completed"),
            (today < Patient.surgery_date, "pre_op"),
            (and_(first.is_not(None), today < first), "early_recovery"),
            (and_(first.is_not(None), today <= last), "radiation"),
            (
                and_(
                    first.is_(None),
                    Patient.surgery_date >= self.day(bounds.early_recovery_until),
                ),
                "early_recovery",
            ),
            (
                Patient.surgery_date > self.day(bounds.surveillance_from),
                "rehabilitation",
            ),
            else_="surveillance",
        )
        open_item = and_(mine, text(OPEN_ITEM_SQL))
        # status_on: an open item whose window has passed is missed (overdue).
        self.overdue_where = and_(open_item, event.end_date < today)
        self.overdue_count = (
            select(func.count()).where(self.overdue_where).scalar_subquery()
        )
        upcoming = and_(open_item, event.end_date >= today)
        self.next_event_date = (
            select(func.min(event.start_date)).where(upcoming).scalar_subquery()
        )
        self.next_event_id = (
            select(event.id)
            .where(upcoming)
            .order_by(event.start_date, event.id)
            .limit(1)
            .scalar_subquery()
        )
        self.open_alert_where = and_(
            Alert.patient_id == Patient.id, Alert.status == "open"
        )
        self.open_alerts = (
            select(func.count()).where(self.open_alert_where).scalar_subquery()
        )
        logs = SymptomLog.patient_id == Patient.id
        self.last_symptom_at = (
            select(func.max(SymptomLog.recorded_at)).where(logs).scalar_subquery()
        )
        self.last_back_pain = (
            select(SymptomLog.back_pain)
            .where(logs)
            .order_by(SymptomLog.recorded_at.desc(), SymptomLog.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE of this view: care-team scope and every filter set."""
        f = self.filter
        where: list[ColumnElement[bool]] = [User.id == Patient.user_id]
        scope = visible_condition(self.user)
        if scope is not None:
            where.append(scope)
        for name in ("procedure", "tumor_location", "malignancy", "clinician_id"):
            value = getattr(f, name)
            if value is not None:
                where.append(getattr(Patient, name) == value)
        if f.phase is not None:
            where.append(self.phase == f.phase)
        if f.surgery_from is not None:
            where.append(Patient.surgery_date >= f.surgery_from)
        if f.surgery_to is not None:
            where.append(Patient.surgery_date <= f.surgery_to)
        if f.overdue is not None:
            overdue = exists().where(self.overdue_where)
            where.append(overdue if f.overdue else ~overdue)
        if f.open_alerts is not None:
            alerts = exists().where(self.open_alert_where)
            where.append(alerts if f.open_alerts else ~alerts)
        if f.no_checkin_days is not None:
            since = self.now - timedelta(days=f.no_checkin_days)
            where.append(
                ~exists().where(
                    SymptomLog.patient_id == Patient.id,
                    SymptomLog.recorded_at >= since,
                )
            )
        return where

    def order_by(self) -> list[Any]:
        """The sort asked for (a leading '-' reverses), then a stable tie-break."""
        name = self.filter.sort.lstrip("-")
        descending = self.filter.sort.startswith("-")
        if name == "post_op_day":
            # A later surgery is an earlier post-operative day.
            name, descending = "surgery_date", not descending
        key: Any = {
            "name": func.lower(User.name),
            "surgery_date": Patient.surgery_date,
            "phase": case(PHASE_ORDER, value=self.phase),
            "next_event": self.next_event_date,
            "overdue_count": self.overdue_count,
            "open_alerts": self.open_alerts,
            "last_symptom_at": self.last_symptom_at,
            "last_back_pain": self.last_back_pain,
        }[name]
        key = key.desc() if descending else key.asc()
        return [key.nulls_last(), Patient.id.desc() if descending else Patient.id]

    def ids(self) -> Select[tuple[int]]:
        """The patient ids of this view, sorted."""
        return (
            select(Patient.id)
            .select_from(Patient)
            .join(User, User.id == Patient.user_id)
            .where(*self.conditions())
            .order_by(*self.order_by())
        )

    def page_ids(self, page: int, per_page: int) -> tuple[int, Sequence[int]]:
        """How many patients the view holds, and the ids on one page of it."""
        total, rows = fetch_page(self.ids(), page, per_page)
        return total, [row[0] for row in rows]

    def rows(self, ids: Sequence[int]) -> list[CohortRow]:
        """The table's columns for these patients, in the order given."""
        if not ids:
            return []
        found = db.session.execute(
            select(
                Patient.id,
                User.name,
                User.timezone,
                Patient.mrn,
                Patient.surgery_date,
                self.phase,
                self.next_event_id,
                self.overdue_count,
                self.open_alerts,
                self.last_symptom_at,
                self.last_back_pain,
            )
            .join(User, User.id == Patient.user_id)
            .where(Patient.id.in_(ids))
        ).all()
        event_ids = [row[6] for row in found if row[6] is not None]
        events = {
            event.id: event
            for event in db.session.execute(
                select(
                    TimelineEvent.id,
                    TimelineEvent.title,
                    TimelineEvent.kind,
                    TimelineEvent.start_date,
                    TimelineEvent.end_date,
                ).where(TimelineEvent.id.in_(event_ids))
            )
        }
        by_id = {}
        for (
            patient_id,
            name,
            timezone,
            mrn,
            surgery_date,
            phase,
            event_id,
            overdue,
            alerts,
            last_at,
            last_pain,
        ) in found:
            event = events.get(event_id)
            by_id[patient_id] = CohortRow(
                patient_id=patient_id,
                name=name,
                mrn=mrn,
                surgery_date=surgery_date,
                post_op_day=post_op_day(surgery_date, self.today_of(timezone)),
                phase=phase,
                next_event=NextEvent(*event) if event else None,
                overdue_count=overdue,
                open_alerts=alerts,
                last_symptom_at=last_at,
                last_back_pain=last_pain,
            )
        return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class NextEvent:
    """The next follow-up item still to do."""

    id: int
    title: str
    kind: str
    date: date
    due_by: date


@dataclass(frozen=True)
class CohortRow:
    """One line of the cohort table (and of its CSV and API)."""

    patient_id: int
    name: str
    mrn: str
    surgery_date: date
    post_op_day: int
    phase: str
    next_event: NextEvent | None
    overdue_count: int
    open_alerts: int
    last_symptom_at: datetime | None
    last_back_pain: int | None

    def document(self) -> dict[str, Any]:
        """The API's shape."""
        return asdict(self)

    @property
    def today(self) -> date:
        """The patient's own calendar day this row was computed for."""
        return self.surgery_date + timedelta(days=self.post_op_day)


@dataclass(frozen=True)
class CohortPage(Paged):
    """One page of the cohort."""

    rows: list[CohortRow]
    total: int
    page: int
    per_page: int


def record_view(page: CohortPage, cohort_filter: CohortFilter, target: str) -> None:
    """Audit a page of the cohort: the filters and which patients it showed."""
    record(
        "view_cohort",
        target=target,
        details={
            "filters": cohort_filter.params(),
            "page": page.page,
            "patient_ids": [row.patient_id for row in page.rows],
        },
    )


def cohort_page(
    user: User, cohort_filter: CohortFilter, now: datetime, page: int, per_page: int
) -> CohortPage:
    """One page of the cohort: a count, the page's ids, then their columns."""
    cohort = Cohort(user, cohort_filter, now)
    total, ids = cohort.page_ids(page, per_page)
    return CohortPage(cohort.rows(ids), total, page, per_page)


CSV_HEADER = (
    "patient_id",
    "name",
    "mrn",
    "surgery_date",
    "post_op_day",
    "phase",
    "next_event",
    "next_event_date",
    "next_event_due_by",
    "overdue_count",
    "open_alerts",
    "last_check_in",
    "last_back_pain",
)


def csv_lines(
    user: User, cohort_filter: CohortFilter, now: datetime, chunk: int = 500
) -> Iterator[str]:
    """The whole filtered view as CSV (see csv_export)."""
    return csv_export(user, cohort_filter, now, chunk)[1]


def csv_export(
    user: User, cohort_filter: CohortFilter, now: datetime, chunk: int = 500
) -> tuple[Sequence[int], Iterator[str]]:
    """The whole filtered view as CSV, produced a chunk of patients at a time.

    defusedcsv prefixes cells that a spreadsheet would run as a formula
    (=, +, -, @ ...), so a patient named "=HYPERLINK(...)" stays text. The ids
    come first, for the export's audit rows.
    """
    # The ids are read now, while the request's user is still loaded; the chunks
    # are produced as the response streams.
    cohort = Cohort(user, cohort_filter, now)
    ids = db.session.scalars(cohort.ids()).all()
    return ids, _csv_chunks(cohort, ids, chunk)


def _csv_chunks(cohort: Cohort, ids: Sequence[int], chunk: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for start in range(0, len(ids), chunk):
        for row in cohort.rows(ids[start : start + chunk]):
            event = row.next_event
            writer.writerow(
                (
                    row.patient_id,
                    row.name,
                    row.mrn,
                    row.surgery_date.isoformat(),
                    row.post_op_day,
                    row.phase,
                    event.title if event else "",
                    event.date.isoformat() if event else "",
                    event.due_by.isoformat() if event else "",
                    row.overdue_count,
                    row.open_alerts,
                    row.last_symptom_at.isoformat() if row.last_symptom_at else "",
                    "" if row.last_back_pain is None else row.last_back_pain,
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# -- Summary charts --------------------------------------------------------


# The days summarised: SUMMARY_WEEKS from the day of surgery.
SUMMARY_DAYS = 7 * SUMMARY_WEEKS


def _days(later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole days from `earlier` to `later` (two SQL dates)."""
    if db.engine.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return cast(later - earlier, Integer)


def _check_in_day() -> ColumnElement[int]:
    """Days from the surgery date to a check-in's UTC date, for a check-in made
    from the surgery date's UTC midnight on."""
    if db.engine.dialect.name == "sqlite":
        # The julian day of the instant's 'start of day', not of its date():
        # formatting a date per check-in cost 0.13 s more at 1,000,000
        # (bench/cohort.py). Not julianday(instant) alone: it rounds to the
        # millisecond, so 23:59:59.9999 would fall on the next day.
        start = func.julianday(SymptomLog.recorded_at, "start of day")
        return cast(start - func.julianday(Patient.surgery_date), Integer)
    utc_date = cast(func.timezone("UTC", SymptomLog.recorded_at), Date)
    return _days(utc_date, Patient.surgery_date)


def _plus_days(day: Any, days: Any) -> ColumnElement[Any]:
    """The SQL date `days` days after the date `day`.

    Compared with a stored instant, it stands for its midnight UTC: SQLite keeps
    instants as 'YYYY-MM-DD HH:MM:SS...' in UTC, and PostgreSQL's sessions are
    in UTC (recovery/engine.py). The instant's column keeps its index that way.
    """
    if db.engine.dialect.name == "sqlite":
        return func.date(day, func.printf("%+d days", days))
    return cast(day + days, Date)


def _json_array(value: Any) -> ColumnElement[str]:
    """A group's values as one JSON array, as text."""
    if db.engine.dialect.name == "sqlite":
        return func.json_group_array(value)
    return cast(func.json_agg(value), Text)


@dataclass(frozen=True)
class Summary:
    """What the cohort summary page charts and tabulates."""

    patients: int
    phases: list[tuple[str, int]]
    pain: list[Spread]
    adherence: list[Adherence]
    # Patients with at least one check-in, per post-op week (what a week stands on).
    pain_patients: dict[int, int]


def cohort_summary(user: User, cohort_filter: CohortFilter, now: datetime) -> Summary:
    """Patients per phase, back pain by post-op week, adherence by week.

    One row per patient comes back: their surgery, the days of the visits a
    check-in is asked before, and their check-ins of the weeks summarised, read
    once from an index; the rules of recovery.domain (asked_days, pain_spread,
    adherence_of) count them. Grouping the check-ins in SQL instead (by week and
    score, by patient and day, and by the days before visits) took 3.1 s on
    PostgreSQL and 5 s on SQLite at 10,000 patients and 1,000,000 check-ins,
    over issue 21's floor of 1 s (bench/cohort.py prints the figure).
    """
    cohort = Cohort(user, cohort_filter, now)
    where = cohort.conditions()
    phase_rows = select(cohort.phase.label("phase")).where(*where).subquery()
    per_phase = dict(
        db.session.execute(
            select(phase_rows.c.phase, func.count()).group_by(phase_rows.c.phase)
        ).all()
    )
    protocols = current_app.extensions["protocols"]
    visits = dict(
        db.session.execute(
            _visit_days(protocols).join(User, User.id == Patient.user_id).where(*where)
        ).all()
    )
    rows = db.session.execute(
        select(
            Patient.id,
            Patient.surgery_date,
            Patient.procedure,
            User.timezone,
            _check_ins(cohort),
        )
        .join(User, User.id == Patient.user_id)
        .where(*where)
    ).all()
    asked: dict[tuple[str, str | None], frozenset[int]] = {}
    patients: Counter[tuple[frozenset[int], int]] = Counter()
    scores: Counter[int] = Counter()
    week_patients: Counter[int] = Counter()
    made: Counter[int] = Counter()
    for patient_id, surgery, procedure, zone, checkins in rows:
        # Most patients share their protocol's visit days: each set of days
        # asked is worked out once.
        key = procedure, visits.get(patient_id)
        if key not in asked:
            starts = json.loads(key[1]) if key[1] else ()
            asked[key] = asked_days(protocols[procedure].check_in, starts)
        patients[asked[key], post_op_day(surgery, cohort.today_of(zone)) // 7] += 1
        codes = json.loads(checkins) if checkins else ()
        scores.update(codes)
        days_made = {code % SUMMARY_DAYS for code in codes}
        week_patients.update({day // 7 for day in days_made})
        # Only days of weeks that are over came back, as adherence counts them.
        made.update(day // 7 for day in days_made & asked[key])
    pain: Counter[tuple[int, int]] = Counter()
    for code, count in scores.items():
        score, day = divmod(code, SUMMARY_DAYS)
        pain[day // 7, score] += count
    return Summary(
        patients=len(rows),
        phases=[(phase, per_phase.get(phase, 0)) for phase in PHASES],
        pain=pain_spread((week, score, n) for (week, score), n in pain.items()),
        adherence=adherence_of(patients, made),
        pain_patients=dict(week_patients),
    )


def save_cohort(user: User, name: str, query: str) -> bool:
    """Save a view of the cohort by name; the same name replaces the old view.

    True when the name is new. The caller commits.
    """
    saved = db.session.scalar(
        select(SavedCohort).where(
            SavedCohort.user_id == user.id, SavedCohort.name == name
        )
    )
    if saved is None:
        db.session.add(SavedCohort(user_id=user.id, name=name, query=query))
        return True
    saved.query = query
    return False


def saved_cohorts(user: User) -> list[SavedCohort]:
    """The user's own saved views of the cohort, by name."""
    return list(
        db.session.scalars(
            select(SavedCohort)
            .where(SavedCohort.user_id == user.id)
            .order_by(SavedCohort.name)
        )
    )


def forget_cohort(user: User, saved_id: int) -> SavedCohort | None:
    """Deletes one of the user's own saved views; None if they have no such view
    (another person's is not theirs to delete). The caller commits."""
    saved = db.session.get(SavedCohort, saved_id)
    if saved is None or saved.user_id != user.id:
        return None
    db.session.delete(saved)
    return saved


def _visit_days(protocols: dict[str, Any]) -> Select[tuple[int, str]]:
    """Per patient, the post-operative days of the visits and scans of the current
    episode that their protocol asks a check-in before (cancelled ones ask
    nothing), as a JSON array.

    Apart from the check-ins' query: as a subquery there, PostgreSQL's estimate
    of the whole went over its JIT threshold, and compiling cost 50 ms a view.
    """
    event = TimelineEvent
    # One test per distinct list of kinds, not per protocol (most share theirs):
    # it runs on each of 260,000 items (0.13 s -> 0.09 s of SQLite's time).
    procedures: dict[tuple[str, ...], list[str]] = {}
    for name, protocol in protocols.items():
        kinds = tuple(sorted(protocol.check_in.before_kinds))
        procedures.setdefault(kinds, []).append(name)
    asks_before = or_(
        *(
            and_(Patient.procedure.in_(names), event.kind.in_(kinds))
            for kinds, names in procedures.items()
        )
    )
    return (
        select(Patient.id, _json_array(_days(event.start_date, Patient.surgery_date)))
        .join(
            event,
            and_(
                event.patient_id == Patient.id,
                # A range of the (patient_id, start_date) index.
                event.start_date < _plus_days(Patient.surgery_date, SUMMARY_DAYS + 7),
            ),
        )
        .where(
            event.episode == Patient.episode,
            event.status != "cancelled",
            asks_before,
        )
        .group_by(Patient.id)
    )


def _check_ins(cohort: Cohort) -> ColumnElement[str | None]:
    """The patient's check-ins made in a summarised week that is over (this
    week's are not all in yet), as a JSON array of one number each: back pain *
    SUMMARY_DAYS + the post-operative day, which is under SUMMARY_DAYS.

    A range of the check-ins' index, which holds the score: no table row, no
    sort. One number rather than a pair per check-in halves the arrays to build
    and decode (about 0.6 s -> 0.35 s on PostgreSQL at 1,000,000 check-ins,
    bench/cohort.py).
    """
    weeks_over = _days(cohort.day(), Patient.surgery_date) // 7
    # One upper bound, so that it bounds the index range: SQLite tests a second
    # one on every check-in (0.42 s -> 0.25 s of its time without).
    weeks = case((weeks_over > SUMMARY_WEEKS, SUMMARY_WEEKS), else_=weeks_over)
    return (
        select(_json_array(SymptomLog.back_pain * SUMMARY_DAYS + _check_in_day()))
        .where(
            SymptomLog.patient_id == Patient.id,
            SymptomLog.recorded_at >= _plus_days(Patient.surgery_date, 0),
            SymptomLog.recorded_at < _plus_days(Patient.surgery_date, 7 * weeks),
        )
        .scalar_subquery()
    )
