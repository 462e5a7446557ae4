"""Questionnaire scoring: the Oswestry Disability Index (ODI)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ODI_SECTIONS = 10
ODI_MAX_ANSWER = 5  # each section is answered 0 to 5
ODI_MIN_ANSWERED = 8
# Upper bound of each band, in percent (../shared/clinical.md).
ODI_BANDS = (
    (20.0, "minimal"),
    (40.0, "moderate"),
    (60.0, "severe"),
    (80.0, "crippling"),
    (100.0, "bed-bound"),
)


@dataclass(frozen=True)
class OdiResult:
    """The score in percent and its band; both None with too few answers."""

    score_percent: float | None
    band: str | None
    answered: int


def odi_band(score: float) -> str:
    """The disability band of a score (0-20 minimal ... 81-100 bed-bound)."""
    for upper, band in ODI_BANDS:
        if score <= upper:
            return band
    raise ValueError(f"ODI score out of range: {score}")


def score_odi(
    answers: Sequence[int | None], min_answered: int = ODI_MIN_ANSWERED
) -> OdiResult:
    """Sum / (5 x sections answered) x 100, one decimal; < 8 answered: no score.

    `min_answered` comes from the questionnaire file (8 by the sheet).
    """
    if len(answers) != ODI_SECTIONS:
        raise ValueError(f"the ODI has {ODI_SECTIONS} sections, got {len(answers)}")
    given = [a for a in answers if a is not None]
    if any(not 0 <= a <= ODI_MAX_ANSWER for a in given):
        raise ValueError(f"each ODI answer is from 0 to {ODI_MAX_ANSWER}")
    if len(given) < min_answered:
        return OdiResult(None, None, len(given))
    score = round(sum(given) / (ODI_MAX_ANSWER * len(given)) * 100, 1)
    return OdiResult(score, odi_band(score), len(given))
