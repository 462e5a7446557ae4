"""Error responses: HTML pages for people, the spec's JSON shape for the API."""

from __future__ import annotations

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
        fields[prefix or "_schema"] = " ".join(detail)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            fields.update(
                flatten_fields(item, f"{prefix}.{index}" if prefix else str(index))
            )
    elif detail:
        fields[prefix or "_schema"] = str(detail)
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
