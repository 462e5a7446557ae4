"""Email through Flask-Mailman: SMTP in production, the console in development."""

from __future__ import annotations

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives


def send_email(to: str, subject: str, template: str, **context: object) -> None:
    """Render `<template>.txt` and `.html` and send them as one message."""
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
