"""Texts in several languages inside the data files (protocols, ODI, red flags).

English is the source: `title = "..."`. Each other enabled language sits beside it
with the language as a suffix: `title_es = "..."`, `allowed_es = [...]`. A file
missing the text of an enabled language fails loudly, naming the file, the item and
the language; a translation keeps the English placeholders ({n}, {weeks}) exactly.
Pure: the enabled languages are passed in (config LANGUAGES), nothing reads them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")

SOURCE_LANGUAGE = "en"
# For error messages a clinic's editor reads.
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}

# A text in every language loaded: ((language, text), ...), English first.
Texts = tuple[tuple[str, str], ...]
ListTexts = tuple[tuple[str, tuple[str, ...]], ...]


def key_in(key: str, language: str) -> str:
    """The file's key of a text in a language: `title`, `title_es`."""
    return key if language == SOURCE_LANGUAGE else f"{key}_{language}"


def is_translation_key(key: str, bases: Iterable[str]) -> bool:
    """Whether `key` is some language's text of one of `bases` (`title_es`)."""
    return any(re.fullmatch(rf"{re.escape(b)}_[a-z]{{2,3}}", key) for b in bases)


def placeholders(text: str) -> frozenset[str]:
    """The {names} a text fills in."""
    try:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(text) if name
        )
    except ValueError:
        return frozenset({"<unbalanced braces>"})


def _described(language: str) -> str:
    name = LANGUAGE_NAMES.get(language)
    return f"{name} ('{language}')" if name else f"'{language}'"


def translated(
    data: Mapping[str, Any],
    key: str,
    english: str,
    languages: Iterable[str],
    where: str,
    error: Callable[[str], Exception],
    clean: Callable[[str], str] = str.strip,
) -> Texts:
    """A text's English (already checked) and its other enabled languages."""
    found = [(SOURCE_LANGUAGE, english)]
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        name = key_in(key, language)
        if not english:
            found.append((language, ""))
            continue
        value = data.get(name)
        if value is None:
            raise error(
                f"{where}: missing '{name}', the {_described(language)} text of "
                f"'{key}' (language '{language}' is enabled in LANGUAGES)"
            )
        if not isinstance(value, str) or not value.strip():
            raise error(f"{where}: '{name}' must be non-empty text")
        _same_placeholders(english, value, key, name, where, error)
        found.append((language, clean(value)))
    return tuple(found)


def translated_list(
    data: Mapping[str, Any],
    key: str,
    english: tuple[str, ...],
    languages: Iterable[str],
    where: str,
    error: Callable[[str], Exception],
) -> ListTexts:
    """A list of texts in English (already checked) and in each other language,
    item for item."""
    found = [(SOURCE_LANGUAGE, english)]
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        name = key_in(key, language)
        if not english:
            found.append((language, ()))
            continue
        value = data.get(name)
        if value is None:
            raise error(
                f"{where}: missing '{name}', the {_described(language)} texts of "
                f"'{key}' (language '{language}' is enabled in LANGUAGES)"
            )
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() for v in value
        ):
            raise error(f"{where}: '{name}' must be a list of texts")
        if len(value) != len(english):
            raise error(
                f"{where}: '{name}' has {len(value)} texts, '{key}' has "
                f"{len(english)}: give one {_described(language)} text for each"
            )
        for source, text in zip(english, value, strict=True):
            _same_placeholders(source, text, key, name, where, error)
        found.append((language, tuple(v.strip() for v in value)))
    return tuple(found)


def _same_placeholders(
    english: str,
    text: str,
    key: str,
    name: str,
    where: str,
    error: Callable[[str], Exception],
) -> None:
    ours, theirs = placeholders(english), placeholders(text)
    if ours != theirs:
        shown = ", ".join(f"{{{p}}}" for p in sorted(ours)) or "none"
        raise error(
            f"{where}: '{name}' must use the same placeholders as '{key}' ({shown})"
        )


def pick(texts: tuple[tuple[str, T], ...], language: str, default: T) -> T:
    """The text of `language`, else `default` (the English the caller holds)."""
    for code, text in texts:
        if code == language:
            return text
    return default


class _Keep(dict[str, object]):
    # For str.format_map: unknown {names} stay as they are.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, object]) -> str:
    """A text with its {placeholders} filled in; unknown ones stay."""
    return text.format_map(_Keep(values)) if values and "{" in text else text


@lru_cache(maxsize=512)
def _template_pattern(template: str) -> re.Pattern[str] | None:
    parts: list[str] = []
    seen: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _, _ in parsed:
        parts.append(re.escape(literal))
        if name is None:
            continue
        if not name.isidentifier():
            return None
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


def values_of(template: str, text: str) -> dict[str, str] | None:
    """The values that turn `template` into `text` ("Session {n}" and "Session 3":
    {"n": "3"}), or None when the text is not the template filled in."""
    if "{" not in template:
        return {} if text == template else None
    pattern = _template_pattern(template)
    match = pattern.fullmatch(text) if pattern else None
    if match is None:
        return None
    values = match.groupdict()
    return values if fill(template, values) == text else None
