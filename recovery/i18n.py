"""Each person's language: chosen in their settings, else the browser's.

Flask-Babel formats dates and numbers for the locale and translates the gettext
catalogues under recovery/translations (pybabel, see the Makefile).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import force_locale, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from recovery.domain.event_texts import EventText, event_text
from recovery.domain.protocol import Protocol
from recovery.extensions import babel

# Language names shown in the choosers, each in its own language so that a
# person who cannot read the current page still finds theirs.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

# Date and time layouts by purpose. English keeps the app's long-standing layouts
# ("Thu 26 Nov 2026"); Spanish puts the day before the month with "de", as
# Spanish readers expect ("jueves 26 de noviembre de 2026"). CLDR patterns.
DATE_PATTERNS: dict[str, dict[str, str]] = {
    "day_long": {"en": "EEEE dd MMMM yyyy", "es": "EEEE d 'de' MMMM 'de' y"},
    "day_month_long": {"en": "EEEE dd MMMM", "es": "EEEE d 'de' MMMM"},
    "day_short": {"en": "EEE dd MMM yyyy", "es": "EEE d MMM y"},
    "weekday": {"en": "EEEE", "es": "EEEE"},
    "weekday_short": {"en": "EEE dd MMM", "es": "EEE d MMM"},
    "date_long": {"en": "dd MMMM yyyy", "es": "d 'de' MMMM 'de' y"},
    "date": {"en": "dd MMM yyyy", "es": "d MMM y"},
    "day_month": {"en": "dd MMM", "es": "d MMM"},
    "moment": {"en": "EEE dd MMM, HH:mm", "es": "EEE d MMM, HH:mm"},
    "datetime": {"en": "dd MMM yyyy HH:mm", "es": "d MMM y HH:mm"},
    "datetime_zone": {"en": "dd MMM yyyy HH:mm zzz", "es": "d MMM y HH:mm zzz"},
}


def select_language() -> str:
    """The signed-in person's language, else the best of Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    # With the database down the account cannot be loaded: the browser decides.
    if (
        not g.get("database_down")
        and current_user.is_authenticated
        and current_user.language in languages
    ):
        return str(current_user.language)
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    """The language of the page or email being made now ("en", "es")."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def language_choices() -> list[tuple[str, str]]:
    """The enabled languages as (code, name) for a chooser."""
    return [
        (code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
    ]


@contextmanager
def language_of(code: str | None) -> Iterator[None]:
    """Render what is inside (an email, an in-app notice) in a recipient's
    language: theirs when it is enabled, else the default."""
    languages = current_app.config["LANGUAGES"]
    with force_locale(code if code in languages else languages[0]):
        yield


def _pattern(style: str, locale: Locale | None) -> str:
    patterns = DATE_PATTERNS[style]
    return patterns.get(locale.language if locale is not None else "en", patterns["en"])


def format_day(value: date | datetime | None, style: str = "date") -> str:
    """A calendar date in the page's language ("jueves 26 de noviembre de 2026")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    locale = get_locale()  # once: a page formats a dozen dates
    return format_date(value, _pattern(style, locale), locale=locale)


def local_time(
    instant: datetime | None, timezone: str | None = None, style: str = "moment"
) -> str:
    """An instant on the person's own clock, in the page's language."""
    if instant is None:
        return ""
    zone = ZoneInfo(timezone or "UTC")
    locale = get_locale()
    return format_datetime(
        instant.astimezone(zone), _pattern(style, locale), tzinfo=zone, locale=locale
    )


def day_word(day: date, today: date) -> str:
    """A near day as people say it: today, tomorrow, Monday; later ones by date."""
    ahead = (day - today).days
    if ahead == 0:
        return _("today")
    if ahead == 1:
        return _("tomorrow")
    if 1 < ahead < 7:
        return format_day(day, "weekday")
    return format_day(day, "weekday_short")


def N_(text: str) -> str:
    """Marks a msgid for the catalogue where it is kept, to be translated where
    it is shown (Babel extracts N_ by default)."""
    return text


def catalogue() -> Any:
    """The translations of the language in use, for templates.

    Flask-Babel finds them again through several context lookups for each
    string, and the patient's home page shows about sixty: kept on `g` with the
    locale they are for, so a change of language (language_of) finds its own.
    """
    locale = get_locale()
    kept = g.get("_catalogue")
    if kept is None or kept[0] is not locale:
        kept = g._catalogue = (locale, get_translations())
    return kept[1]


def bound_gettext() -> Callable[..., str]:
    """gettext bound to the current language's catalogue, for code that
    translates many strings in one language: Flask-Babel finds the catalogue
    again on every call (a sixth of dispatch's time, bench/reminders.py)."""
    translate = catalogue().ugettext

    def gettext(text: str, **values: Any) -> str:
        translated = translate(text)
        return translated % values if values else translated

    return gettext


