"""Red-flag rules: a check-in and the patient's history in, findings out.

Defaults from ../shared/clinical.md; each finding names its rule. Pure: the check-in
carries its own time, nothing reads a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

WEAKNESS = ("none", "mild", "worse")
WOUND = ("healing", "red", "draining", "opened")

FEVER_WITH_WOUND_C = 38.0
FEVER_ALONE_C = 38.3
PAIN_RISE = 2  # the minimal clinically important change on the 0-10 scale
PAIN_RISE_CHECK_INS = 3
PAIN_BASELINE_DAYS = 7
WEIGHT_LOSS_FRACTION = 0.05
WEIGHT_WINDOW_DAYS = 30
ODI_WORSE_POINTS = 10.0


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


def urgent_findings(check_in: CheckIn, previous: CheckIn | None) -> list[Finding]:
    """Signs that must reach the care team at once."""
    found: list[Finding] = []
    # Cauda equina syndrome signs.
    for flag, rule, text in (
        (
            "bladder_incontinence",
            "new_bladder_incontinence",
            "new loss of bladder control",
        ),
        ("bowel_incontinence", "new_bowel_incontinence", "new loss of bowel control"),
        ("urinary_retention", "urinary_retention", "unable to pass urine"),
        (
            "saddle_numbness",
            "saddle_numbness",
            "numbness between the legs (saddle area)",
        ),
        ("coordination_loss", "coordination_loss", "new loss of coordination"),
    ):
        if _new(flag, check_in, previous):
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
        if temperature >= FEVER_ALONE_C:
            found.append(
                Finding("urgent", "fever", f"Temperature {temperature:.1f} °C (fever).")
            )
        elif temperature >= FEVER_WITH_WOUND_C and check_in.wound in (
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
    check_in: CheckIn, history: Sequence[CheckIn], attribute: str
) -> Finding | None:
    """Pain up >= 2 points on 3 check-ins in a row against the prior 7-day median."""
    recent = [*history[-(PAIN_RISE_CHECK_INS - 1) :], check_in]
    values = [getattr(c, attribute) for c in recent]
    if len(recent) < PAIN_RISE_CHECK_INS or any(v is None for v in values):
        return None
    first = recent[0].recorded_at
    baseline_window = [
        getattr(c, attribute)
        for c in history
        if first - timedelta(days=PAIN_BASELINE_DAYS) <= c.recorded_at < first
        and getattr(c, attribute) is not None
    ]
    if not baseline_window:
        return None
    baseline = median(baseline_window)
    if all(v >= baseline + PAIN_RISE for v in values):
        where = "Back" if attribute == "back_pain" else "Leg"
        return Finding(
            "warning",
            f"{attribute}_rising",
            f"{where} pain {values[-1]}/10, up at least {PAIN_RISE} points on "
            f"{PAIN_RISE_CHECK_INS} check-ins in a row (7-day median {baseline:g}).",
        )
    return None


def _weight_loss(check_in: CheckIn, history: Sequence[CheckIn]) -> Finding | None:
    """Weight down >= 5 % from the highest weight of the last 30 days."""
    if check_in.weight_kg is None:
        return None
    since = check_in.recorded_at - timedelta(days=WEIGHT_WINDOW_DAYS)
    earlier = [
        c.weight_kg
        for c in history
        if c.weight_kg is not None and c.recorded_at >= since
    ]
    if not earlier:
        return None
    highest = max(earlier)
    if check_in.weight_kg <= highest * (1 - WEIGHT_LOSS_FRACTION):
        lost = (highest - check_in.weight_kg) / highest * 100
        return Finding(
            "warning",
            "weight_loss",
            f"Weight {check_in.weight_kg:g} kg, {lost:.1f} % below {highest:g} kg "
            f"within {WEIGHT_WINDOW_DAYS} days.",
        )
    return None


def evaluate(check_in: CheckIn, history: Sequence[CheckIn]) -> list[Finding]:
    """Every finding for a new check-in; `history`: earlier check-ins, oldest first."""
    previous = history[-1] if history else None
    findings = urgent_findings(check_in, previous)
    for attribute in ("back_pain", "leg_pain"):
        rising = _pain_rising(check_in, history, attribute)
        if rising:
            findings.append(rising)
    weight = _weight_loss(check_in, history)
    if weight:
        findings.append(weight)
    return findings


def odi_worse(score: float, previous: float | None) -> Finding | None:
    """A warning when the ODI is >= 10 points worse than the one before."""
    if previous is not None and score - previous >= ODI_WORSE_POINTS:
        return Finding(
            "warning",
            "odi_worse",
            f"ODI {score:g} %, {score - previous:g} points worse than {previous:g} %.",
        )
    return None
