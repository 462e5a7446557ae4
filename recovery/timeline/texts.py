"""Protocol texts in the reader's language: a thin layer over the pure
recovery.domain.event_texts, for pages (the `event_text` filter) and reminders.

Events are stored in the protocol's English; the reader's language is chosen when a
page or a reminder is made (recovery.i18n), so a person who changes language sees
their whole timeline in it at once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from recovery.domain.event_texts import EventText
from recovery.i18n import current_language, stored_text, text_in


def event_text_filter(event: Any, language: str | None = None) -> EventText:
    """`{{ (event | event_text).title }}`: a stored event in the page's language."""
    return text_in(
        event.patient.procedure,
        event.item_id,
        stored_text(event.title, event.instructions, event.allowed, event.not_allowed),
        language or current_language(),
    )


def init_app(app: Flask) -> None:
    """Templates get the `event_text` filter."""
    app.jinja_env.filters["event_text"] = event_text_filter
