"""Questionnaire texts as data files: the ODI's sections and their answer choices.

A clinic with a licence for the ODI's wording loads its own file; the shipped one has
the section names and a neutral wording of the ends of each scale. A bad file fails
loudly with the file, the section and why. Pure: no Flask.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recovery.domain.scoring import ODI_SECTIONS

ODI_FILE = Path(__file__).parent / "questionnaires" / "odi.toml"
# Answers run 0..5: six choices per section.
ODI_CHOICES = 6


class QuestionnaireFileError(ValueError):
    """A questionnaire file that cannot be used, with where and why."""


@dataclass(frozen=True)
class Section:
    """One section: its title, the ends of its scale, and the licensed choices."""

    id: str
    title: str
    low: str
    high: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Questionnaire:
    """A questionnaire's texts and how many answers give a score."""

    id: str
    title: str
    min_answered: int
    sections: tuple[Section, ...]


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise QuestionnaireFileError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def parse_odi(data: dict[str, Any], source: str) -> Questionnaire:
    """Validate a parsed ODI file."""
    raw = data.get("sections")
    if not isinstance(raw, list) or len(raw) != ODI_SECTIONS:
        raise QuestionnaireFileError(
            f"{source}: 'sections' must list the ODI's {ODI_SECTIONS} sections"
        )
    sections = []
    for n, item in enumerate(raw):
        where = f"{source}: section {n + 1}"
        if not isinstance(item, dict):
            raise QuestionnaireFileError(f"{where}: must be a table")
        where = f"{where} '{item.get('id', '?')}'"
        choices = item.get("choices", [])
        if not isinstance(choices, list) or not all(
            isinstance(c, str) and c.strip() for c in choices
        ):
            raise QuestionnaireFileError(f"{where}: 'choices' must be a list of texts")
        if choices and len(choices) != ODI_CHOICES:
            raise QuestionnaireFileError(
                f"{where}: 'choices' must give all {ODI_CHOICES} answers, 0 to 5"
            )
        sections.append(
            Section(
                id=_text(item, "id", where),
                title=_text(item, "title", where),
                low=_text(item, "low", where),
                high=_text(item, "high", where),
                choices=tuple(c.strip() for c in choices),
            )
        )
    least = data.get("min_answered")
    if isinstance(least, bool) or not isinstance(least, int):
        raise QuestionnaireFileError(f"{source}: 'min_answered' must be a whole number")
    if not 1 <= least <= ODI_SECTIONS:
        raise QuestionnaireFileError(
            f"{source}: 'min_answered' must be from 1 to {ODI_SECTIONS}"
        )
    return Questionnaire(
        id=_text(data, "id", source),
        title=_text(data, "title", source),
        min_answered=least,
        sections=tuple(sections),
    )


def load_odi(path: Path = ODI_FILE) -> Questionnaire:
    """Read and validate an ODI file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise QuestionnaireFileError(f"{path}: cannot be read: {error}") from error
    return parse_odi(data, str(path))
