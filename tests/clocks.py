"""Instants to run the suite at (`pytest --clock`), computed from today.

    python -m tests.clocks year-ahead     # 400 days from now, at 12:00 UTC
    python -m tests.clocks before-dst     # 30 s before New York's next DST change

CI runs the suite at both, so a test that leans on the real date, or on a day
that never has 23 or 25 hours, fails there and not a year from now. A test that
starts a Python subprocess builds its command with `python_command`, so the child
reads the same (moved) clock as the test.
"""

from __future__ import annotations

import runpy
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine


def next_offset_change(zone: str, after: datetime) -> datetime:
    """The first instant after `after` at which `zone`'s UTC offset changes."""
    tz = ZoneInfo(zone)
    offset = after.astimezone(tz).utcoffset()
    step = after
    while (step + timedelta(days=1)).astimezone(tz).utcoffset() == offset:
        step += timedelta(days=1)
        if step - after > timedelta(days=400):
            raise ValueError(f"{zone} has no offset change within 400 days")
    low, high = step, step + timedelta(days=1)  # the change lies in (low, high]
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def year_ahead(now: datetime) -> datetime:
    """Noon UTC, 400 days on: past every fixed date a test may have been written on."""
    return (now + timedelta(days=400)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )


def before_dst(now: datetime, zone: str = "America/New_York") -> datetime:
    """Thirty seconds before the zone's next DST change: the suite runs across it."""
    return next_offset_change(zone, now) - timedelta(seconds=30)


def python_command(*args: str) -> list[str]:
    """`python *args`, started on this process's clock: when the clock is moved
    (pytest --clock, or a travelling test), the child runs inside a ticking travel
    by the same offset from the real clock. Run it from the project's root."""
    if not time_machine.escape_hatch.is_travelling():
        return [sys.executable, *args]
    offset = time.time() - time_machine.escape_hatch.time.time()
    return [sys.executable, "-m", "tests.clocks", "exec", repr(offset), *args]


def _exec(offset: str, args: list[str]) -> None:
    """Run `-m module args...` as `python` would, its clock `offset` seconds
    from the real one (an offset, not an instant: the child's start-up time must
    not put it behind its parent)."""
    if len(args) < 2 or args[0] != "-m":
        raise SystemExit("usage: python -m tests.clocks exec OFFSET -m MODULE ...")
    moved = datetime.fromtimestamp(time.time() + float(offset), UTC)
    time_machine.travel(moved, tick=True).start()
    sys.argv = [args[1], *args[2:]]
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)


def main(argv: list[str]) -> int:
    """Print the instant named by the one argument (or `exec` a module)."""
    if argv[:1] == ["exec"] and len(argv) >= 2:
        _exec(argv[1], argv[2:])
        return 0
    now = datetime.now(UTC)
    choices = {"year-ahead": year_ahead, "before-dst": before_dst}
    if len(argv) != 1 or argv[0] not in choices:
        print(f"usage: python -m tests.clocks {'|'.join(choices)}", file=sys.stderr)
        return 2
    print(choices[argv[0]](now).isoformat())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
