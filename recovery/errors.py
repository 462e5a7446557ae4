"""Error responses: HTML pages for people, the spec's JSON shape for the API."""

from __future__ import annotations

import re
from typing import Any

from apiflask import APIFlask, HTTPError
from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
)

from recovery.extensions import db, login_manager

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}

PAGE_MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have access to this page."),
    404: _l("There is no page here."),
    405: _l("That action is not allowed here."),
    413: _l("What you sent is too large. Shorten it and try again."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l(
        "Something went wrong on our side. Your care team has not been notified "
        "by this page: if you need help now, call them."
    ),
}


class AuditedRefusal(HTTPException):
    """A refusal whose audit row must stand: the handler that answers it commits.

    The request ends at the refusal, so its answer is where its one commit is;
    nothing else the request did is pending by then (access is checked first).
    """


class HiddenRecord(AuditedRefusal, NotFound):
    """404: a record the person may not know exists, the refusal audited."""


class RefusedRecord(AuditedRefusal, Forbidden):
    """403: a record the person may not open for this, the refusal audited."""


def wants_json() -> bool:
    """API paths always answer JSON."""
    return request.path.startswith("/api/")


WEBARGS_LOCATIONS = frozenset({"json", "query", "form", "headers"})


# The English messages of API field errors, marked for pybabel: marshmallow's own
# and the app's schemas' (recovery/validation.py, the features' schemas.py). The
# schemas keep English; translate_message gives each the requester's language.
SCHEMA_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Unknown field."),
    _l("Invalid input type."),
    _l("Invalid value."),
    _l("Invalid type."),
    _l("Not a valid string."),
    _l("Not a valid utf-8 string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Number too large."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid aware datetime."),
    _l("Not a valid time."),
    _l("Not a valid email address."),
    _l("Not a valid URL."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Not a valid id."),
    _l("Not a page number."),
    _l("Some fields are not valid."),
    _l("Give a UTC offset, like 2026-11-26T15:00:00+00:00."),
    _l("Enter a phone number: digits, spaces and + ( ) - only."),
    _l("Contains a character that cannot be stored (a NUL byte)."),
    _l("Contains a character that is not valid text (a lone surrogate)."),
    _l("Must not be before start_date."),
    _l("Must not be before surgery_from."),
    _l("Each answer is 0 to 5."),
    _l("Give exactly 10 answers (null to skip one)."),
    _l("Minutes per session must be a whole number."),
    _l("Needed when radiation is planned."),
    _l("Unknown timezone: use an IANA name like America/Chicago."),
    _l("Must be a past date after 1900."),
    _l("Must be before the surgery date."),
    _l("The surgery date is more than a year from today."),
    _l("The surgery date is more than 5 years ago, past the follow-up period."),
    _l(
        "A metastatic tumour cannot be benign: record it as malignant, "
        "or the origin as primary or unknown."
    ),
)
# What a range check names (validation.within), translated inside its message.
RANGE_SUBJECTS = (
    _l("Back pain"),
    _l("Leg pain"),
    _l("Fatigue"),
    _l("Temperature"),
    _l("Weight"),
    _l("The start day"),
    _l("Weeks"),
    _l("Days without a check-in"),
)
# Messages that embed values: the English pattern, and its msgid with the values
# as placeholders (the same names as the pattern's groups).
MESSAGE_PATTERNS = (
    (
        re.compile(r"Some fields are not valid: (?P<fields>.*)\."),
        _l("Some fields are not valid: %(fields)s."),
    ),
    (
        re.compile(r"JSON nested deeper than (?P<depth>\d+) levels\."),
        _l("JSON nested deeper than %(depth)s levels."),
    ),
    (
        re.compile(r"Must be one of: (?P<choices>.*)\."),
        _l("Must be one of: %(choices)s."),
    ),
    (
        re.compile(r"(?P<what>.+) must be from (?P<low>\S+) to (?P<high>\S+)\."),
        _l("%(what)s must be from %(low)s to %(high)s."),
    ),
    (
        re.compile(r"Longer than maximum length (?P<max>\d+)\."),
        _l("Longer than maximum length %(max)s."),
    ),
    (
        re.compile(r"Shorter than minimum length (?P<min>\d+)\."),
        _l("Shorter than minimum length %(min)s."),
    ),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
        _l("Length must be between %(min)s and %(max)s."),
    ),
    (
        re.compile(
            r"Enter a date from (?P<low>\d+) to (?P<high>\d+), like (?P<example>\S+)\."
        ),
        _l("Enter a date from %(low)s to %(high)s, like %(example)s."),
    ),
    (
        re.compile(r"Give an instant from (?P<low>\d+) to (?P<high>\d+)\."),
        _l("Give an instant from %(low)s to %(high)s."),
    ),
    (
        re.compile(r'"(?P<input>.*)" cannot be formatted as a date\.', re.DOTALL),
        _l('"%(input)s" cannot be formatted as a date.'),
    ),
)


