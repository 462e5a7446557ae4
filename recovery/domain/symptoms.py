"""Red-flag rules: a check-in and the patient's history in, findings out.

Every threshold is data (rules/red_flags.toml, defaults from ../shared/clinical.md),
loaded and checked by `load_red_flags`; each finding names its rule. What a finding
says and the urgent signs are data too, with their translations beside them
([findings], [guidance]); `finding_text` gives a stored finding in another language.
Pure: the check-in carries its own time, nothing reads a clock.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from statistics import median
from typing import Any

from recovery.domain.languages import (
    SOURCE_LANGUAGE,
    Texts,
    fill,
    pick,
    placeholders,
    translated,
    translated_list,
    values_of,
)

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
    # The same in the other languages loaded: ((language, signs), ...).
    urgent_signs_in: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What each finding says ([findings]): ((key, texts by language), ...).
    findings: tuple[tuple[str, Texts], ...] = ()
    # What to do now, by language ([guidance] advice).
    advice: Texts = ()

    def signs_in(self, language: str) -> tuple[str, ...]:
        """The urgent signs in `language` (English when it has none in it)."""
        return pick(self.urgent_signs_in, language, self.urgent_signs)

    def advice_in(self, language: str) -> str:
        """What to do now, in `language` (English when it has none in it)."""
        return pick(self.advice, language, pick(self.advice, SOURCE_LANGUAGE, ""))

    def finding_message(self, key: str, **values: object) -> str:
        """A finding's English message, its values filled in."""
        for name, texts in self.findings:
            if name == key:
                return fill(pick(texts, SOURCE_LANGUAGE, ""), values)
        raise KeyError(key)


# What each finding says ([findings] of the rules file) and the values it fills in;
# a finding whose rule takes several wordings has a key per wording (rule_variant).
FINDING_VALUES: dict[str, frozenset[str]] = {
    "new_bladder_incontinence": frozenset(),
    "new_bowel_incontinence": frozenset(),
    "urinary_retention": frozenset(),
    "saddle_numbness": frozenset(),
    "coordination_loss": frozenset(),
    "leg_weakness_worse": frozenset(),
    "fever": frozenset({"temperature"}),
    "fever_with_wound_red": frozenset({"temperature"}),
    "fever_with_wound_draining": frozenset({"temperature"}),
    "wound_opened": frozenset(),
    "wound_draining": frozenset(),
    "back_pain_rising": frozenset({"score", "points", "count", "days", "median"}),
    "leg_pain_rising": frozenset({"score", "points", "count", "days", "median"}),
    "weight_loss": frozenset({"weight", "lost", "highest", "days"}),
    "odi_worse": frozenset({"score", "change", "previous"}),
}


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


