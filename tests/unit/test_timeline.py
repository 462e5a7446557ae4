"""The pure timeline builder, its diff, statuses and phases."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.plan import (
    MALIGNANCIES,
    ORIGINS,
    PROCEDURES,
    TUMOR_LOCATIONS,
    BracePlan,
    Plan,
    RadiationPlan,
)
from recovery.domain.protocol import load_protocols
from recovery.domain.timeline import (
    PlannedEvent,
    StoredEvent,
    build,
    diff,
    limits_on,
    parse_phase_bounds,
    phase_on,
    radiation_dates,
    status_on,
)

PROTOCOLS = load_protocols()
BOUNDS = parse_phase_bounds(42, 90)  # the sheet's defaults (config.py)
SURGERY = date(2026, 11, 10)  # a Tuesday


def plan(**changes) -> Plan:
    base = Plan(
        surgery_date=SURGERY,
        procedure="open_resection",
        tumor_location="intradural_extramedullary",
        malignancy="benign",
        origin="primary",
    )
    return replace(base, **changes)


def timeline(p: Plan) -> list[PlannedEvent]:
    return build(p, PROTOCOLS[p.procedure])


def stored(events, **overrides) -> list[StoredEvent]:
    return [
        StoredEvent(
            key=e.key,
            status=overrides.get(e.key, "upcoming"),
            overridden=False,
            start_date=e.start_date,
            end_date=e.end_date,
            title=e.title,
            instructions=e.instructions,
            allowed=e.allowed,
            not_allowed=e.not_allowed,
            reminders=e.reminders,
            open_ended=e.open_ended,
        )
        for e in events
    ]


# -- examples ------------------------------------------------------------------


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("malignancy", MALIGNANCIES)
@pytest.mark.parametrize("location", TUMOR_LOCATIONS)
@pytest.mark.parametrize("radiation", [False, True])
@pytest.mark.parametrize("brace", [False, True])
def test_every_protocol_and_plan_combination_builds_a_complete_timeline(
    procedure, malignancy, location, radiation, brace
):
    p = plan(
        procedure=procedure,
        malignancy=malignancy,
        tumor_location=location,
        radiation=RadiationPlan(planned=radiation, start_day=10, weeks=3),
        brace=BracePlan(required=brace, weeks=6),
    )
    events = timeline(p)
    kinds = Counter(e.kind for e in events)
    assert kinds["activity_restriction"] >= 1
    assert kinds["wound_check"] == 1
    # A biopsy has its result visit as well as the 6-week surgeon visit.
    assert kinds["follow_up_visit"] == (2 if procedure == "biopsy" else 1)
    assert [
        (e.start_date - SURGERY).days for e in events if e.kind == "pain_review"
    ] == [7, 42]
    assert kinds["pain_review"] >= 1
    assert kinds["questionnaire"] == 5  # baseline, 6 weeks, 3, 6, 12 months
    assert kinds["brace"] == (1 if brace else 0)
    assert kinds["radiation_session"] == (15 if radiation else 0)
    assert (kinds["therapy"] > 0) == (procedure != "biopsy")
    imaging = [e.start_date + timedelta(days=14) for e in events if e.kind == "imaging"]
    months = [round((d - SURGERY).days / 30.44) for d in imaging]
    if malignancy != "benign":
        assert months == [3, 6, 9, 12, 18, 24, 36, 48, 60]
    elif location == "intramedullary":
        assert months == [3, 6, 12, 18, 24, 36, 48, 60]
    else:
        assert months == [3, 12, 24, 36, 48, 60]
    assert events == sorted(events, key=lambda e: (e.start_date, e.key))


def test_metastatic_tumor_gets_the_malignant_imaging_schedule_even_if_benign_coded():
    p = plan(malignancy="benign", origin="metastatic")
    assert sum(e.kind == "imaging" for e in timeline(p)) == 9


def test_radiation_starts_on_next_weekday_when_start_day_is_a_saturday():
    # Surgery Tuesday 10 Nov + 11 days = Saturday 21 Nov -> Monday 23 Nov.
    p = plan(radiation=RadiationPlan(planned=True, start_day=11, weeks=2))
    sessions = radiation_dates(p)
    assert sessions[0] == date(2026, 11, 23)
    assert len(sessions) == 10
    assert sessions[-1] == date(2026, 12, 4)


# Surgery Tuesday 10 Nov 2026; start day 14 = Tuesday 24 Nov; 2 weeks = 10 sessions.
@pytest.mark.parametrize(
    ("holidays", "first", "last"),
    [
        ((), date(2026, 11, 24), date(2026, 12, 7)),
        # Thanksgiving and the day after: both sessions move, the course ends later.
        (
            (date(2026, 11, 26), date(2026, 11, 27)),
            date(2026, 11, 24),
            date(2026, 12, 9),
        ),
        # A holiday on the first day moves the start to the next working day.
        ((date(2026, 11, 24),), date(2026, 11, 25), date(2026, 12, 8)),
        # A weekend holiday changes nothing.
        ((date(2026, 11, 28),), date(2026, 11, 24), date(2026, 12, 7)),
        # Holidays on the weekdays after: each session still happens.
        (
            (date(2026, 12, 7), date(2026, 12, 8)),
            date(2026, 11, 24),
            date(2026, 12, 9),
        ),
    ],
)
def test_a_session_on_a_clinic_holiday_moves_and_the_count_never_drops(
    holidays, first, last
):
    p = plan(
        radiation=RadiationPlan(planned=True, start_day=14, weeks=2),
        holidays=frozenset(holidays),
    )
    sessions = radiation_dates(p)
    assert len(sessions) == 10 == len(set(sessions))
    assert (sessions[0], sessions[-1]) == (first, last)
    assert not set(sessions) & set(holidays)
    assert all(day.weekday() < 5 for day in sessions)
    titles = [e.title for e in timeline(p) if e.kind == "radiation_session"]
    assert titles[-1] == "Radiation session 10 of 10"


def test_radiation_session_titles_and_instructions_carry_the_plan():
    p = plan(
        radiation=RadiationPlan(
            planned=True, start_day=7, weeks=2, minutes_per_session=20
        )
    )
    first = next(e for e in timeline(p) if e.kind == "radiation_session")
    assert first.title == "Radiation session 1 of 10"
    assert "about 20 minutes" in first.instructions
    assert first.key == "radiation:0"
    assert first.reminders == ("evening_before", "morning_of")


def test_brace_period_lasts_the_planned_weeks():
    p = plan(brace=BracePlan(required=True, weeks=8))
    brace = next(e for e in timeline(p) if e.kind == "brace")
    assert (brace.start_date, brace.end_date) == (SURGERY, SURGERY + timedelta(days=55))
    assert "for 8 weeks" in brace.instructions


def test_limits_on_day_three_say_what_is_allowed_and_not():
    events = timeline(plan(brace=BracePlan(required=True, weeks=6)))
    rows = [
        type(
            "Row", (), {**e._asdict(), "status": "upcoming"}
        )  # a stored-event look-alike
        for e in events
    ]
    limits = limits_on(rows, SURGERY + timedelta(days=3))
    assert "Walking, several times a day" in limits.allowed
    assert "Lifting more than 4.5 kg (10 lb)" in limits.not_allowed
    assert "Sitting, standing or walking without your brace" in limits.not_allowed
    assert limits_on(rows, SURGERY - timedelta(days=1)).titles == ()


def _rows(p: Plan, done: tuple[str, ...] = ()):
    """Stored-event look-alikes of a plan's timeline, some items done."""
    return [
        type(
            "Row",
            (),
            {**e._asdict(), "status": "done" if e.item_id in done else "upcoming"},
        )
        for e in timeline(p)
    ]


