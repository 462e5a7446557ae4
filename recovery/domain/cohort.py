"""Cohort figures: phases in order, pain quartiles by week, check-in adherence.

Pure: the database hands over counts, this module turns them into the figures
that the summary page charts and tabulates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# In the order a patient passes through them (the dashboard sorts by this).
PHASES = (
    "pre_op",
    "early_recovery",
    "radiation",
    "rehabilitation",
    "surveillance",
    "completed",
)
# The summary looks at the first half year after surgery.
SUMMARY_WEEKS = 26


@dataclass(frozen=True)
class Spread:
    """Median and interquartile range of one week's back pain scores."""

    week: int
    count: int
    q1: float
    median: float
    q3: float


def quantile(histogram: Mapping[int, int], fraction: float) -> float:
    """The `fraction` quantile of integer scores given as {score: count}.

    Linear interpolation between closest ranks, as statistics.quantiles(...,
    method="inclusive") and NumPy's default do.
    """
    total = sum(histogram.values())
    if total == 0:
        raise ValueError("no scores")
    position = fraction * (total - 1)
    low_rank = int(position)
    high_rank = min(low_rank + 1, total - 1)
    low = high = None
    seen = 0
    for score in sorted(histogram):
        seen += histogram[score]
        if low is None and low_rank < seen:
            low = score
        if high_rank < seen:
            high = score
            break
    assert low is not None and high is not None
    return low + (high - low) * (position - low_rank)


def pain_spread(counts: Iterable[tuple[int, int, int]]) -> list[Spread]:
    """(week, score, count) rows -> one Spread per week that has scores."""
    weeks: dict[int, dict[int, int]] = {}
    for week, score, count in counts:
        scores = weeks.setdefault(week, {})
        scores[score] = scores.get(score, 0) + count
    return [
        Spread(
            week,
            sum(scores.values()),
            quantile(scores, 0.25),
            quantile(scores, 0.5),
            quantile(scores, 0.75),
        )
        for week, scores in sorted(weeks.items())
    ]


@dataclass(frozen=True)
class PatientCheckIns:
    """One patient's check-in days against the days they were asked.

    `asked` comes from recovery.domain.checkins, the definition the reminders use;
    `made` holds the post-operative days with a check-in; `weeks_over` counts the
    weeks since surgery that are over (the current week is not judged yet).
    """

    asked: frozenset[int]
    made: frozenset[int]
    weeks_over: int


@dataclass(frozen=True)
class Adherence:
    """Check-ins made against check-ins asked, over the patients who lived the week."""

    week: int
    patients: int
    expected: int
    made: int

    @property
    def percent(self) -> float | None:
        """Share of asked check-ins made, 0-100; None when none was asked."""
        return round(100 * self.made / self.expected, 1) if self.expected else None


def adherence_by_week(
    patients: Iterable[PatientCheckIns], weeks: int = SUMMARY_WEEKS
) -> list[Adherence]:
    """Adherence per finished post-operative week: check-ins made on the days they
    were asked, against those days. A check-in on a day not asked is welcome but
    does not count, so no week goes over 100 %.
    """
    patients = list(patients)
    made: Counter[int] = Counter()
    for patient in patients:
        over = min(max(patient.weeks_over, 0), weeks)
        for day in patient.asked & patient.made:
            if 0 <= day < 7 * over:
                made[day // 7] += 1
    return adherence_of(
        Counter((patient.asked, patient.weeks_over) for patient in patients),
        made,
        weeks,
    )


def adherence_of(
    patients: Mapping[tuple[frozenset[int], int], int],
    made: Mapping[int, int],
    weeks: int = SUMMARY_WEEKS,
) -> list[Adherence]:
    """Adherence per finished week from patients counted by (asked days, weeks
    over) and the check-ins made on asked days per week (`made`, counted apart,
    by adherence_by_week or by the database)."""
    reached = [0] * weeks
    expected = [0] * weeks
    for (asked, weeks_over), count in patients.items():
        over = min(max(weeks_over, 0), weeks)
        for week in range(over):
            reached[week] += count
        for day in asked:
            if 0 <= day < 7 * over:
                expected[day // 7] += count
    return [
        Adherence(week, reached[week], expected[week], made.get(week, 0))
        for week in range(weeks)
        if reached[week]
    ]


def weekly_chart(
    pain: Sequence[Spread],
    pain_patients: Mapping[int, int],
    adherence: Sequence[Adherence],
) -> dict[str, list[Any]]:
    """The summary charts' series, one entry per week from the first to the last
    with data. A week without data is None (a gap), not 0: zero adherence is a
    real figure, an empty week is not. Each week says how many patients it
    stands on."""
    spreads = {s.week: s for s in pain}
    pain_weeks = range(min(spreads), max(spreads) + 1) if spreads else range(0)
    reached = {a.week: a for a in adherence}
    adherence_weeks = range(max(reached) + 1) if reached else range(0)
    return {
        "weeks": [week + 1 for week in pain_weeks],
        "pain_patients": [pain_patients.get(week, 0) for week in pain_weeks],
        "median": [_field(spreads.get(w), "median") for w in pain_weeks],
        "q1": [_field(spreads.get(w), "q1") for w in pain_weeks],
        "q3": [_field(spreads.get(w), "q3") for w in pain_weeks],
        "adherence_weeks": [week + 1 for week in adherence_weeks],
        "adherence_patients": [
            reached[w].patients if w in reached else 0 for w in adherence_weeks
        ],
        "adherence": [
            reached[w].percent if w in reached else None for w in adherence_weeks
        ],
    }


def _field(spread: Spread | None, name: str) -> float | None:
    return None if spread is None else float(getattr(spread, name))
