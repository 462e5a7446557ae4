"""Cohort figures: quartiles from score counts, adherence by week."""

from __future__ import annotations

import random
import statistics

import pytest

from recovery.domain.checkins import asked_days
from recovery.domain.cohort import (
    Adherence,
    PatientCheckIns,
    adherence_by_week,
    pain_spread,
    quantile,
)
from recovery.domain.protocol import load_protocols
from recovery.domain.timeline import PERIOD_KINDS


def test_quantiles_from_counts_match_the_statistics_module():
    rng = random.Random(3)
    for _ in range(300):
        scores = [rng.randrange(0, 11) for _ in range(rng.randrange(1, 60))]
        histogram: dict[int, int] = {}
        for score in scores:
            histogram[score] = histogram.get(score, 0) + 1
        if len(scores) == 1:
            expected = [scores[0]] * 3
        else:
            expected = statistics.quantiles(scores, n=4, method="inclusive")
        got = [quantile(histogram, f) for f in (0.25, 0.5, 0.75)]
        assert got == pytest.approx(expected), scores


def test_quantile_of_nothing_is_refused():
    with pytest.raises(ValueError):
        quantile({}, 0.5)


def test_pain_spread_groups_rows_by_week_in_order():
    spread = pain_spread([(1, 5, 1), (0, 8, 1), (0, 4, 1), (0, 6, 2), (1, 3, 1)])
    assert [(s.week, s.count, s.q1, s.median, s.q3) for s in spread] == [
        (0, 4, 5.5, 6, 6.5),
        (1, 2, 3.5, 4, 4.5),
    ]


CADENCE = load_protocols()["open_resection"].check_in
ASKED = asked_days(CADENCE)


@pytest.mark.parametrize(
    ("week", "expected"),
    [(0, 7), (5, 7), (6, 1), (7, 1), (11, 1), (12, 1), (13, 0), (20, 0)],
)
def test_one_patient_is_asked_what_the_cadence_asks(week, expected):
    # Day 42 (the last daily day) is in week 6; weekly days 49..84 are weeks 7..12.
    rows = adherence_by_week([PatientCheckIns(ASKED, frozenset(), 30)], weeks=26)
    assert rows[week].expected == expected


def test_visits_and_imaging_add_the_days_before_them():
    asked = asked_days(CADENCE, [124])  # a visit on day 124: days 122 and 123
    (row,) = [
        r
        for r in adherence_by_week(
            [PatientCheckIns(asked, frozenset({122, 123, 124}), 30)]
        )
        if r.week == 17
    ]
    # Day 124 itself was not asked: it is not counted, so 100 % is the most.
    assert (row.expected, row.made) == (2, 2)


def test_adherence_counts_only_patients_who_finished_the_week():
    # Three patients: 0, 1 and 7 weeks since surgery are over.
    first_week = frozenset(range(7))
    patients = [
        PatientCheckIns(ASKED, frozenset(), 0),
        PatientCheckIns(ASKED, frozenset(range(3)), 1),
        PatientCheckIns(ASKED, first_week | frozenset(range(7, 14)) | {42}, 7),
    ]
    rows = adherence_by_week(patients, weeks=8)
    assert rows[0] == Adherence(week=0, patients=2, expected=14, made=10)
    assert rows[0].percent == pytest.approx(71.4)
    assert rows[1] == Adherence(week=1, patients=1, expected=7, made=7)
    assert rows[6] == Adherence(week=6, patients=1, expected=1, made=1)
    assert [r.week for r in rows] == [0, 1, 2, 3, 4, 5, 6]


def test_adherence_never_exceeds_what_was_asked():
    (row,) = adherence_by_week(
        [PatientCheckIns(ASKED, frozenset(range(-3, 50)), 1)], weeks=1
    )
    assert row.made == 7 and row.percent == 100.0


def test_the_dashboards_sql_knows_the_same_period_kinds():
    """OPEN_ITEM_SQL (the partial index) must exclude exactly the period kinds."""
    from recovery.timeline.models import OPEN_ITEM_SQL

    listed = OPEN_ITEM_SQL.split("NOT IN (")[1].split(")")[0]
    assert {k.strip(" '") for k in listed.split(",")} == set(PERIOD_KINDS)