LIFTED_BY = {"activity_3": "surgeon_visit"}


@pytest.mark.parametrize("procedure", ["open_resection", "minimally_invasive_removal"])
@pytest.mark.parametrize(
    ("day", "visit_done", "bending_limited", "lifting_limited", "lifted"),
    [
        (3, False, True, True, False),
        (20, False, True, True, False),  # phase 2 keeps no bending or twisting
        (42, False, True, True, False),
        (49, False, True, True, False),  # visit window's last day, not yet seen
        (60, False, True, True, False),  # visit missed: limits still hold
        (400, False, True, True, False),  # phase 3 has no end date
        (50, True, False, False, True),  # the surgeon visit lifted them
    ],
)
def test_limits_hold_until_the_visit_that_lifts_them(
    procedure, day, visit_done, bending_limited, lifting_limited, lifted
):
    p = plan(procedure=procedure)
    rows = _rows(p, ("surgeon_visit",) if visit_done else ())
    limits = limits_on(rows, SURGERY + timedelta(days=day), LIFTED_BY)
    assert ("Bending or twisting" in limits.not_allowed) == bending_limited
    assert ("Lifting more than 4.5 kg (10 lb)" in limits.not_allowed) == (
        lifting_limited
    )
    assert bool(limits.lifted) == lifted
    # "No limits" can only be said once the visit has lifted them.
    assert limits.not_allowed or limits.lifted


