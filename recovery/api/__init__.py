"""JSON API v1 (spec/API.md): one module per resource, calling the same services."""

from __future__ import annotations

from apiflask import APIBlueprint, HTTPTokenAuth
from flask import current_app, g, request
from flask_login import current_user

from recovery.extensions import csrf, limiter

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Recovery")
# The API checks CSRF itself: only for cookie sessions, never for bearer tokens.
csrf.exempt(bp)


class SessionOrTokenAuth(HTTPTokenAuth):
    """A bearer token or, for same-origin browser calls, the login session."""

    def authenticate(self, auth, stored_password):  # type: ignore[no-untyped-def]
        """Unlike HTTPTokenAuth, also verify when no Authorization header came."""
        return self.ensure_sync(self.verify_token_callback)(
            getattr(auth, "token", "") or ""
        )


auth = SessionOrTokenAuth(
    scheme="Bearer",
    description="A token from POST /api/v1/auth/tokens, or a browser session.",
)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@auth.verify_token
def verify_token(token: str) -> object | None:
    """Flask-Login already resolved the bearer token or the session cookie."""
    if not current_user.is_authenticated:
        return None
    if g.get("api_token") is None and request.method in UNSAFE_METHODS:
        # A browser session writing through the API must send X-CSRFToken.
        csrf.protect()
    return current_user._get_current_object()


@auth.error_processor
def auth_error(error):  # type: ignore[no-untyped-def]
    """401 in the API's error shape."""
    from recovery.errors import error_body

    message = "Send a valid bearer token (POST /api/v1/auth/tokens) or log in."
    return error_body(401, message), 401, {"WWW-Authenticate": 'Bearer realm="api"'}


def rate_limit_key() -> str:
    """Whose budget a request spends: its token's, its user's, or its address'."""
    if current_user.is_authenticated:
        token = g.get("api_token")
        return f"token:{token.id}" if token is not None else f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def _api_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.limit(_api_limit, key_func=rate_limit_key)(bp)


def require_roles(*roles: str) -> None:
    """403 unless the caller has one of these roles."""
    if current_user.role not in roles:
        from apiflask import abort

        abort(403, "Your role may not do this.")


# The resource modules register their routes on bp.
from recovery.api import (  # noqa: E402,F401
    caregivers,
    cohort,
    messages,
    patients,
    reminders,
    symptoms,
    timeline,
    tokens,
)
