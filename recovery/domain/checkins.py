"""When the symptom check-in is asked: one definition for reminders and adherence.

The cadence comes from the protocol file ([check_in]): daily from day 0 (the day of
surgery) to `daily_until`, weekly to `weekly_until`, then on the `days_before` days
before each visit and imaging. Pure: days from surgery in, days out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from recovery.domain.protocol import CheckInCadence


def asked_days(cadence: CheckInCadence, before: Iterable[int] = ()) -> frozenset[int]:
    """Post-operative days on which the check-in is asked.

    `before`: the first days (from surgery) of the visits and imaging that a
    check-in is asked before; only days from surgery on count.
    """
    days = set(range(cadence.daily_until + 1))
    days.update(range(cadence.daily_until + 7, cadence.weekly_until + 1, 7))
    for start in before:
        days.update(d for d in range(start - cadence.days_before, start) if d >= 0)
    return frozenset(days)


def asked_dates(
    surgery_date: date, cadence: CheckInCadence, before: Iterable[date] = ()
) -> list[date]:
    """The calendar days the check-in is asked, in order."""
    offsets = asked_days(cadence, ((d - surgery_date).days for d in before))
    return [surgery_date + timedelta(days=n) for n in sorted(offsets)]


def asked_on(
    surgery_date: date,
    today: date,
    cadence: CheckInCadence,
    before: Iterable[date] = (),
) -> bool:
    """Whether the check-in is asked on `today`."""
    return (today - surgery_date).days in asked_days(
        cadence, ((d - surgery_date).days for d in before)
    )
