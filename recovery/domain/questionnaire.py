"""Questionnaire texts as data files: the ODI's sections and their answer choices.

A clinic with a licence for the ODI's wording loads its own file; the shipped one has
the section names and a neutral wording of the ends of each scale. A bad file fails
loudly with the file, the section and why. The texts patients read carry their
translations beside them (`title_es`, `low_es`, `high_es`, `choices_es`); a file
missing one for an enabled language is refused, naming the section and the language.
Pure: no Flask.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recovery.domain.languages import (
    SOURCE_LANGUAGE,
    pick,
    translated,
    translated_list,
)
from recovery.domain.scoring import ODI_MAX_ANSWER, ODI_SECTIONS

ODI_FILE = Path(__file__).parent / "questionnaires" / "odi.toml"
# Answers run 0..5: six choices per section.
ODI_CHOICES = ODI_MAX_ANSWER + 1  # 0 to 5


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
    # ((language, Section in that language), ...) for the other languages loaded.
    translations: tuple[tuple[str, Section], ...] = ()

    def in_language(self, language: str) -> Section:
        """This section's texts in `language` (English if it has none in it)."""
        return pick(self.translations, language, self)


@dataclass(frozen=True)
class Questionnaire:
    """A questionnaire's texts and how many answers give a score."""

    id: str
    title: str
    min_answered: int
    sections: tuple[Section, ...]
    titles: tuple[tuple[str, str], ...] = ()

    def in_language(self, language: str) -> Questionnaire:
        """The questionnaire with every text in `language` (English if none)."""
        if language == SOURCE_LANGUAGE:
            return self
        return replace(
            self,
            title=pick(self.titles, language, self.title),
            sections=tuple(s.in_language(language) for s in self.sections),
        )


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise QuestionnaireFileError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _section_translations(
    item: dict[str, Any], english: Section, languages: Iterable[str], where: str
) -> tuple[tuple[str, Section], ...]:
    others = [lang for lang in languages if lang != SOURCE_LANGUAGE]
    error = QuestionnaireFileError
    texts = {
        key: translated(item, key, getattr(english, key), others, where, error)
        for key in ("title", "low", "high")
    }
    choices = translated_list(item, "choices", english.choices, others, where, error)
    return tuple(
        (
            lang,
            Section(
                id=english.id,
                title=pick(texts["title"], lang, ""),
                low=pick(texts["low"], lang, ""),
                high=pick(texts["high"], lang, ""),
                choices=pick(choices, lang, ()),
            ),
        )
        for lang in others
    )


def parse_odi(
    data: dict[str, Any], source: str, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> Questionnaire:
    """Validate a parsed ODI file, with its texts in each of `languages`."""
    languages = tuple(languages)
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
        english = Section(
            id=_text(item, "id", where),
            title=_text(item, "title", where),
            low=_text(item, "low", where),
            high=_text(item, "high", where),
            choices=tuple(c.strip() for c in choices),
        )
        sections.append(
            replace(
                english,
                translations=_section_translations(item, english, languages, where),
            )
        )
    least = data.get("min_answered")
    if isinstance(least, bool) or not isinstance(least, int):
        raise QuestionnaireFileError(f"{source}: 'min_answered' must be a whole number")
    if not 1 <= least <= ODI_SECTIONS:
        raise QuestionnaireFileError(
            f"{source}: 'min_answered' must be from 1 to {ODI_SECTIONS}"
        )
    title = _text(data, "title", source)
    return Questionnaire(
        id=_text(data, "id", source),
        title=title,
        min_answered=least,
        sections=tuple(sections),
        titles=translated(
            data, "title", title, languages, source, QuestionnaireFileError
        ),
    )


def load_odi(
    path: Path = ODI_FILE, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> Questionnaire:
    """Read and validate an ODI file, with its texts in `languages`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise QuestionnaireFileError(f"{path}: cannot be read: {error}") from error
    return parse_odi(data, str(path), languages)
