"""One machine-readable line per figure, for `make bench` (bench/run_all.py) to
gather into a table; the scripts keep printing their own readable lines too."""

from __future__ import annotations

import json


def report(
    bench: str,
    figure: str,
    value: float,
    unit: str,
    target: str,
    met: bool | None,
    baseline: float | None = None,
    baseline_label: str = "",
) -> None:
    """Print `RESULT {...}`: the figure, its baseline from the same run, the target."""
    print(
        "RESULT "
        + json.dumps(
            {
                "bench": bench,
                "figure": figure,
                "value": value,
                "unit": unit,
                "baseline": baseline,
                "baseline_label": baseline_label,
                "target": target,
                "met": met,
            }
        ),
        flush=True,
    )