def test_phase_three_has_no_end_date_and_names_the_6_week_visit():
    events = timeline(plan())
    phase3 = next(e for e in events if e.item_id == "activity_3")
    assert phase3.open_ended
    assert phase3.start_date == SURGERY + timedelta(days=43)
    assert phase3.end_date >= max(e.end_date for e in events if not e.open_ended)
    assert "6-week visit" in phase3.title


@pytest.mark.parametrize(
    ("stored_status", "kind", "today", "expected"),
    [
        ("upcoming", "imaging", date(2026, 12, 1), "upcoming"),
        ("upcoming", "imaging", date(2026, 12, 5), "due"),
        ("upcoming", "imaging", date(2026, 12, 10), "due"),
        ("upcoming", "imaging", date(2026, 12, 11), "missed"),
        ("upcoming", "brace", date(2026, 12, 11), "done"),
        ("done", "imaging", date(2026, 12, 1), "done"),
        ("cancelled", "imaging", date(2026, 12, 7), "cancelled"),
    ],
)
def test_status_moves_from_upcoming_to_due_to_missed(
    stored_status, kind, today, expected
):
    assert (
        status_on(stored_status, kind, date(2026, 12, 5), date(2026, 12, 10), today)
        == expected
    )


@pytest.mark.parametrize(
    ("today", "radiation", "expected"),
    [
        (date(2026, 11, 9), None, "pre_op"),
        (date(2026, 11, 10), None, "early_recovery"),
        (date(2026, 12, 22), None, "early_recovery"),  # day 42
        (date(2026, 12, 23), None, "rehabilitation"),
        (date(2027, 2, 8), None, "surveillance"),  # day 90
        (
            date(2026, 11, 19),
            (date(2026, 11, 20), date(2026, 12, 10)),
            "early_recovery",
        ),
        (date(2026, 11, 20), (date(2026, 11, 20), date(2026, 12, 10)), "radiation"),
        (date(2026, 12, 10), (date(2026, 11, 20), date(2026, 12, 10)), "radiation"),
        (
            date(2026, 12, 11),
            (date(2026, 11, 20), date(2026, 12, 10)),
            "rehabilitation",
        ),
    ],
)
def test_phase_at_its_edges(today, radiation, expected):
    assert phase_on(SURGERY, today, radiation, bounds=BOUNDS) == expected


def test_discharged_patient_is_completed():
    assert (
        phase_on(SURGERY, date(2027, 1, 1), discharged=True, bounds=BOUNDS)
        == "completed"
    )


@pytest.mark.parametrize(
    ("early", "surveillance", "day", "expected"),
    [
        (42, 90, 43, "rehabilitation"),
        (28, 90, 30, "rehabilitation"),  # a clinic that ends early recovery sooner
        (42, 60, 61, "surveillance"),
        ("42", "90", 42, "early_recovery"),  # settings arrive as text
    ],
)
def test_phase_bounds_are_settings(early, surveillance, day, expected):
    bounds = parse_phase_bounds(early, surveillance)
    today = SURGERY + timedelta(days=day)
    assert phase_on(SURGERY, today, bounds=bounds) == expected


