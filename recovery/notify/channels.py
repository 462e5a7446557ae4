"""Channels behind one interface: in-app inbox, SMTP email, and null for benches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app
from flask_mailman import EmailMultiAlternatives


@dataclass(frozen=True)
class Message:
    """A reminder ready to send: who, on which channel, saying what."""

    reminder_id: int
    channel: str
    attempts: int
    to_email: str
    to_name: str
    subject: str
    text: str
    # The event was done or cancelled after planning: nothing to send.
    obsolete: bool = False
    # In-app only: the page the message is about (an alert's patient).
    link: str = ""


class Channel(Protocol):
    """Delivers one message or raises; the dispatcher retries on any error.

    `transactional`: the reminder's row is the delivery (the in-app inbox), so the
    row turning `sent` with its batch is the whole send and a crash repeats none.
    Other channels reach outside the database, so each send is journaled at once.
    """

    transactional: bool

    def send(self, message: Message) -> None:
        """Deliver, or raise."""


class InAppChannel:
    """The row itself is the inbox entry: marking it sent shows it."""

    transactional = True

    def send(self, message: Message) -> None:
        """Nothing to deliver elsewhere."""


class EmailChannel:
    """Email over the configured SMTP server (Flask-Mailman)."""

    transactional = False

    def send(self, message: Message) -> None:
        """Send plain text and HTML; raises on any SMTP failure."""
        from flask import render_template

        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=current_app.config["MAIL_DEFAULT_SENDER"],
            to=[message.to_email],
        )
        email.attach_alternative(
            render_template("email/reminder.html", message=message), "text/html"
        )
        email.send(fail_silently=False)


class NullChannel:
    """Accepts everything, like an outside service that costs nothing: for
    measuring dispatch itself, journal included."""

    transactional = False

    def send(self, message: Message) -> None:
        """Do nothing."""


def default_channels() -> dict[str, Channel]:
    """The channels a running app sends through."""
    return {"in_app": InAppChannel(), "email": EmailChannel()}


RULE_SUBJECTS = {
    "check_in": "Time for your symptom check-in",
    "evening_before": "Tomorrow: {title}",
    "morning_of": "Today: {title}",
    "week_before": "In a week: {title}",
    "day_before": "Tomorrow: {title}",
    "when_due": "Due now: {title}",
    "again_after_2_days": "Still to do: {title}",
    "alert_urgent": "URGENT alert for a patient in your care team",
    "alert_warning": "A warning for a patient in your care team",
    "digest": "Your Recovery digest",
}


def render_message(row: Any, public_url: str) -> Message:
    """Subject and text of a reminder, with clinical details only where chosen.

    In-app messages are inside the logged-in app and say everything; email carries
    event details only when the person opted in, alert emails never do.
    """
    # Nothing to send for an event done or cancelled since, or a closed account.
    obsolete = not row.active or (
        row.event_status in ("done", "cancelled")
        and row.rule not in ("check_in", "digest")
    )
    title = row.title or ""
    link = ""
    subject = RULE_SUBJECTS.get(row.rule, "A reminder from Recovery").format(
        title=title
    )
    if row.rule == "digest":
        text = row.body or "Open Recovery for today's overview."
    elif row.rule.startswith("alert_"):
        text = _alert_text(row)
        if row.patient_id is not None:
            link = f"/patients/{row.patient_id}"
    elif row.rule == "check_in":
        text = "How are you today? A short check-in helps your care team."
    else:
        when = row.start_date.strftime("%A %d %B") if row.start_date else ""
        text = f"{title} — {when}. {row.instructions or ''}".strip()
    if row.channel == "email" and (
        row.rule.startswith("alert_") or not row.email_details
    ):
        subject = (
            subject
            if row.rule in ("check_in", "digest") or row.rule.startswith("alert_")
            else "A reminder from Recovery"
        )
        text = f"You have a new message in Recovery. Open it here: {public_url}"
        link = ""
    return Message(
        reminder_id=row.id,
        channel=row.channel,
        attempts=row.attempts,
        to_email=row.email,
        to_name=row.name,
        subject=subject,
        text=text,
        obsolete=obsolete,
        link=link,
    )


def _alert_text(row: Any) -> str:
    """An alert in the app: whom it is about, how to reach them, what they said."""
    who = f"{row.patient_name} (MRN {row.patient_mrn})" if row.patient_name else ""
    if who and row.patient_phone:
        who += f", phone {row.patient_phone}"
    repeat = (
        f" Reported {row.alert_reports} times." if (row.alert_reports or 1) > 1 else ""
    )
    return f"{who}: {row.alert_message or ''}{repeat}" if who else row.alert_message
