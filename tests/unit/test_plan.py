"""The plan's day arithmetic."""

from datetime import date

import pytest

from recovery.domain.plan import post_op_day


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 9), -1),
        (date(2026, 11, 10), 0),
        (date(2026, 11, 24), 14),
        (date(2027, 1, 1), 52),
    ],
)
def test_post_op_day_counts_from_the_surgery_date(today, expected):
    assert post_op_day(date(2026, 11, 10), today) == expected
