"""When a clinical note may still be changed (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

# A note may be fixed by its author for a day; after that only a correction,
# appended and shown beside it, may change what the record says.
EDIT_WINDOW = timedelta(hours=24)
MAX_NOTE_LENGTH = 10_000


def edit_problem(
    author_id: int | None, editor_id: int, created_at: datetime, now: datetime
) -> str | None:
    """Why this person may not edit the note now, or None if they may."""
    if author_id != editor_id:
        return "Only the author may edit a note; add a correction instead."
    if now - created_at >= EDIT_WINDOW:
        return "Notes cannot be changed after 24 hours; add a correction instead."
    return None


def body_problem(body: str) -> str | None:
    """Why a note's text is refused, or None."""
    if not body.strip():
        return "Write the note."
    if len(body) > MAX_NOTE_LENGTH:
        return f"Use at most {MAX_NOTE_LENGTH} characters."
    return None
