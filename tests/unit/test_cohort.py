"""Cohort figures: quartiles from score counts, adherence by week."""

from __future__ import annotations

import random
import statistics

import pytest

from recovery.domain.cohort import (
    Adherence,
    adherence_by_week,
    expected_checkins,
    pain_spread,
    quantile,
)
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


def test_checkins_are_asked_daily_for_six_weeks_then_weekly():
    assert [expected_checkins(w) for w in (0, 5, 6, 20)] == [7, 7, 1, 1]


def test_adherence_counts_only_patients_who_finished_the_week():
    # Three patients: 0, 1 and 7 weeks since surgery are over.
    rows = adherence_by_week({0: 10, 1: 7, 6: 1}, [0, 1, 7], weeks=8)
    assert rows[0] == Adherence(week=0, patients=2, expected=14, made=10)
    assert rows[0].percent == pytest.approx(71.4)
    assert rows[1] == Adherence(week=1, patients=1, expected=7, made=7)
    assert rows[6] == Adherence(week=6, patients=1, expected=1, made=1)
    assert [r.week for r in rows] == [0, 1, 2, 3, 4, 5, 6]


def test_adherence_never_exceeds_what_was_asked():
    (row,) = adherence_by_week({0: 50}, [1], weeks=1)
    assert row.made == 7 and row.percent == 100.0


def test_the_dashboards_sql_knows_the_same_period_kinds():
    """OPEN_ITEM_SQL (the partial index) must exclude exactly the period kinds."""
    from recovery.timeline.models import OPEN_ITEM_SQL

    listed = OPEN_ITEM_SQL.split("NOT IN (")[1].split(")")[0]
    assert {k.strip(" '") for k in listed.split(",")} == set(PERIOD_KINDS)


def test_weekly_chart_tells_an_empty_week_from_zero_and_counts_patients():
    from recovery.domain.cohort import Adherence, Spread, weekly_chart

    pain = [Spread(0, 4, 5.5, 6, 6.5), Spread(2, 3, 4, 5, 6)]  # nothing in week 2
    adherence = [Adherence(0, 3, 21, 0), Adherence(1, 2, 14, 7)]
    chart = weekly_chart(pain, {0: 3, 2: 1}, adherence)
    assert chart["weeks"] == [1, 2, 3]
    assert chart["median"] == [6.0, None, 5.0]  # the empty week is a gap
    assert chart["pain_patients"] == [3, 0, 1]
    assert chart["adherence"] == [0.0, 50.0]  # zero made is a real zero
    assert chart["adherence_patients"] == [3, 2]
    assert weekly_chart([], {}, [])["weeks"] == []
