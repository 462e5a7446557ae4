"""Timezone helpers shared by pages, forms and the API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted."""
    return tuple(sorted(available_timezones()))


def is_timezone(name: str) -> bool:
    """Whether `name` is a known IANA timezone."""
    # Only names of the tz database's list: a folder of it ("America") opens as
    # a directory, and a path ("../x") would reach outside it.
    if not name or len(name) > 64 or name not in _known_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=1)
def _known_names() -> frozenset[str]:
    return frozenset(timezone_names())


def local_hour(timezone: str, now: datetime) -> int:
    """The hour of the day at `now` in the given zone."""
    return now.astimezone(ZoneInfo(timezone)).hour


def local_today(timezone: str, now: datetime) -> date:
    """The calendar date at `now` in the given zone (dates of care are local)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def local_day_bounds(timezone: str, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a calendar day in `timezone` starts and ends."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return start, end
