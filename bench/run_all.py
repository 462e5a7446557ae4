"""`make bench`: every bench script in turn, then one table of figures and targets.

Each script prints its own readable lines and one `RESULT {...}` line per figure
(bench/_result.py); this gathers those into a table. Options are passed through
for a quick run (`make bench BENCH_ARGS=--quick`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# script, normal arguments, quick arguments
SCRIPTS = [
    ("timeline.py", [], ["--patients", "2000"]),
    ("reminders.py", [], ["--sizes", "5000", "10000"]),
    ("cohort.py", [], ["--patients", "2000", "--logs-per-patient", "20"]),
    ("load.py", [], ["--quick"]),
]


def main() -> int:
    """Run them all; exit 1 when a target is not met."""
    quick = "--quick" in sys.argv[1:]
    results = []
    for script, normal, short in SCRIPTS:
        print(f"\n=== bench/{script} ===", flush=True)
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (our own scripts)
            [
                sys.executable,
                str(ROOT / "bench" / script),
                *(short if quick else normal),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("RESULT "):
                results.append(json.loads(line[len("RESULT ") :]))
            elif not line.startswith("INFO  [alembic"):
                print(line, end="", flush=True)
        if process.wait() != 0:
            results.append(
                {
                    "bench": script,
                    "figure": "script failed",
                    "value": process.returncode,
                    "unit": "exit",
                    "baseline": None,
                    "baseline_label": "",
                    "target": "exit 0",
                    "met": False,
                }
            )
        print(f"(bench/{script}: {time.perf_counter() - started:.0f} s)")
    print("\n" + table(results))
    return 0 if all(r["met"] is not False for r in results) else 1


def table(results: list[dict]) -> str:
    """Figures with their same-run baseline, ratio and target."""
    rows = [("bench", "figure", "value", "baseline", "ratio", "target", "")]
    for r in results:
        value = f"{r['value']:,.1f} {r['unit']}"
        base = f"{r['baseline']:,.1f} ({r['baseline_label']})" if r["baseline"] else ""
        ratio = f"{r['value'] / r['baseline']:.2f}x" if r["baseline"] else ""
        verdict = {True: "met", False: "NOT met", None: ""}[r["met"]]
        rows.append((r["bench"], r["figure"], value, base, ratio, r["target"], verdict))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
        )
        for row in rows
    )


if __name__ == "__main__":
    sys.exit(main())
