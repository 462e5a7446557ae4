"""Flask-Login wiring: sessions bound to a login token, bearer tokens for the API."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, current_app, g
from flask.sessions import SecureCookieSessionInterface

from recovery.auth.models import User
from recovery.auth.services import find_api_token, find_session
from recovery.extensions import login_manager
from recovery.orm import utcnow


def init_app(app: Flask) -> None:
    """Configure Flask-Login for the app."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    # "strong": a session used from another address or browser is dropped.
    login_manager.session_protection = "strong"
    app.session_interface = NoCookieForTokensSessionInterface()


def login_limit() -> str:
    """The rate limit on every way in: the login form, reset requests, API tokens."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a live server-side session (see User.get_id)."""
    user_id, _, rest = session_id.partition(":")
    login_token, _, key = rest.partition(":")
    if not user_id.isascii() or not user_id.isdigit() or len(user_id) > 10 or not key:
        return None
    return find_session(int(user_id), login_token, key)


LAST_USED_EVERY = timedelta(minutes=5)


@login_manager.request_loader
def load_user_from_token(request: Request) -> User | None:
    """Authenticate an API request by `Authorization: Bearer <token>`."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    now = utcnow()
    token = find_api_token(raw.strip(), now)
    if token is None:
        return None
    g.api_token = token
    # "Last used" for the token page, written at most every few minutes so that
    # reads stay reads; saved with the request's own commit (its audit row).
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        token.last_used_at = now
    return token.user


class NoCookieForTokensSessionInterface(SecureCookieSessionInterface):
    """Token-authenticated API calls get no session cookie back."""

    def should_set_cookie(self, app: Flask, session) -> bool:  # type: ignore[no-untyped-def]
        """Skip the cookie when the request used a bearer token."""
        if g.get("api_token") is not None:
            return False
        return super().should_set_cookie(app, session)
