"""Each person's language: chosen in their settings, else the browser's.

Flask-Babel formats dates and numbers for the locale and translates the gettext
catalogues under recovery/translations (pybabel, see the Makefile).
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from recovery.extensions import babel


def select_language() -> str:
    """The signed-in person's language, else the best of Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    if current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    """The language of the page or email being made now ("en", "es")."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector; templates get `current_language`."""
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.globals["current_language"] = current_language
