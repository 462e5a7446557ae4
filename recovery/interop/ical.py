"""A patient's timeline as iCalendar (RFC 5545), written by the icalendar library."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from recovery.db import utcnow
from recovery.extensions import db
from recovery.patients.models import Patient


def timeline_calendar(patient: Patient) -> bytes:
    """One all-day VEVENT per timeline event; cancelled ones say so.

    Calendar apps may ignore alarms in subscribed feeds, so the feed carries none:
    reminders are sent by Recovery itself.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Recovery//Recovery timeline//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "My recovery")
    stamp = utcnow()
    for event in patient.events:
        item = Event()
        item.add("uid", f"recovery-{patient.id}-{event.key}@recovery")
        item.add("dtstamp", stamp)
        item.add("summary", event.title)
        item.add("description", event.instructions)
        item.add("dtstart", event.start_date)
        # DTEND of an all-day event is exclusive: the day after the last day.
        item.add("dtend", event.end_date + timedelta(days=1))
        item.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
        item.add("categories", [event.kind])
        calendar.add_component(item)
    return calendar.to_ical()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_calendar_token(patient: Patient) -> str:
    """A new secret feed address; any older one stops working. Flushes."""
    raw = secrets.token_urlsafe(32)
    patient.calendar_token_hash = _hash(raw)
    db.session.flush()
    return raw


def revoke_calendar_token(patient: Patient) -> None:
    """Switch the feed off."""
    patient.calendar_token_hash = None
    db.session.flush()


def patient_for_calendar_token(raw: str) -> Patient | None:
    """The patient whose feed this secret opens, if any."""
    if not raw or len(raw) > 100:
        return None
    return db.session.scalar(
        select(Patient).where(Patient.calendar_token_hash == _hash(raw))
    )
