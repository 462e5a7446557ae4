"""The instants CI moves the suite's clock to."""

from datetime import UTC, datetime

import pytest

from tests.clocks import before_dst, next_offset_change, year_ahead


@pytest.mark.parametrize(
    ("zone", "after", "change"),
    [
        ("America/New_York", "2026-12-04T03:00", "2027-03-14T07:00"),  # spring forward
        ("America/New_York", "2027-03-14T07:00", "2027-11-07T06:00"),  # fall back
        ("Europe/Oslo", "2026-12-04T03:00", "2027-03-28T01:00"),
    ],
)
def test_next_offset_change_is_the_first_instant_of_the_new_offset(zone, after, change):
    start = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert next_offset_change(zone, start) == datetime.fromisoformat(change).replace(
        tzinfo=UTC
    )


def test_the_runs_start_a_year_on_and_just_before_the_change():
    now = datetime(2026, 12, 4, 3, 22, tzinfo=UTC)
    assert year_ahead(now) == datetime(2028, 1, 8, 12, tzinfo=UTC)
    assert before_dst(now) == datetime(2027, 3, 14, 6, 59, 30, tzinfo=UTC)


def test_a_zone_without_daylight_saving_has_no_change():
    with pytest.raises(ValueError, match="no offset change"):
        next_offset_change("UTC", datetime(2026, 12, 4, tzinfo=UTC))
