"""Channels behind one interface: in-app inbox, SMTP email, and null for benches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app
from flask_mailman import EmailMultiAlternatives

from recovery.domain.timeline import FINAL_STATUSES
from recovery.i18n import N_, bound_gettext, format_day, language_of


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
    # The recipient's language: an email's frame is rendered in it too.
    language: str = ""


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
        with language_of(message.language or None):
            html = render_template("email/reminder.html", message=message)
        email.attach_alternative(html, "text/html")
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


# Subjects by rule (msgids), translated when a message is made, in its recipient's
# language.
RULE_SUBJECTS = {
    "check_in": N_("Time for your symptom check-in"),
    "evening_before": N_("Tomorrow: %(title)s"),
    "morning_of": N_("Today: %(title)s"),
    "week_before": N_("In a week: %(title)s"),
    "day_before": N_("Tomorrow: %(title)s"),
    "when_due": N_("Due now: %(title)s"),
    "again_after_2_days": N_("Still to do: %(title)s"),
    "alert_urgent": N_("URGENT alert for a patient in your care team"),
    "alert_warning": N_("A warning for a patient in your care team"),
    "digest": N_("Your Recovery digest"),
    "message": N_("New message in Recovery"),
}


def render_messages(rows: Sequence[Any], public_url: str) -> list[Message]:
    """Subject and text of reminders, each in its recipient's language, with
    clinical details only where chosen; in the order given.

    In-app messages are inside the logged-in app and say everything; email carries
    event details only when the person opted in, alert emails never do. The
    language is switched once per language, not once per message: switching was
    half of dispatch's time (bench/reminders.py).
    """
    rendered: dict[int, Message] = {}
    languages = {getattr(row, "language", None) or "" for row in rows}
    for language in sorted(languages):
        with language_of(language or None):
            _ = bound_gettext()
            for row in rows:
                if (getattr(row, "language", None) or "") == language:
                    rendered[row.id] = _render_message(row, public_url, language, _)
    return [rendered[row.id] for row in rows]


def _render_message(
    row: Any, public_url: str, language: str, _: Callable[..., str]
) -> Message:
    # Nothing to send for an event done or cancelled since, or a closed account.
    obsolete = not row.active or (
        row.event_status in FINAL_STATUSES and row.rule not in ("check_in", "digest")
    )
    # The event's title and instructions are the protocol's texts (recovery/domain
    # gives them in the recipient's language, issue 20).
    title = row.title or ""
    link = ""
    subject = _(RULE_SUBJECTS.get(row.rule, "A reminder from Recovery")) % {
        "title": title
    }
    if row.rule == "digest":
        text = row.body or _("Open Recovery for today's overview.")
    elif row.rule == "message":
        # Fixed when queued, never the message's text: in the app the page's path,
        # by email "there is a new message" and the whole link.
        if row.channel == "in_app":
            text, link = _("You have a new message."), row.body
        else:
            text = row.body
    elif row.rule.startswith("alert_"):
        text = _alert_text(row, _)
        if row.patient_id is not None:
            link = f"/patients/{row.patient_id}"
    elif row.rule == "check_in":
        text = _("How are you today? A short check-in helps your care team.")
    else:
        when = format_day(row.start_date, "day_month_long") if row.start_date else ""
        text = f"{title} — {when}. {row.instructions or ''}".strip()
    if row.channel == "email" and (
        row.rule.startswith("alert_")
        or not (row.email_details or row.rule == "message")
    ):
        subject = (
            subject
            if row.rule in ("check_in", "digest") or row.rule.startswith("alert_")
            else _("A reminder from Recovery")
        )
        text = _(
            "You have a new message in Recovery. Open it here: %(url)s",
            url=public_url,
        )
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
        language=language,
    )


def _alert_text(row: Any, _: Callable[..., str]) -> str:
    """An alert in the app: whom it is about, how to reach them, what they said."""
    who = (
        _("%(name)s (MRN %(mrn)s)", name=row.patient_name, mrn=row.patient_mrn)
        if row.patient_name
        else ""
    )
    if who and row.patient_phone:
        who += _(", phone %(phone)s", phone=row.patient_phone)
    repeat = (
        " " + _("Reported %(times)s times.", times=row.alert_reports)
        if (row.alert_reports or 1) > 1
        else ""
    )
    return f"{who}: {row.alert_message or ''}{repeat}" if who else row.alert_message
