"""Cohort figures: phases in order, pain quartiles by week, check-in adherence.

Pure: the database hands over counts, this module turns them into the figures
that the summary page charts and tabulates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
    reached = [0] * weeks
    expected = [0] * weeks
    made = [0] * weeks
    for patient in patients:
        over = min(max(patient.weeks_over, 0), weeks)
        for week in range(over):
            reached[week] += 1
        for day in patient.asked:
            if 0 <= day < 7 * over:
                expected[day // 7] += 1
                made[day // 7] += day in patient.made
    return [
        Adherence(week, reached[week], expected[week], made[week])
        for week in range(weeks)
        if reached[week]
    ]
