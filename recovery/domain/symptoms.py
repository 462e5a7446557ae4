"""Red-flag rules: a check-in and the patient's history in, findings out.

Every threshold is data (rules/red_flags.toml, defaults from ../shared/clinical.md),
loaded and checked by `load_red_flags`; each finding names its rule. Pure: the
check-in carries its own time, nothing reads a clock.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from statistics import median
from typing import Any

WEAKNESS = ("none", "mild", "worse")
WOUND = ("healing", "red", "draining", "opened")
# What a check-in may hold, the same on the page and in the API: pain, numbness
# and tiredness on the 0-10 scale; a body temperature and weight a person can have.
SCALE = (0, 10)
TEMPERATURE_C = (34, 43)
WEIGHT_KG = (20, 400)
NOTES_MAX = 2000
# An alert is urgent (a red flag: call now) or a warning; staff acknowledge it, and
# it is resolved when the sign is gone.
SEVERITIES = ("urgent", "warning")
ALERT_STATUSES = ("open", "acknowledged", "resolved")

RED_FLAGS_FILE = Path(__file__).parent / "rules" / "red_flags.toml"


class RedFlagError(ValueError):
    """A red-flag rules file that cannot be used, with the file, the key and why."""


@dataclass(frozen=True)
class RedFlagRules:
    """The thresholds of every rule and the urgent signs patients are told of."""

    fever_alone_c: float
    fever_with_wound_c: float
    pain_rise_points: int
    pain_rise_check_ins: int
    pain_baseline_days: int
    weight_loss_percent: float
    weight_window_days: int
    odi_worse_points: float
    no_check_in_days: int
    # "Call at once if you have ...", every urgent sign of the sheet, with a rule or
    # without one, the numbers filled in from the thresholds above.
    urgent_signs: tuple[str, ...]


# (section, key, type, lowest, highest): what each threshold may be.
_LIMITS: tuple[tuple[str, str, type, float, float], ...] = (
    ("urgent", "fever_alone_c", float, 37.0, 42.0),
    ("urgent", "fever_with_wound_c", float, 37.0, 42.0),
    ("warning", "pain_rise_points", int, 1, 10),
    ("warning", "pain_rise_check_ins", int, 1, 14),
    ("warning", "pain_baseline_days", int, 1, 60),
    ("warning", "weight_loss_percent", float, 0.5, 50.0),
    ("warning", "weight_window_days", int, 1, 365),
    ("warning", "odi_worse_points", float, 1.0, 100.0),
    ("warning", "no_check_in_days", int, 1, 30),
)


def parse_red_flags(data: Mapping[str, Any], source: str) -> RedFlagRules:
    """Check a parsed rules file; a bad value names the file and the key."""
    values: dict[str, Any] = {}
    for section, key, kind, low, high in _LIMITS:
        where = f"{source}: [{section}] {key}"
        table = data.get(section)
        if not isinstance(table, Mapping) or key not in table:
            raise RedFlagError(f"{where}: missing")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RedFlagError(f"{where}: must be a number")
        if kind is int and not isinstance(value, int):
            raise RedFlagError(f"{where}: must be a whole number")
        if not low <= value <= high:
            raise RedFlagError(f"{where}: {value} is outside {low:g}-{high:g}")
        values[key] = kind(value)
    if values["fever_with_wound_c"] > values["fever_alone_c"]:
        raise RedFlagError(
            f"{source}: [urgent] fever_with_wound_c must not be above fever_alone_c"
        )
    signs = data.get("guidance", {}).get("urgent_signs")
    where = f"{source}: [guidance] urgent_signs"
    if not isinstance(signs, list) or not signs:
        raise RedFlagError(f"{where}: must be a list of the urgent signs")
    texts = []
    for n, sign in enumerate(signs, 1):
        if not isinstance(sign, str) or not sign.strip():
            raise RedFlagError(f"{where}, sign {n}: must be a text")
        try:
            texts.append(sign.format(**{k: _shown(v) for k, v in values.items()}))
        except (KeyError, IndexError, ValueError) as error:
            raise RedFlagError(f"{where}, sign {n}: unknown value {error}") from None
    return RedFlagRules(**values, urgent_signs=tuple(texts))


def _shown(value: float) -> str:
    """A threshold as a patient reads it: 38.0, 7."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def load_red_flags(path: Path = RED_FLAGS_FILE) -> RedFlagRules:
    """Read and check a red-flag rules file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RedFlagError(f"{path}: cannot be read: {error}") from error
    return parse_red_flags(data, str(path))


@cache
def default_rules() -> RedFlagRules:
    """The packaged rules file, read once (the app passes its configured one)."""
    return load_red_flags()


@dataclass(frozen=True)
class CheckIn:
    """One symptom check-in, as the rules see it."""

    recorded_at: datetime
    back_pain: int
    leg_pain: int | None = None
    numbness: bool | None = None
    leg_weakness: str | None = None
    coordination_loss: bool | None = None
    bladder_incontinence: bool | None = None
    bowel_incontinence: bool | None = None
    urinary_retention: bool | None = None
    saddle_numbness: bool | None = None
    temperature_c: float | None = None
    wound: str | None = None
    fatigue: int | None = None
    weight_kg: float | None = None


@dataclass(frozen=True)
class Finding:
    """A red flag (urgent) or a warning, with the rule that raised it."""

    severity: str
    rule: str
    message: str


URGENT_ADVICE = (
    "Call your care team now. If you cannot reach them, call emergency services."
)


def _new(flag: str, check_in: CheckIn, previous: CheckIn | None) -> bool:
    """Reported now and not at the check-in before: a new sign."""
    if not getattr(check_in, flag):
        return False
    return previous is None or not getattr(previous, flag)


def urgent_findings(
    check_in: CheckIn, previous: CheckIn | None, rules: RedFlagRules | None = None
) -> list[Finding]:
    """Signs that must reach the care team at once.

    Inability to pass urine and saddle numbness are urgent every time they are
    reported: either can be cauda equina compression, which does not get better by
    being reported twice. Incontinence and loss of coordination are urgent when new
    (not reported at the check-in before): the sheet names *new* incontinence and
    *new* loss of coordination, because a patient may live with either from before
    the operation; a deficit that persists is on the open alert and in the care
    team's hands. Repeats of an open alert add to it (see raise_alerts).
    """
    rules = rules or default_rules()
    found: list[Finding] = []
    for flag, rule, text, only_when_new in (
        (
            "bladder_incontinence",
            "new_bladder_incontinence",
            "new loss of bladder control",
            True,
        ),
        (
            "bowel_incontinence",
            "new_bowel_incontinence",
            "new loss of bowel control",
            True,
        ),
        ("urinary_retention", "urinary_retention", "unable to pass urine", False),
        (
            "saddle_numbness",
            "saddle_numbness",
            "numbness between the legs (saddle area)",
            False,
        ),
        ("coordination_loss", "coordination_loss", "new loss of coordination", True),
    ):
        raised = (
            _new(flag, check_in, previous)
            if only_when_new
            else bool(getattr(check_in, flag))
        )
        if raised:
            found.append(Finding("urgent", rule, f"Reported {text}."))
    if check_in.leg_weakness == "worse":
        found.append(
            Finding(
                "urgent",
                "leg_weakness_worse",
                "Reported leg weakness worse than before.",
            )
        )
    temperature = check_in.temperature_c
    if temperature is not None:
        if temperature >= rules.fever_alone_c:
            found.append(
                Finding("urgent", "fever", f"Temperature {temperature:.1f} °C (fever).")
            )
        elif temperature >= rules.fever_with_wound_c and check_in.wound in (
            "red",
            "draining",
        ):
            found.append(
                Finding(
                    "urgent",
                    "fever_with_wound",
                    f"Temperature {temperature:.1f} °C with a {check_in.wound} wound.",
                )
            )
    if check_in.wound in ("opened", "draining"):
        found.append(Finding("urgent", "wound", f"Wound reported {check_in.wound}."))
    return found


def _pain_rising(
    check_in: CheckIn, history: Sequence[CheckIn], attribute: str, rules: RedFlagRules
) -> Finding | None:
    """Pain up >= 2 points on 3 check-ins in a row against the prior 7-day median."""
    count = rules.pain_rise_check_ins
    recent = [*history[len(history) - (count - 1) :], check_in]
    values = [getattr(c, attribute) for c in recent]
    if len(recent) < count or any(v is None for v in values):
        return None
    first = recent[0].recorded_at
    baseline_window = [
        getattr(c, attribute)
        for c in history
        if first - timedelta(days=rules.pain_baseline_days) <= c.recorded_at < first
        and getattr(c, attribute) is not None
    ]
    if not baseline_window:
        return None
    baseline = median(baseline_window)
    if all(v >= baseline + rules.pain_rise_points for v in values):
        where = "Back" if attribute == "back_pain" else "Leg"
        return Finding(
            "warning",
            f"{attribute}_rising",
            f"{where} pain {values[-1]}/10, up at least {rules.pain_rise_points} "
            f"points on {count} check-ins in a row "
            f"({rules.pain_baseline_days}-day median {baseline:g}).",
        )
    return None


def _weight_loss(
    check_in: CheckIn, history: Sequence[CheckIn], rules: RedFlagRules
) -> Finding | None:
    """Weight down >= 5 % from the highest weight of the last 30 days."""
    if check_in.weight_kg is None:
        return None
    since = check_in.recorded_at - timedelta(days=rules.weight_window_days)
    earlier = [
        c.weight_kg
        for c in history
        if c.weight_kg is not None and c.recorded_at >= since
    ]
    if not earlier:
        return None
    highest = max(earlier)
    if check_in.weight_kg <= highest * (1 - rules.weight_loss_percent / 100):
        lost = (highest - check_in.weight_kg) / highest * 100
        return Finding(
            "warning",
            "weight_loss",
            f"Weight {check_in.weight_kg:g} kg, {lost:.1f} % below {highest:g} kg "
            f"within {rules.weight_window_days} days.",
        )
    return None


def evaluate(
    check_in: CheckIn, history: Sequence[CheckIn], rules: RedFlagRules | None = None
) -> list[Finding]:
    """Every finding for a new check-in; `history`: earlier check-ins, oldest first."""
    rules = rules or default_rules()
    previous = history[-1] if history else None
    findings = urgent_findings(check_in, previous, rules)
    for attribute in ("back_pain", "leg_pain"):
        rising = _pain_rising(check_in, history, attribute, rules)
        if rising:
            findings.append(rising)
    weight = _weight_loss(check_in, history, rules)
    if weight:
        findings.append(weight)
    return findings


def odi_worse(
    score: float, previous: float | None, rules: RedFlagRules | None = None
) -> Finding | None:
    """A warning when the ODI is >= 10 points worse than the one before."""
    rules = rules or default_rules()
    if previous is not None and score - previous >= rules.odi_worse_points:
        return Finding(
            "warning",
            "odi_worse",
            f"ODI {score:g} %, {score - previous:g} points worse than {previous:g} %.",
        )
    return None


def check_ins_lapsed(
    asked: Collection[date], last_check_in: date | None, today: date, days: int
) -> Finding | None:
    """A warning when the last `days` whole days (before today) were each a day a
    daily check-in was asked for, and none of them had one."""
    window = [today - timedelta(days=n) for n in range(1, days + 1)]
    if not all(day in asked for day in window):
        return None
    if last_check_in is not None and last_check_in >= window[-1]:
        return None
    since = f"since {last_check_in:%d %b}" if last_check_in else "yet"
    return Finding(
        "warning",
        "no_check_in",
        f"No check-in for {days} days while daily check-ins are due (none {since}).",
    )
