"""Input checks shared by every form, query string and JSON body (issue 17).

Each check exists once here, so a page and the API refuse the same value the same
way: timezones, integers in query strings, dates the app can store and format,
JSON bodies (size, depth, unpaired surrogates) and text (no NUL byte, which
PostgreSQL refuses and SQLite would store).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaError
from marshmallow import fields as schema_fields
from marshmallow.validate import OneOf, Range, Regexp
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import DecimalField, IntegerField
from wtforms.validators import Length, ValidationError

# Dates of care, birth and audit filters: wide enough for any patient, narrow
# enough that a day added or a calendar feed never overflows `date`.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
DATE_MESSAGE = (
    f"Enter a date from {MIN_DATE.year} to {MAX_DATE.year}, like "
    f"{date(2026, 11, 26).isoformat()}."
)
# Ids are the database's INTEGER: anything outside is no id (not a 500 on
# overflow); page numbers and other integers go no further either.
MAX_ID = 2**31 - 1
# The longest text of each kind of field: its column, its form and the API agree.
EMAIL_MAX = 254  # the longest address SMTP carries (RFC 5321)
NAME_MAX = 200  # a person's name, an event's title, a tumor type
PHONE_MAX = 32
LABEL_MAX = 100  # what an API token is for
REASON_MAX = 500  # why a new episode starts
NOTE_MAX = 1000  # a staff note: an alert acknowledged, an item reviewed
INSTRUCTIONS_MAX = 5000
MAX_DECIMAL = Decimal(10**9)
INT_RE = re.compile(r"[+-]?[0-9]{1,10}")
# A JSON body: at most this many bytes and this many levels of nesting.
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Contains a character that cannot be stored (a NUL byte)."
SURROGATE_MESSAGE = "Contains a character that is not valid text (a lone surrogate)."


def date_problem(value: date | datetime | None) -> str | None:
    """Why a date cannot be stored and shown, or None."""
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        return DATE_MESSAGE
    return None


def parse_int(raw: str | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """An integer typed in ASCII digits within [low, high], else None.

    Python's int() takes any Unicode digit and any size; a query string should not.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not INT_RE.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def query_int(name: str, default: int, high: int = MAX_ID) -> int:
    """request.args[name] as a positive integer; the default if absent or bad."""
    value = parse_int(request.args.get(name), 1, high)
    return default if value is None else value


# -- WTForms -------------------------------------------------------------------


def in_date_range(form: Any, field: Any) -> None:
    """WTForms validator: a date the app can store and format."""
    problem = date_problem(field.data)
    if problem:
        raise ValidationError(problem)


class BoundedIntegerField(IntegerField):
    """An IntegerField that takes ASCII digits only and fits the database."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Refuse what parse_int refuses, with WTForms' own message."""
        if valuelist and valuelist[0] not in ("", None):
            value = parse_int(str(valuelist[0]), -MAX_ID, MAX_ID)
            if value is None:
                self.data = None
                raise ValueError(self.gettext("Not a valid integer value."))
            self.data = value
            return
        super().process_formdata(valuelist)


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN, sNaN and infinities (they break compares)."""

    number_message = "Enter a number, like 37.5."

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse, then drop anything that is not a finite number."""
        # A decimal comma, as Spanish (and most of Europe) writes 37,5.
        valuelist = [
            v.replace(",", ".") if isinstance(v, str) and v.count(",") == 1 else v
            for v in valuelist
        ]
        super().process_formdata(valuelist)
        # Huge finite values break the page too: quantizing them to `places` fails.
        if isinstance(self.data, Decimal) and (
            not self.data.is_finite() or abs(self.data) >= MAX_DECIMAL
        ):
            self.data = None
            raise ValueError(self.number_message)


# -- marshmallow ---------------------------------------------------------------


ID_RANGE = Range(1, MAX_ID, error="Not a valid id.")


def within(low: float, high: float, what: str) -> Range:
    """A marshmallow range check whose message names the value and both ends."""
    return Range(low, high, error=f"{what} must be from {low:g} to {high:g}.")


def one_of(values: tuple[str, ...]) -> OneOf:
    """A marshmallow choice check whose message lists the choices."""
    return OneOf(values, error="Must be one of: " + ", ".join(values) + ".")