# Words of the app's own codes (statuses, roles): msgids, translated when shown.
STATUS_WORDS = {
    "upcoming": N_("upcoming"),
    "due": N_("due"),
    "done": N_("done"),
    "missed": N_("missed"),
    "cancelled": N_("cancelled"),
    # A reminder's, on the coordinators' dashboard.
    "failed": N_("failed"),
    "expired": N_("expired"),
}
ROLE_WORDS = {
    "patient": N_("patient"),
    "caregiver": N_("caregiver"),
    "coordinator": N_("coordinator"),
    "clinician": N_("clinician"),
    "admin": N_("admin"),
}

# ODI disability bands (recovery/domain/scoring.py).
BAND_WORDS = {
    "minimal": N_("minimal"),
    "moderate": N_("moderate"),
    "severe": N_("severe"),
    "crippling": N_("crippling"),
    "bed-bound": N_("bed-bound"),
}


# The plan's codes (recovery/domain/plan.py), as the plan summary names them.
PROCEDURE_WORDS = {
    "biopsy": N_("Biopsy"),
    "minimally_invasive_removal": N_("Minimally invasive removal"),
    "partial_laminectomy": N_("Partial laminectomy"),
    "full_laminectomy": N_("Full laminectomy"),
    "open_resection": N_("Open resection"),
}
LOCATION_WORDS = {
    "intramedullary": N_("Intramedullary"),
    "intradural_extramedullary": N_("Intradural extramedullary"),
    "epidural": N_("Epidural"),
}
MALIGNANCY_WORDS = {
    "benign": N_("benign"),
    "malignant": N_("malignant"),
    "unknown": N_("unknown"),
}
ORIGIN_WORDS = {
    "primary": N_("primary"),
    "metastatic": N_("metastatic"),
    "unknown": N_("origin unknown"),
}
CHANNEL_WORDS = {"email": N_("email"), "in_app": N_("in the app")}
WORD_TABLES = {
    "status": STATUS_WORDS,
    "channel": CHANNEL_WORDS,
    "role": ROLE_WORDS,
    "band": BAND_WORDS,
    "procedure": PROCEDURE_WORDS,
    "location": LOCATION_WORDS,
    "malignancy": MALIGNANCY_WORDS,
    "origin": ORIGIN_WORDS,
}
_SPELLED_OUT = frozenset({"procedure", "location"})


def word(code: str | None, table: str = "status") -> str:
    """A code of the app ("due", "clinician") in the page's language."""
    if code is None:
        return ""
    found = WORD_TABLES[table].get(code)
    if found is None:
        return _spelled(code, table)
    return str(catalogue().ugettext(found))


def labelled(codes: Iterable[str], table: str) -> list[tuple[str, Any]]:
    """A select's choices: each code with its word, translated when rendered."""
    words = WORD_TABLES[table]
    return [
        (code, _l(words[code]) if code in words else _spelled(code, table))
        for code in codes
    ]


def _spelled(code: str, table: str) -> str:
    # A procedure or location a clinic's protocol adds reads as words until
    # translated; other codes as they are.
    return code.replace("_", " ").capitalize() if table in _SPELLED_OUT else code


# Protocol texts: here, not in the timeline feature, because pages (timeline),
# reminders and the calendar feed all name events in the reader's language.
def text_in(
    procedure: str,
    item_id: str,
    stored: EventText,
    language: str,
) -> EventText:
    """A stored event's texts in `language` (as stored when not the protocol's)."""
    protocols: dict[str, Protocol] = current_app.extensions["protocols"]
    protocol = protocols.get(procedure)
    if protocol is None:
        return stored
    return event_text(protocol, item_id, stored, language)


def stored_text(
    title: str,
    instructions: str | None,
    allowed: Sequence[str] | None = (),
    not_allowed: Sequence[str] | None = (),
) -> EventText:
    """The texts as a row holds them."""
    return EventText.stored(title, instructions, allowed, not_allowed)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector; templates get `current_language` and
    the locale-aware date filters."""
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: catalogue().ugettext(text),
        ngettext=lambda one, many, n: catalogue().ungettext(one, many, n),
        pgettext=lambda context, text: catalogue().upgettext(context, text),
        npgettext=lambda context, one, many, n: catalogue().unpgettext(
            context, one, many, n
        ),
        newstyle=True,
    )
    # {% trans %} blocks may wrap over several lines: whitespace is folded.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["language_choices"] = language_choices
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["day_word"] = day_word
    app.jinja_env.filters["word"] = word