def translate_message(message: str) -> str:
    """An API field message in the requester's language (English unchanged).

    A message with no translation (a clinician's own text, a message not in the
    catalogue) is returned as it came: plain str, for the JSON encoder.
    """
    if not message:
        return message  # gettext("") is the catalogue's header
    translated = _(message)
    if translated != message:
        return str(translated)
    for pattern, msgid in MESSAGE_PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            values = found.groupdict()
            subject = values.get("what")
            if subject:
                values["what"] = _(subject)
            return str(msgid) % values
    return message


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, str]:
    """Turn marshmallow's nested messages into {"field.sub": "message"}."""
    fields: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if not prefix and key in WEBARGS_LOCATIONS:
                name = ""  # webargs nests messages under the location: drop it
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(flatten_fields(value, name))
    elif isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        fields[prefix or "_schema"] = " ".join(map(translate_message, detail))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            fields.update(
                flatten_fields(item, f"{prefix}.{index}" if prefix else str(index))
            )
    elif detail:
        fields[prefix or "_schema"] = translate_message(str(detail))
    return fields


def error_body(
    status: int, message: str, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    """The API's error document: {"error": {"code", "message", "fields"}}."""
    return {
        "error": {
            "code": ERROR_CODES.get(status, "error"),
            "message": message,
            "fields": fields or {},
        }
    }


def _api_message(status: int, default: str, fields: dict[str, str]) -> str:
    if status == 422 and fields:
        return _(
            "Some fields are not valid: %(fields)s.", fields=", ".join(sorted(fields))
        )
    return default


def init_app(app: APIFlask) -> None:
    """Register the handlers."""

    @app.error_processor
    def api_error(error: HTTPError) -> Any:
        """Validation errors and aborts from the API, in the spec's shape."""
        fields = flatten_fields(error.detail)
        message = _api_message(error.status_code, error.message, fields)
        return (
            error_body(error.status_code, message, fields),
            error.status_code,
            (error.headers or {}),
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        """A form sent without its CSRF token: most often an expired page."""
        message = _(
            "This form has expired or was not sent from this site. "
            "Reload the page and try again."
        )
        if wants_json():
            return error_body(400, "Missing or invalid CSRF token."), 400
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        """Every other HTTP error: a page, or JSON on the API."""
        if isinstance(error, AuditedRefusal):
            db.session.commit()
        status = error.code or 500
        if wants_json():
            fields = flatten_fields(getattr(error, "data", {}).get("messages"))
            if status == 400 and fields:
                message = _("The request body is not valid JSON.")
            else:
                message = error.description or error.name
            response = error.get_response()
            headers = {
                key: value
                for key, value in response.headers.items()
                if key.lower() in {"allow", "retry-after", "www-authenticate"}
            }
            return error_body(status, message, fields), status, headers
        message = PAGE_MESSAGES.get(status, error.description or error.name)
        return (
            render_template("errors/error.html", code=status, message=message),
            status,
        )

    database_unavailable(app)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Any:
        """An unexpected failure: roll back, log the traceback, show a plain page."""
        db.session.rollback()
        if wants_json():
            return error_body(500, "Internal server error."), 500
        return (
            render_template("errors/error.html", code=500, message=PAGE_MESSAGES[500]),
            500,
        )


# What the database said, in words for the person at the screen and the operator.
DATABASE_TROUBLE = (
    ("readonly", _l("The database is read-only just now; nothing was saved.")),
    ("disk is full", _l("The database's disk is full; nothing was saved.")),
    ("disk full", _l("The database's disk is full; nothing was saved.")),
)


def database_unavailable(app: APIFlask) -> None:
    """A database that is down, read-only or full gives 503, never a 500.

    The transaction is rolled back, so nothing is half-written; the pool's
    pre-ping reconnects once the server is back.
    """

    @app.errorhandler(OperationalError)
    def operational_error(error: OperationalError) -> Any:
        try:
            db.session.rollback()
        except OperationalError:  # the connection itself is gone
            db.session.remove()
        # Nothing below may touch the database: no account in the header, and
        # Flask-Login (which keeps the request's user in g._login_user) must not
        # load it again, neither for the template nor for the language of the
        # words (Accept-Language decides then).
        g.database_down = True
        g._login_user = login_manager.anonymous_user()
        text = str(error.orig).lower()
        message = next(
            (str(words) for needle, words in DATABASE_TROUBLE if needle in text),
            _(
                "The database cannot be reached just now; nothing was saved. "
                "Try again in a minute."
            ),
        )
        # The operator's log names the cause; patient data is not in it.
        app.logger.error("database unavailable: %s", type(error.orig).__name__)
        headers = {"Retry-After": "30"}
        if wants_json():
            return error_body(503, message), 503, headers
        page = render_template(
            "errors/error.html", code=503, message=message, database_down=True
        )
        return page, 503, headers