def at_most(limit: int) -> Length:
    """A form field's length check, said in the page's language."""
    return Length(max=limit, message=_l("Use at most %(max)s characters.", max=limit))


# A phone number as people write it: digits, spaces, + ( ) - . and an extension.
PHONE = Regexp(
    r"^[0-9+() .\-]{0,24}(?: ?(?:x|ext\.?) ?[0-9]{1,6})?$",
    error="Enter a phone number: digits, spaces and + ( ) - only.",
)


class StoredDate(schema_fields.Date):
    """A date the app can store and format (MIN_DATE to MAX_DATE)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = date_problem(day)
        if problem:
            raise SchemaError(problem)
        return day


class StoredInstant(schema_fields.AwareDateTime):
    """An ISO instant with its UTC offset, within the storable range."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own pattern
        "invalid_awareness": "Give a UTC offset, like 2026-11-26T15:00:00+00:00.",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        instant = super()._deserialize(value, attr, data, **kwargs)
        # Both ends a day inside the range, so converting to UTC cannot overflow.
        problem = date_problem(instant)
        if problem or instant.year in (MIN_DATE.year, MAX_DATE.year):
            raise SchemaError(
                f"Give an instant from {MIN_DATE.year + 1} to {MAX_DATE.year - 1}."
            )
        return instant


# -- JSON bodies and text, for every request ---------------------------------


def _strings(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    """Every string (keys included) of a parsed body, with where it sits."""
    if depth > MAX_JSON_DEPTH:
        raise RecursionError
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, key
            yield from _strings(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(
                item, f"{path}.{index}" if path else str(index), depth + 1
            )


def text_problem(text: str) -> str | None:
    """Why a piece of text cannot be stored, or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def json_body_problem(raw: bytes) -> tuple[int, str, dict[str, str]] | None:
    """(status, message, fields) for a JSON body the API must refuse, or None."""
    if len(raw) > MAX_JSON_BYTES:
        return 413, f"A JSON body may be at most {MAX_JSON_BYTES // 1024} KB.", {}
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
        fields = {
            (_safe_name(path) or "_schema"): problem
            for path, text in _strings(value, "", 0)
            if (problem := text_problem(text))
        }
    except RecursionError:
        return 400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels.", {}
    except (ValueError, UnicodeDecodeError):
        return None  # malformed: the API's parser says so with its own 400
    if fields:
        return (
            422,
            "Some fields are not valid: " + ", ".join(sorted(fields)) + ".",
            fields,
        )
    return None


def _safe_name(path: str) -> str:
    """A field name fit to echo back: its text without what made it invalid."""
    return path.encode("utf-8", "replace").decode("utf-8").replace("\x00", "?")


def init_app(app: Flask) -> None:
    """Check every request's JSON body and form or query text before a view runs."""

    @app.before_request
    def refuse_unstorable_input() -> Any:
        from recovery.errors import error_body, translate_message, wants_json

        if request.is_json and request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            if (request.content_length or 0) > MAX_JSON_BYTES:
                raise RequestEntityTooLarge
            found = json_body_problem(request.get_data(cache=True))
            if found is not None:
                status, message, fields = found
                if status == 413:
                    raise RequestEntityTooLarge
                fields = {
                    name: translate_message(text) for name, text in fields.items()
                }
                return error_body(status, translate_message(message), fields), status
            return None
        bad = sorted(
            _safe_name(key)
            for values in (request.args, _form_or_empty())
            for key, value in values.items(multi=True)
            if text_problem(key) or text_problem(value)
        )
        if not bad:
            return None
        if wants_json():
            fields = dict.fromkeys(bad, translate_message(NUL_MESSAGE))
            message = translate_message("Some fields are not valid.")
            return error_body(422, message, fields), 422
        message = (
            "What you sent contains a character that cannot be stored (a NUL byte). "
            "Go back, retype it and try again."
        )
        current_app.logger.info("refused a NUL byte in %s", ", ".join(bad))
        return render_template("errors/error.html", code=400, message=message), 400


def _form_or_empty() -> Any:
    """The form fields of a form post; nothing for other bodies."""
    if request.method == "GET" or request.is_json:
        return MultiDict()
    return request.form
