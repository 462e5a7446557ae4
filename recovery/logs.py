"""Logs without secrets, and answers no cache keeps.

Invitation, password-reset and calendar-feed links carry their secret in the
path: an access log line would hand it to whoever reads the log. Both the
development server's log (werkzeug) and gunicorn's access log (gunicorn.conf.py
names GunicornLogger) print such paths with the secret replaced.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, request
from gunicorn.glogging import Logger as _GunicornBase

REDACTED = "[redacted]"
# /invitation/<token>, /reset-password/<token>, /…/feed/<token>.ics
SECRET_IN_PATH = re.compile(
    r"(/(?:invitation|reset-password)/)[^/?#\s\"]+|(/feed/)[^/?#\s\"]+?(\.ics)"
)


def redact(text: str) -> str:
    """The text with every secret of a link replaced."""
    return SECRET_IN_PATH.sub(
        lambda m: (
            f"{m.group(1)}{REDACTED}"
            if m.group(1)
            else f"{m.group(2)}{REDACTED}{m.group(3)}"
        ),
        text,
    )


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message and arguments without link secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only its text changes."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a) if isinstance(a, str) else a for a in record.args
            )
        return True


class GunicornLogger(_GunicornBase):
    """gunicorn's logger, its access lines without link secrets."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> Any:
        """The access-log fields; the request line, path and query redacted."""
        values = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "{raw_uri}e", "f"):
            if isinstance(values.get(key), str):
                values[key] = redact(values[key])
        return values


def init_app(app: Flask) -> None:
    """Filter the access logs; say so when emails go to the console."""
    logging.getLogger("werkzeug").addFilter(RedactingFilter())
    if app.config.get("MAIL_BACKEND") == "console":
        app.logger.warning(
            "MAIL_BACKEND=console: every email is printed to this console with "
            "its live links (invitations, password resets); whoever reads this "
            "output can use them. Use smtp for real patients."
        )

    @app.after_request
    def no_store(response: Response) -> Response:
        """Patient data stays out of browser and proxy caches: every answer but
        the static files is no-store (pages, API, FHIR, calendar feeds)."""
        if not request.path.startswith("/static/"):
            cache = response.headers.get("Cache-Control", "")
            if "no-store" not in cache:
                response.headers["Cache-Control"] = "no-store"
        return response