@pytest.mark.parametrize(
    ("early", "surveillance", "named"),
    [
        ("six weeks", "90", "PHASE_EARLY_RECOVERY_UNTIL"),
        ("42", "-1", "PHASE_SURVEILLANCE_FROM"),
        ("90", "42", "PHASE_EARLY_RECOVERY_UNTIL must be from 0 to below"),
    ],
)
def test_bad_phase_bounds_name_the_setting(early, surveillance, named):
    with pytest.raises(ValueError, match=named):
        parse_phase_bounds(early, surveillance)


# -- diff ----------------------------------------------------------------------


def test_diff_keeps_done_and_overridden_events_and_cancels_vanished_ones():
    before = timeline(
        plan(radiation=RadiationPlan(planned=True, start_day=10, weeks=4))
    )
    rows = stored(before, **{"radiation:0": "done"})
    rows = [r._replace(overridden=True) if r.key == "radiation:19" else r for r in rows]
    after = timeline(plan(radiation=RadiationPlan(planned=True, start_day=14, weeks=2)))
    changes = diff(rows, after)
    moved = {e.key for e in changes.updated}
    assert "radiation:0" not in moved  # done: kept as it was
    assert "radiation:1" in moved
    assert "radiation:19" not in changes.cancelled  # a clinician's override stays
    assert set(changes.cancelled) == {f"radiation:{n}" for n in range(10, 19)}
    assert changes.added == ()


def test_diff_reactivates_a_cancelled_event_the_plan_brings_back():
    events = timeline(plan(brace=BracePlan(required=True)))
    rows = stored(events, **{"brace:0": "cancelled"})
    changes = diff(rows, events)
    assert [e.key for e in changes.reactivated] == ["brace:0"]


# -- properties ----------------------------------------------------------------

