"""Urgent signs named in a message's free text, as words.

The words of the check-in's red flags (recovery.domain.symptoms, ../shared/clinical.md),
keyed by the same rule names, plus the signs the home page says to call about at once.
Matching errs on the side of caution: "no fever" still shows the guidance, which only
tells the person whom to call; it never stops the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# rule -> (what the guidance says, the words that name it). Words match whole and
# in any case; a trailing "*" matches any ending ("incontinen*": incontinent,
# incontinence), so "pus" does not match "push".
URGENT_SIGNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "new_bladder_incontinence": (
        "new trouble controlling your bladder",
        ("bladder", "incontinen*", "wet myself", "wetting myself", "leaking urine"),
    ),
    "new_bowel_incontinence": (
        "new trouble controlling your bowels",
        ("bowel*", "soiled myself", "soiling"),
    ),
    "urinary_retention": (
        "you cannot pass urine",
        (
            "cannot pass urine",
            "can't pass urine",
            "cannot pee",
            "can't pee",
            "cannot urinate",
            "can't urinate",
            "unable to urinate",
            "unable to pass urine",
        ),
    ),
    "saddle_numbness": (
        "numbness between your legs or around your bottom",
        ("saddle", "numb between", "numbness between", "numb around my bottom"),
    ),
    "coordination_loss": (
        "new clumsiness or unsteadiness",
        ("coordination", "clumsy", "unsteady"),
    ),
    "leg_weakness_worse": (
        "legs weaker than before",
        ("weaker", "leg weakness", "legs are weak", "legs give way", "legs gave way"),
    ),
    "fever": (
        # The threshold is the red-flag rules' (red_flags.toml), filled in by guidance.
        "a fever of {fever_c:g}\u00a0°C or more",
        ("fever*", "temperature", "chill*", "shivering"),
    ),
    "wound": (
        "a wound that is open, red or draining",
        (
            "wound open",
            "wound has opened",
            "wound is open",
            "wound opened",
            "drain*",
            "leaking fluid",
            "ooz*",
            "pus",
        ),
    ),
    # No check-in rule: the free-text "call at once" signs of the same sheet.
    "call_at_once": (
        "calf pain or swelling, chest pain, breathlessness or a headache that is "
        "worse upright",
        (
            "calf",
            "calves",
            "chest pain",
            "breathless*",
            "short of breath",
            "can't breathe",
            "cannot breathe",
            "headache*",
        ),
    ),
}


def _word(word: str) -> str:
    stem = word.endswith("*")
    text = re.escape(word.rstrip("*")).replace(r"\ ", r"\s+")
    return text if stem else rf"{text}(?!\w)"


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(_word(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


_PATTERNS = {rule: _pattern(words) for rule, (_, words) in URGENT_SIGNS.items()}


@dataclass(frozen=True)
class UrgentSign:
    """An urgent sign a message names: its rule and how the guidance says it."""

    rule: str
    description: str


def urgent_signs(text: str) -> list[UrgentSign]:
    """The urgent signs a text names, in the sheet's order (none: an empty list)."""
    plain = text.replace("\u2019", "'")
    return [
        UrgentSign(rule, URGENT_SIGNS[rule][0])
        for rule, pattern in _PATTERNS.items()
        if pattern.search(plain)
    ]


def guidance(
    signs: list[UrgentSign], phone: str, emergency: str, fever_c: float
) -> str:
    """What the person reads before sending: messages wait, urgent signs do not.

    `phone` is the care team's number ('' when none is set: the discharge letter's).
    """
    names = [sign.description.format(fever_c=fever_c) for sign in signs]
    named = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", or " + names[-1]
    number = phone or "the number on your discharge letter"
    return (
        f"Messages are read during clinic hours. If you have {named}, call your "
        f"care team on {number} now. If you cannot reach them, call emergency "
        f"services ({emergency})."
    )
