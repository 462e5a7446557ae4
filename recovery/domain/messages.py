"""Urgent signs named in a message's free text, as words.

The words of the check-in's red flags (recovery.domain.symptoms, ../shared/clinical.md),
keyed by the same rule names, plus the signs the home page says to call about at once.
Words and the guidance's wording are data (rules/message_signs.toml), each text with
its translations beside it. Matching errs on the side of caution: "no fever" still
shows the guidance, which only tells the person whom to call; it never stops the
message. Pure: the file is read once, when this module is first imported.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recovery.domain.languages import (
    SOURCE_LANGUAGE,
    Texts,
    fill,
    pick,
    translated,
)

MESSAGE_SIGNS_FILE = Path(__file__).parent / "rules" / "message_signs.toml"
# Every language the file must hold: the shipped file is not a clinic setting.
FILE_LANGUAGES = ("en", "es")


class MessageSignsError(ValueError):
    """A message-signs file that cannot be used, with where and why."""


@dataclass(frozen=True)
class SignWords:
    """One urgent sign: how the guidance names it, and the words that name it."""

    rule: str
    says: Texts
    words: tuple[str, ...]


@dataclass(frozen=True)
class GuidanceTexts:
    """The guidance's sentence and its pieces, by language."""

    text: Texts
    phone: Texts
    no_phone: Texts
    last_join: Texts


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MessageSignsError(f"{where}: '{key}' must be non-empty text")
    return value


def parse_message_signs(
    data: Mapping[str, Any], source: str, languages: Iterable[str] = FILE_LANGUAGES
) -> tuple[tuple[SignWords, ...], GuidanceTexts]:
    """Check a parsed message-signs file: every sign and text in each language."""
    others = [lang for lang in languages if lang != SOURCE_LANGUAGE]
    table = data.get("guidance")
    where = f"{source}: [guidance]"
    if not isinstance(table, Mapping):
        raise MessageSignsError(f"{where}: missing")
    texts = {
        key: translated(
            table,
            key,
            _text(table, key, where),
            others,
            where,
            MessageSignsError,
            clean=lambda t: t,
        )
        for key in ("text", "phone", "no_phone", "last_join")
    }
    raw = data.get("signs")
    if not isinstance(raw, list) or not raw:
        raise MessageSignsError(f"{source}: 'signs' must list the urgent signs")
    signs = []
    for n, item in enumerate(raw, 1):
        where = f"{source}: sign {n}"
        if not isinstance(item, Mapping):
            raise MessageSignsError(f"{where}: must be a table")
        rule = _text(item, "rule", where)
        where = f"{where} '{rule}'"
        words = item.get("words")
        if not isinstance(words, list) or not all(
            isinstance(w, str) and w for w in words
        ):
            raise MessageSignsError(f"{where}: 'words' must be a list of texts")
        every = list(words)
        for language in others:
            extra = item.get(f"words_{language}", [])
            if not isinstance(extra, list) or not all(
                isinstance(w, str) and w for w in extra
            ):
                raise MessageSignsError(
                    f"{where}: 'words_{language}' must be a list of texts"
                )
            every.extend(extra)
        says = translated(
            item, "says", _text(item, "says", where), others, where, MessageSignsError
        )
        signs.append(SignWords(rule, says, tuple(every)))
    return tuple(signs), GuidanceTexts(**texts)


def load_message_signs(
    path: Path = MESSAGE_SIGNS_FILE, languages: Iterable[str] = FILE_LANGUAGES
) -> tuple[tuple[SignWords, ...], GuidanceTexts]:
    """Read and check a message-signs file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise MessageSignsError(f"{path}: cannot be read: {error}") from error
    return parse_message_signs(data, str(path), languages)


_SIGNS, _GUIDANCE = load_message_signs()

# rule -> (what the English guidance says, the words that name it in any language).
URGENT_SIGNS: dict[str, tuple[str, tuple[str, ...]]] = {
    sign.rule: (pick(sign.says, SOURCE_LANGUAGE, ""), sign.words) for sign in _SIGNS
}


def _plain(text: str) -> str:
    """Lower case, accents and curly apostrophes away: "Fiebre, no puedo orinar"."""
    decomposed = unicodedata.normalize("NFD", text.replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _word(word: str) -> str:
    stem = word.endswith("*")
    text = re.escape(_plain(word.rstrip("*"))).replace(r"\ ", r"\s+")
    return text if stem else rf"{text}(?!\w)"


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(_word(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


_PATTERNS = {sign.rule: _pattern(sign.words) for sign in _SIGNS}
_SAYS = {sign.rule: sign.says for sign in _SIGNS}


@dataclass(frozen=True)
class UrgentSign:
    """An urgent sign a message names: its rule and how the guidance says it."""

    rule: str
    description: str

    def says(self, language: str) -> str:
        """How the guidance names this sign in `language`."""
        return pick(_SAYS.get(self.rule, ()), language, self.description)


def urgent_signs(text: str) -> list[UrgentSign]:
    """The urgent signs a text names, in the sheet's order (none: an empty list)."""
    plain = _plain(text)
    return [
        UrgentSign(rule, URGENT_SIGNS[rule][0])
        for rule, pattern in _PATTERNS.items()
        if pattern.search(plain)
    ]


def _say(texts: Texts, language: str) -> str:
    """A text in `language`, else in English."""
    return pick(texts, language, pick(texts, SOURCE_LANGUAGE, ""))


def guidance(
    signs: list[UrgentSign],
    phone: str,
    emergency: str,
    fever_c: float,
    language: str = SOURCE_LANGUAGE,
) -> str:
    """What the person reads before sending: messages wait, urgent signs do not.

    `phone` is the care team's number ('' when none is set: the discharge letter's).
    """
    names = [fill(sign.says(language), {"fever_c": f"{fever_c:g}"}) for sign in signs]
    last_join = _say(_GUIDANCE.last_join, language)
    named = (
        names[0] if len(names) == 1 else ", ".join(names[:-1]) + last_join + names[-1]
    )
    if phone:
        number = fill(_say(_GUIDANCE.phone, language), {"phone": phone})
    else:
        number = _say(_GUIDANCE.no_phone, language)
    return fill(
        _say(_GUIDANCE.text, language),
        {"signs": named, "number": number, "emergency": emergency},
    )
