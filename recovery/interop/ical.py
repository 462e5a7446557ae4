"""A patient's timeline as iCalendar (RFC 5545), written by the icalendar library."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from recovery.auth.models import User
from recovery.clinician.services import ScheduleItem
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.timeline.texts import event_text_filter


def timeline_calendar(patient: Patient, now: datetime) -> bytes:
    """One all-day VEVENT per timeline event; cancelled ones say so.

    Calendar apps may ignore alarms in subscribed feeds, so the feed carries none:
    reminders are sent by Recovery itself.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Recovery//Recovery timeline//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "My recovery")
    stamp = now
    for event in patient.events:
        item = Event()
        item.add("uid", f"recovery-{patient.id}-{event.key}@recovery")
        item.add("dtstamp", stamp)
        # The patient's own calendar: in their language, whoever fetches it.
        text = event_text_filter(event, patient.user.language)
        item.add("summary", text.title)
        item.add("description", text.instructions)
        item.add("dtstart", event.start_date)
        # DTEND of an all-day event is exclusive: the day after the last day. A
        # period with no end date is shown on the day it begins, not for years.
        last = event.start_date if event.open_ended else event.end_date
        item.add("dtend", last + timedelta(days=1))
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


def schedule_calendar(
    items: list[ScheduleItem], clinic_zone: str, now: datetime
) -> bytes:
    """A clinician's schedule: one all-day VEVENT per follow-up item.

    Items are due on calendar days of the patient's own calendar, so they are
    DATE values (the same day in every zone, RFC 5545 3.3.4); the calendar names
    the clinic's zone for apps that show it. Summaries carry the MRN, not the
    name: subscribed feeds end up on phones and third-party calendar servers.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Recovery//Recovery schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Recovery follow-up schedule")
    calendar.add("x-wr-timezone", clinic_zone)
    stamp = now
    for item in items:
        entry = Event()
        entry.add("uid", f"recovery-schedule-{item.event_id}@recovery")
        entry.add("dtstamp", stamp)
        entry.add("summary", f"{item.label}: MRN {item.mrn}")
        entry.add("description", f"{item.title} ({item.status})")
        entry.add("dtstart", item.start_date)
        entry.add("dtend", item.end_date + timedelta(days=1))
        entry.add("categories", [item.kind])
        calendar.add_component(entry)
    return calendar.to_ical()


def issue_schedule_token(user: User) -> str:
    """A new secret address of the user's schedule feed; older ones stop working."""
    raw = secrets.token_urlsafe(32)
    user.schedule_token_hash = _hash(raw)
    db.session.flush()
    return raw


def user_for_schedule_token(raw: str) -> User | None:
    """The active member of staff whose schedule feed this secret opens."""
    if not raw or len(raw) > 100:
        return None
    user = db.session.scalar(select(User).where(User.schedule_token_hash == _hash(raw)))
    return user if user is not None and user.active and user.is_staff else None
