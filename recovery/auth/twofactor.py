"""Two-factor sign-in: an authenticator app's code (TOTP, RFC 6238, via pyotp) and
single-use recovery codes. The caller commits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import select

from recovery.auth.models import RecoveryCode, User
from recovery.extensions import db

ISSUER = "Recovery"
RECOVERY_CODES = 10
# One 30-second step either side: a phone's clock a little off still works.
VALID_WINDOW = 1


def new_secret() -> str:
    """A fresh base32 secret for the authenticator app."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (typed or as a link)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def code_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step a 6-digit code belongs to, if valid and newer than `after`.

    A code already used (its step not after the last one) is refused: a code
    seen over a shoulder cannot be replayed.
    """
    digits = _clean(code)
    if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def enable(user: User, secret: str, now: datetime) -> list[str]:
    """Turn two-factor on with a confirmed secret; the recovery codes, shown once."""
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = None
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; only their hashes are stored."""
    db.session.execute(
        RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id)
    )
    codes = [
        f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes
    )
    db.session.flush()
    return codes


def disable(user: User) -> None:
    """Turn two-factor off and forget the secret and codes."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(
        RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id)
    )


def check(user: User, code: str, now: datetime) -> str | None:
    """'app' or 'recovery' if the code signs the user in (and uses it up), or None."""
    if not user.totp_secret or len(code) > 40:
        return None
    step = code_step(user.totp_secret, code, now, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "app"
    found = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return None
    found.used_at = now
    return "recovery"


def codes_left(user: User) -> int:
    """How many recovery codes are still unused."""
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
