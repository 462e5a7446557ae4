"""When the symptom check-in is asked: the one definition of reminders and adherence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from recovery.domain.checkins import asked_dates, asked_days, asked_on
from recovery.domain.protocol import CheckInCadence, load_protocols

SHIPPED = load_protocols()["open_resection"].check_in
SURGERY = date(2026, 11, 10)


@pytest.mark.parametrize(
    ("day", "before", "asked"),
    [
        (0, (), True),  # the day of surgery
        (1, (), True),
        (42, (), True),  # last daily day
        (43, (), False),
        (48, (), False),
        (49, (), True),  # weekly from here
        (84, (), True),
        (85, (), False),
        (91, (), False),  # nothing after the weekly ones without a visit
        (180, (182,), True),  # the 2 days before an MRI
        (181, (182,), True),
        (182, (182,), False),  # not the day itself
        (179, (182,), False),
        (364, (365, 400), True),
        (-1, (1,), False),  # never before surgery
    ],
)
def test_asked_days_follow_the_protocol_cadence(day, before, asked):
    assert (day in asked_days(SHIPPED, before)) == asked
    assert (
        asked_on(
            SURGERY,
            SURGERY + timedelta(days=day),
            SHIPPED,
            [SURGERY + timedelta(days=b) for b in before],
        )
        == asked
    )


@pytest.mark.parametrize(
    ("cadence", "count"),
    [
        (CheckInCadence(42, 90, 2), 43 + 6),
        (CheckInCadence(14, 28, 2), 15 + 2),
        (CheckInCadence(0, 0, 0), 1),
    ],
)
def test_the_cadence_is_data(cadence, count):
    assert len(asked_days(cadence)) == count


def test_asked_dates_are_calendar_days_in_order():
    dates = asked_dates(SURGERY, SHIPPED, [SURGERY + timedelta(days=120)])
    assert dates[0] == SURGERY
    assert dates == sorted(dates)
    assert dates[-2:] == [SURGERY + timedelta(days=118), SURGERY + timedelta(days=119)]