plans = st.builds(
    Plan,
    surgery_date=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    procedure=st.sampled_from(PROCEDURES),
    tumor_location=st.sampled_from(TUMOR_LOCATIONS),
    malignancy=st.sampled_from(MALIGNANCIES),
    origin=st.sampled_from(ORIGINS),
    radiation=st.builds(
        RadiationPlan,
        planned=st.booleans(),
        start_day=st.integers(7, 14),
        weeks=st.integers(2, 6),
        minutes_per_session=st.integers(10, 30),
    ),
    brace=st.builds(BracePlan, required=st.booleans(), weeks=st.integers(1, 26)),
    holidays=st.frozensets(st.dates(date(2020, 1, 1), date(2031, 12, 31)), max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(plans)
def test_nothing_happens_before_surgery_except_pre_op_items(p):
    pre_op = {item.id for item in PROTOCOLS[p.procedure].items if item.pre_op}
    for event in timeline(p):
        if event.start_date < p.surgery_date:
            assert event.item_id in pre_op, event


@settings(max_examples=300, deadline=None)
@given(plans)
def test_radiation_sessions_fall_on_weekdays_within_the_allowed_start(p):
    sessions = [e for e in timeline(p) if e.kind == "radiation_session"]
    if not p.radiation.planned:
        assert sessions == []
        return
    days = [e.start_date for e in sessions]
    assert all(d.weekday() < 5 for d in days)
    assert days == sorted(set(days))

    def weekday_on_or_after(day):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    start = weekday_on_or_after(p.surgery_date + timedelta(days=p.radiation.start_day))
    assert start >= p.surgery_date + timedelta(days=7)
    # The course: the first 5 x weeks working days (weekdays, not holidays) from the
    # start; a holiday moves its session on, so the count never drops.
    course, day = [], start
    while len(course) < 5 * p.radiation.weeks:
        if day.weekday() < 5 and day not in p.holidays:
            course.append(day)
        day += timedelta(days=1)
    assert days == course
    assert len(days) == 5 * p.radiation.weeks
    assert all(d not in p.holidays for d in days)


@settings(max_examples=200, deadline=None)
@given(plans)
def test_building_twice_gives_identical_keys_and_keys_are_unique(p):
    first, second = timeline(p), timeline(p)
    assert [e.key for e in first] == [e.key for e in second]
    assert len({e.key for e in first}) == len(first)
    assert first == second


@settings(max_examples=200, deadline=None)
@given(plans)
def test_recompute_after_no_change_changes_nothing(p):
    events = timeline(p)
    assert diff(stored(events), events).is_empty


@settings(max_examples=200, deadline=None)
@given(plans, st.integers(-400, 400), st.data())
def test_moving_surgery_moves_every_open_event_by_the_same_days(p, shift, data):
    before = timeline(p)
    done = data.draw(st.sets(st.sampled_from([e.key for e in before])))
    moved_plan = replace(p, surgery_date=p.surgery_date + timedelta(days=shift))
    changes = diff(stored(before, **{k: "done" for k in done}), timeline(moved_plan))
    old = {e.key: e for e in before}
    updated = {e.key: e for e in changes.updated}
    assert not done & set(updated)  # done events never move
    for key, event in updated.items():
        if event.kind == "radiation_session":
            continue  # sessions follow weekdays, checked below
        assert event.start_date - old[key].start_date == timedelta(days=shift)
        assert event.end_date - old[key].end_date == timedelta(days=shift)
    if shift % 7 == 0 and not p.holidays:
        for key, event in updated.items():
            assert event.start_date - old[key].start_date == timedelta(days=shift)
    if shift != 0:
        open_non_radiation = {
            k for k, e in old.items() if k not in done and e.kind != "radiation_session"
        }
        assert open_non_radiation <= set(updated)


@settings(max_examples=300, deadline=None)
@given(plans, st.integers(-3000, 3000))
def test_the_shape_cache_gives_exactly_the_direct_build(p, shift):
    from recovery.domain.timeline import _build

    protocol = PROTOCOLS[p.procedure]
    build(p, protocol)  # fills the cache for this shape
    other = replace(p, surgery_date=p.surgery_date + timedelta(days=shift))
    assert build(other, protocol) == _build(other, protocol)


@pytest.mark.parametrize(
    ("procedure", "day", "expected"),
    [
        ("open_resection", -3, {"recovery_time", "pain"}),
        ("open_resection", 3, {"recovery_time", "pain", "complications"}),
        (
            "open_resection",
            30,
            {"recovery_time", "pain", "complications", "therapy"},
        ),
        (
            "open_resection",
            60,
            {
                "recovery_time",
                "pain",
                "complications",
                "therapy",
                "imaging",
                "regrowth",
            },
        ),
        ("open_resection", 400, {"pain", "imaging", "regrowth"}),
        # A biopsy has no therapy, so no therapy text.
        ("biopsy", 30, {"recovery_time", "pain", "complications"}),
    ],
)
def test_education_applies_by_day_and_protocol(procedure, day, expected):
    from recovery.domain.timeline import education_on

    p = plan(procedure=procedure)
    entries = education_on(
        PROTOCOLS[procedure], p, SURGERY + timedelta(days=day), "home"
    )
    assert {e.id for e in entries} == expected


def test_done_is_offered_only_for_due_or_missed_items_of_the_patients_kinds():
    from recovery.domain.timeline import done_refusal

    kinds = frozenset({"wound_check", "therapy"})
    assert done_refusal("wound_check", "due", True, kinds) is None
    assert done_refusal("therapy", "missed", True, kinds) is None
    assert done_refusal("wound_check", "upcoming", True, kinds) == "status"
    assert done_refusal("follow_up_visit", "due", True, kinds) == "kind"
    assert done_refusal("brace", "due", True, kinds) == "kind"
    # Staff pages offer any due item but the restrictions and the brace.
    assert done_refusal("follow_up_visit", "due", False, kinds) is None
    assert done_refusal("brace", "due", False, kinds) == "kind"