def parse_red_flags(
    data: Mapping[str, Any], source: str, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> RedFlagRules:
    """Check a parsed rules file; a bad value names the file and the key.

    `languages`: the enabled languages (config LANGUAGES); each needs its urgent
    signs, advice and finding texts, or the file is refused naming the language.
    """
    others = [lang for lang in languages if lang != SOURCE_LANGUAGE]
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
    guidance = data.get("guidance", {})
    signs = guidance.get("urgent_signs")
    where = f"{source}: [guidance] urgent_signs"
    if not isinstance(signs, list) or not signs:
        raise RedFlagError(f"{where}: must be a list of the urgent signs")
    for n, sign in enumerate(signs, 1):
        if not isinstance(sign, str) or not sign.strip():
            raise RedFlagError(f"{where}, sign {n}: must be a text")
    by_language = translated_list(
        guidance,
        "urgent_signs",
        tuple(signs),
        others,
        f"{source}: [guidance]",
        RedFlagError,
    )
    shown = {k: _shown(v) for k, v in values.items()}
    filled: dict[str, tuple[str, ...]] = {}
    for language, texts in by_language:
        named = where if language == SOURCE_LANGUAGE else f"{where}_{language}"
        filled[language] = tuple(
            _format_sign(sign, shown, f"{named}, sign {n}")
            for n, sign in enumerate(texts, 1)
        )
    english = filled.pop(SOURCE_LANGUAGE)
    return RedFlagRules(
        **values,
        urgent_signs=english,
        urgent_signs_in=tuple(filled.items()),
        findings=_findings(data.get("findings"), source, others),
        advice=_advice(guidance, source, others),
    )


def _format_sign(sign: str, shown: Mapping[str, str], where: str) -> str:
    try:
        return sign.format(**shown)
    except (KeyError, IndexError, ValueError) as error:
        raise RedFlagError(f"{where}: unknown value {error}") from None


def _advice(guidance: Mapping[str, Any], source: str, others: list[str]) -> Texts:
    where = f"{source}: [guidance]"
    advice = guidance.get("advice")
    if not isinstance(advice, str) or not advice.strip():
        raise RedFlagError(f"{where} advice: missing (what to do now, as text)")
    return translated(guidance, "advice", advice.strip(), others, where, RedFlagError)


def _findings(
    table: Any, source: str, others: list[str]
) -> tuple[tuple[str, Texts], ...]:
    where = f"{source}: [findings]"
    if not isinstance(table, Mapping):
        raise RedFlagError(f"{where}: missing (what each finding says)")
    found = []
    for key, expected in FINDING_VALUES.items():
        text = table.get(key)
        if not isinstance(text, str) or not text.strip():
            raise RedFlagError(f"{where} {key}: missing (what this finding says)")
        if placeholders(text) != expected:
            wanted = ", ".join(f"{{{name}}}" for name in sorted(expected)) or "none"
            raise RedFlagError(f"{where} {key}: must use the placeholders {wanted}")
        texts = translated(
            table, key, text.strip(), others, f"{where} {key}", RedFlagError
        )
        found.append((key, texts))
    return tuple(found)


def finding_text(rules: RedFlagRules, rule: str, message: str, language: str) -> str:
    """A stored finding's message in `language`: the rules file's wording with the
    same values when the message is one of the rule's English wordings, else as
    stored (a message from an older wording stays as it was written)."""
    if language == SOURCE_LANGUAGE:
        return message
    for key, texts in rules.findings:
        if key != rule and not key.startswith(f"{rule}_"):
            continue
        values = values_of(pick(texts, SOURCE_LANGUAGE, ""), message)
        if values is not None:
            return fill(pick(texts, language, message), values)
    return message


def _shown(value: float) -> str:
    """A threshold as a patient reads it: 38.0, 7."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def load_red_flags(
    path: Path = RED_FLAGS_FILE, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> RedFlagRules:
    """Read and check a red-flag rules file, with its texts in `languages`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RedFlagError(f"{path}: cannot be read: {error}") from error
    return parse_red_flags(data, str(path), languages)


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
    for flag, rule, only_when_new in (
        ("bladder_incontinence", "new_bladder_incontinence", True),
        ("bowel_incontinence", "new_bowel_incontinence", True),
        ("urinary_retention", "urinary_retention", False),
        ("saddle_numbness", "saddle_numbness", False),
        ("coordination_loss", "coordination_loss", True),
    ):
        raised = (
            _new(flag, check_in, previous)
            if only_when_new
            else bool(getattr(check_in, flag))
        )
        if raised:
            found.append(Finding("urgent", rule, rules.finding_message(rule)))
    if check_in.leg_weakness == "worse":
        rule = "leg_weakness_worse"
        found.append(Finding("urgent", rule, rules.finding_message(rule)))
    temperature = check_in.temperature_c
    if temperature is not None:
        shown = f"{temperature:.1f}"
        if temperature >= rules.fever_alone_c:
            found.append(
                Finding(
                    "urgent", "fever", rules.finding_message("fever", temperature=shown)
                )
            )
        elif temperature >= rules.fever_with_wound_c and check_in.wound in (
            "red",
            "draining",
        ):
            key = f"fever_with_wound_{check_in.wound}"
            found.append(
                Finding(
                    "urgent",
                    "fever_with_wound",
                    rules.finding_message(key, temperature=shown),
                )
            )
    if check_in.wound in ("opened", "draining"):
        key = f"wound_{check_in.wound}"
        found.append(Finding("urgent", "wound", rules.finding_message(key)))
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
        rule = f"{attribute}_rising"
        return Finding(
            "warning",
            rule,
            rules.finding_message(
                rule,
                score=values[-1],
                points=rules.pain_rise_points,
                count=count,
                days=rules.pain_baseline_days,
                median=f"{baseline:g}",
            ),
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
            rules.finding_message(
                "weight_loss",
                weight=f"{check_in.weight_kg:g}",
                lost=f"{lost:.1f}",
                highest=f"{highest:g}",
                days=rules.weight_window_days,
            ),
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
            rules.finding_message(
                "odi_worse",
                score=f"{score:g}",
                change=f"{score - previous:g}",
                previous=f"{previous:g}",
            ),
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
