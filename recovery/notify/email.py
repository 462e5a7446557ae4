"""Email through Flask-Mailman: SMTP in production, the console in development."""

from __future__ import annotations

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives

from recovery.i18n import language_of


def send_email(
    to: str,
    subject: object,
    template: str,
    language: str | None = None,
    **context: object,
) -> None:
    """Render `<template>.txt` and `.html` in the recipient's `language` and send
    them as one message; `subject` may be a lazy string, translated here too."""
    with language_of(language):
        subject = str(subject)
        text = render_template(f"{template}.txt", **context)
        html = render_template(f"{template}.html", **context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()
