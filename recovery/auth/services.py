"""Account use cases: passwords, login attempts, signed links and API tokens.

Functions here change rows and flush; the caller owns the transaction and commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from recovery.auth.models import (
    ApiToken,
    LoginSession,
    User,
    new_login_token,
    normalise_email,
)
from recovery.extensions import db

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    """A use case refused: the message is safe to show the user."""


def find_user_by_email(email: str) -> User | None:
    """The account with this email, compared case-insensitively."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(num)s characters.", num=MAX_PASSWORD_LENGTH)
    if email and password.strip().lower() == normalise_email(email):
        return _("Do not use your email address as your password.")
    return None


def set_password(user: User, password: str, now: datetime) -> None:
    """Hash and store a new password; ends every session and API token.

    Whoever knew the old password may hold a session or a token: a new password
    (changed, reset or set by an admin) ends them all. Rotating the login token
    also lifts any login lock, whose key includes it.
    """
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = _hasher.hash(password)
    user.password_set_at = now
    end_all_sessions(user, now)


def end_all_sessions(user: User, now: datetime) -> None:
    """End every session, remember cookie, emailed link and API token of the user."""
    user.login_token = new_login_token()
    if user.id is None:
        return
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def start_session(user: User, now: datetime) -> None:
    """A new server-side session for this browser; login_user() stores its key."""
    raw = secrets.token_urlsafe(24)
    row = LoginSession(user_id=user.id, secret_hash=_hash_token(raw), created_at=now)
    db.session.add(row)
    db.session.flush()
    user.session_key = f"{row.id}.{raw}"


def find_session(user_id: int, login_token: str, key: str) -> User | None:
    """The user of a live session: right login token, session not ended."""
    session_id, _, raw = key.partition(".")
    if not session_id.isascii() or not session_id.isdigit() or len(session_id) > 10:
        return None
    found = db.session.execute(
        select(User, LoginSession.secret_hash)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == user_id,
            LoginSession.id == int(session_id),
            LoginSession.ended_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    user, secret_hash = found
    if not user.active or not hmac.compare_digest(user.login_token, login_token):
        return None
    if not hmac.compare_digest(secret_hash, _hash_token(raw)):
        return None
    user.session_key = key
    return user


def end_session(user: User, now: datetime) -> None:
    """End the session this request runs in (logging out)."""
    session_id = user.session_key.partition(".")[0]
    if session_id.isdigit():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == int(session_id))
            .values(ended_at=now)
        )


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a login: the user, or why not."""

    user: User | None
    error: str | None = None


def _lock_key(email: str, client: str, user: User | None) -> str:
    """Whose failures count together: this address for this client.

    Keyed by client, a stranger's failures lock only the stranger out. The
    account's login token is part of the key, so a new password lifts the lock.
    Unknown addresses are counted the same way: a lock says nothing of an account.
    """
    generation = user.login_token if user is not None else ""
    return hashlib.sha256(f"{email}|{client}|{generation}".encode()).hexdigest()


def authenticate(
    email: str,
    password: str,
    now: datetime,
    max_failures: int,
    lock_for: timedelta,
    client: str = "",
) -> LoginAttempt:
    """Check credentials; too many failures lock this address from this client.

    Unknown, wrong and locked give the same answer ("invalid") after the same
    work: one password hash is verified every time.
    """
    from limits import RateLimitItemPerSecond

    from recovery.extensions import failure_counter

    counter = failure_counter()
    wanted = normalise_email(email)
    user = find_user_by_email(wanted)
    window = RateLimitItemPerSecond(max_failures, max(1, int(lock_for.total_seconds())))
    key = _lock_key(wanted, client, user)
    locked = not counter.test(window, "login-failures", key)
    valid = _verify(user.password_hash if user is not None else None, password)
    if user is None or user.password_hash is None or not valid or locked:
        if not locked:
            counter.hit(window, "login-failures", key)
        return LoginAttempt(None, "invalid")
    if not user.active:
        return LoginAttempt(None, "inactive")
    counter.clear(window, "login-failures", key)
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginAttempt(user)


# Signed, expiring, single-use links (invitation, password reset). Single use: the
# payload carries a fingerprint of the login token, which setting a password rotates.
LINK_PURPOSES = ("invitation", "password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.login_token.encode()).hexdigest()[:16]


def make_link_token(secret_key: str, purpose: str, user: User) -> str:
    """A signed token for an emailed link."""
    serializer = URLSafeTimedSerializer(secret_key, salt=purpose)
    return serializer.dumps({"u": user.id, "f": _fingerprint(user)})


def read_link_token(
    secret_key: str, purpose: str, token: str, max_age: timedelta
) -> User:
    """The user a link is for, or AccountError saying why the link does not work."""
    serializer = URLSafeTimedSerializer(secret_key, salt=purpose)
    try:
        data = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise AccountError(_("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise AccountError(_("This link is not valid.")) from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not hmac.compare_digest(str(data.get("f")), _fingerprint(user)):
        raise AccountError(_("This link has already been used or is no longer valid."))
    if not user.active:
        raise AccountError(_("This account is deactivated. Contact your clinic."))
    return user


TOKEN_PREFIX = "rcv_"  # noqa: S105 - a marker, not a secret


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_api_token(
    user: User, now: datetime, ttl: timedelta, label: str = ""
) -> tuple[str, ApiToken]:
    """Create a token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        token_hash=_hash_token(raw),
        label=label,
        created_at=now,
        expires_at=now + ttl,
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


def find_api_token(raw: str, now: datetime) -> ApiToken | None:
    """The live token for this raw value: not expired, not revoked, user active."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(raw))
    )
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    return token


def revoke_api_token(token: ApiToken, now: datetime) -> None:
    """Revoke a token now."""
    token.revoked_at = now


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for an email, built from PUBLIC_URL, never the Host header."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


# purpose -> (endpoint of the link, subject, email template, config key of its max age)
LINK_EMAILS = {
    "invitation": (
        "auth.accept_invitation",
        _l("Your Recovery account"),
        "email/invitation",
        "INVITATION_MAX_AGE",
    ),
    "password-reset": (
        "auth.reset_password",
        _l("Reset your Recovery password"),
        "email/password_reset",
        "PASSWORD_RESET_MAX_AGE",
    ),
}


def send_link(user: User, purpose: str) -> None:
    """Email the user a signed link: an invitation or a password reset."""
    from recovery.notify.email import send_email

    endpoint, subject, template, max_age_key = LINK_EMAILS[purpose]
    token = make_link_token(current_app.config["SECRET_KEY"], purpose, user)
    max_age: timedelta = current_app.config[max_age_key]
    send_email(
        user.email,
        subject,
        template,
        user=user,
        link=external_url(endpoint, token=token),
        valid_for=describe_duration(max_age),
        language=user.language,
    )


def describe_duration(value: timedelta) -> LazyString:
    """'7 days', '60 minutes': how long a link works, in the reader's language
    (lazy: an email renders it in its recipient's)."""
    if value.days >= 1 and value.seconds == 0:
        return lazy_ngettext("%(num)s day", "%(num)s days", value.days)
    minutes = int(value.total_seconds() // 60)
    return lazy_ngettext("%(num)s minute", "%(num)s minutes", minutes)
