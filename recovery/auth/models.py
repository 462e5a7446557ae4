"""Accounts: users of every role, and their API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import (
    Mapped,
    WriteOnlyMapped,
    mapped_column,
    relationship,
    validates,
)

from recovery.extensions import db
from recovery.orm import TimestampMixin, allowed, utcnow
from recovery.validation import EMAIL_MAX, LABEL_MAX, NAME_MAX, PHONE_MAX

if TYPE_CHECKING:
    from recovery.patients.models import Patient

STAFF_ROLES = ("coordinator", "clinician", "admin")
# Who may be named on a patient's care team (and writes notes on the record).
CARE_TEAM_ROLES = ("coordinator", "clinician")
# Who may change a patient's plan and follow-up schedule.
SCHEDULE_EDITORS = ("clinician", "admin")
ROLES = ("patient", "caregiver", *STAFF_ROLES)


def new_login_token() -> str:
    """A random value that ties sessions and remember cookies to a password."""
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    """Anyone who logs in: a patient, a caregiver or a member of staff."""

    __tablename__ = "users"
    __table_args__ = (allowed("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Staff: the number this person's patients call (a team line, not a mobile);
    # a patient's care team is reached on their coordinator's, else their
    # clinician's, else the clinic's CLINIC_PHONE (patients.contact).
    care_team_phone: Mapped[str] = mapped_column(
        String(PHONE_MAX), default="", server_default=""
    )
    # The language of this person's pages, emails and reminders (config LANGUAGES).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # A patient's thermometer and scale: check-ins are typed and shown in these
    # units, stored in °C and kg (recovery.domain.units).
    temperature_unit: Mapped[str] = mapped_column(
        String(2), default="C", server_default="C"
    )
    weight_unit: Mapped[str] = mapped_column(
        String(3), default="kg", server_default="kg"
    )
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_set_at: Mapped[datetime | None]
    # Rotated on password change and deactivation: every older session, remember
    # cookie, invitation and reset link stops working at once.
    login_token: Mapped[str] = mapped_column(String(64), default=new_login_token)
    last_login_at: Mapped[datetime | None]
    # Two-factor sign-in (recovery/auth/twofactor.py): the authenticator app's
    # secret, when it was turned on, and the last code's time step (no replay).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Notification preferences (reminders for patients, alerts for staff).
    notify_in_app: Mapped[bool] = mapped_column(default=True)
    notify_email: Mapped[bool] = mapped_column(default=True)
    # Email says only "you have a reminder" unless the person chose details.
    email_details: Mapped[bool] = mapped_column(default=False)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    alert_notifications: Mapped[bool] = mapped_column(default=True)
    daily_digest: Mapped[bool] = mapped_column(default=False)
    # A clinician's private schedule feed: only a hash of its secret is kept.
    schedule_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    patient: Mapped[Patient | None] = relationship(
        back_populates="user", foreign_keys="Patient.user_id"
    )
    api_tokens: WriteOnlyMapped[ApiToken] = relationship(back_populates="user")

    @validates("email")
    def _normalise_email(self, key: str, value: str) -> str:
        """Emails compare case-insensitively."""
        return normalise_email(value)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Flask-Login refuses inactive accounts."""
        return self.active

    @property
    def is_staff(self) -> bool:
        """Coordinators, clinicians and admins."""
        return self.role in STAFF_ROLES

    # The server-side session this request runs in ("<id>.<secret>"), set at login
    # and by the user loader; not a column.
    session_key = ""

    def get_id(self) -> str:
        """Session identity: the id, the current login token and the session.

        A rotated login token ends every session at once; an ended LoginSession
        ends just that one, its remember cookie included (the cookie holds this).
        """
        return f"{self.id}:{self.login_token}:{self.session_key}"


def normalise_email(value: str) -> str:
    """The canonical form of an email address: trimmed and lower-cased."""
    return value.strip().lower()


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(LABEL_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    scopes: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(back_populates="api_tokens")


class LoginSession(db.Model):
    """One browser's login, kept on the server so that logging out ends it.

    The session and remember cookies name it by id and a secret whose SHA-256
    alone is stored; a replayed cookie of an ended session is refused.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
