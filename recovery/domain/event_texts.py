"""What a patient reads of a timeline event, in their language.

Events are stored with the protocol's English already filled in ("Radiation session
3 of 15"): the record says what the timeline said. A reader of another language sees
the protocol's text in theirs, with the same values, recovered from the stored text
by matching it against the item's English. Only an event whose stored texts are
exactly what the protocol gives its item is translated: a clinician's rewording, an
extra event or a text from an older protocol version is shown as it was written.
Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from recovery.domain.languages import SOURCE_LANGUAGE, fill, values_of
from recovery.domain.protocol import Item, Protocol


@dataclass(frozen=True)
class EventText:
    """The texts of one event as a page shows them."""

    title: str
    instructions: str
    allowed: tuple[str, ...] = ()
    not_allowed: tuple[str, ...] = ()

    @classmethod
    def stored(
        cls,
        title: str,
        instructions: str | None,
        allowed: Sequence[str] | None = (),
        not_allowed: Sequence[str] | None = (),
    ) -> EventText:
        """The texts as a stored event holds them (lists from JSON)."""
        return cls(
            title, instructions or "", tuple(allowed or ()), tuple(not_allowed or ())
        )


def render_item(
    item: Item, params: Mapping[str, object], language: str = SOURCE_LANGUAGE
) -> EventText:
    """An item's texts in `language` with its values ({n}, {weeks}) filled in."""
    text = item.text(language)
    return EventText(
        fill(text.title, params),
        fill(text.instructions, params),
        text.allowed,
        text.not_allowed,
    )


def params_of(item: Item, title: str, instructions: str) -> dict[str, str] | None:
    """The values filled into an item's English to give this title and these
    instructions, or None when they are not the item's text."""
    found: dict[str, str] = {}
    for template, text in ((item.title, title), (item.instructions, instructions)):
        values = values_of(template, text)
        if values is None:
            return None
        for name, value in values.items():
            if found.setdefault(name, value) != value:
                return None
    return found


def event_text(
    protocol: Protocol, item_id: str, stored: EventText, language: str
) -> EventText:
    """A stored event's texts in `language`: the protocol's words in that language
    when the stored texts are the protocol's English for the item, else as stored."""
    if language == SOURCE_LANGUAGE:
        return stored
    item = protocol.item(item_id)
    if item is None:
        return stored
    params = params_of(item, stored.title, stored.instructions)
    if params is None or render_item(item, params) != stored:
        return stored
    return render_item(item, params, language)
