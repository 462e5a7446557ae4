"""Timezone helpers shared by pages, forms and the API."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted."""
    return tuple(sorted(available_timezones()))


def is_timezone(name: str) -> bool:
    """Whether `name` is a known IANA timezone."""
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_hour(timezone: str, now: datetime) -> int:
    """The hour of the day at `now` in the given zone."""
    return now.astimezone(ZoneInfo(timezone)).hour


def local_today(timezone: str, now: datetime) -> date:
    """The calendar date at `now` in the given zone (dates of care are local)."""
    return now.astimezone(ZoneInfo(timezone)).date()
