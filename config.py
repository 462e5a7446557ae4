"""Configuration classes: the environment decides; TestingConfig is its own class."""

import os
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - refused in production


def _bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(value: str) -> str:
    """Use psycopg 3 for plain postgres:// URLs, as hosting providers hand them out."""
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def demo_holidays(today: date) -> str:
    """The demo clinic's closures around `today`: New Year's Day, Independence Day,
    Thanksgiving and the day after, Christmas Eve and Day, New Year's Eve."""
    days = []
    for year in range(today.year - 1, today.year + 3):
        november = date(year, 11, 1)
        thanksgiving = november + timedelta(days=(3 - november.weekday()) % 7 + 21)
        days += [
            date(year, 1, 1),
            date(year, 7, 4),
            thanksgiving,
            thanksgiving + timedelta(days=1),
            date(year, 12, 24),
            date(year, 12, 25),
            date(year, 12, 31),
        ]
    return ",".join(d.isoformat() for d in sorted(days))


class Config:
    """Settings shared by every environment, read from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'recovery.db'}")
    )
    DATABASE_URL_SET = bool(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}

    # Forms may carry long notes; anything bigger is refused with a 413 page.
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # Proxies in front of the app (nginx, a load balancer) whose X-Forwarded-* headers
    # are trusted: without this, HTTPS redirects loop and rate limits see one address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    FORCE_HTTPS = False

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Login protection: a per-address rate limit and a per-account lock.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    # The API, per token (or per logged-in browser, or per address without either).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))

    # Every member of staff must turn on two-factor sign-in (an authenticator app)
    # before using the app or getting an API token; patients may turn it on.
    REQUIRE_STAFF_TWO_FACTOR = _bool("REQUIRE_STAFF_TWO_FACTOR", False)
    # How long the code page waits after a correct password.
    TWO_FACTOR_PENDING_SECONDS = 300

    INVITATION_MAX_AGE = timedelta(days=7)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    API_TOKEN_TTL = timedelta(days=int(os.environ.get("API_TOKEN_TTL_DAYS", "30")))

    # Flask-Mailman. Development prints mail to the console so nothing is silently lost.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_FROM", "Recovery <recovery@localhost>")
    # Absolute links in emails (invitations, resets) when no request is around.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # Languages people may choose (issue 20); the first is the default. Every
    # protocol text must have a translation for each, checked at start-up.
    LANGUAGES = tuple(
        code.strip()
        for code in os.environ.get("LANGUAGES", "en,es").split(",")
        if code.strip()
    )
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "recovery" / "translations")

    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", True)
    # Reminders exist as rows this many days ahead; a nightly job extends them.
    REMINDER_HORIZON_DAYS = int(os.environ.get("REMINDER_HORIZON_DAYS", "14"))
    # A dispatcher that dies mid-batch holds its claimed rows this long; then
    # another takes them (at most the one it was sending goes out twice).
    REMINDER_LEASE_SECONDS = int(os.environ.get("REMINDER_LEASE_SECONDS", "300"))

    # Care protocols (TOML); a bad file stops start-up with the file, item and reason.
    PROTOCOL_DIR = os.environ.get(
        "PROTOCOL_DIR", str(BASE_DIR / "recovery" / "domain" / "protocols")
    )
    # The ODI's texts: the shipped file has neutral wording; a licensed clinic
    # points this at its own (recovery/domain/questionnaires/odi.toml shows how).
    ODI_FILE = os.environ.get(
        "ODI_FILE",
        str(BASE_DIR / "recovery" / "domain" / "questionnaires" / "odi.toml"),
    )
    # Dashboard phases (shared/clinical.md): without radiation, early recovery to
    # this day; surveillance from this day. Checked at start-up.
    PHASE_EARLY_RECOVERY_UNTIL = os.environ.get("PHASE_EARLY_RECOVERY_UNTIL", "42")
    PHASE_SURVEILLANCE_FROM = os.environ.get("PHASE_SURVEILLANCE_FROM", "90")
    # Days the clinic gives no radiation, e.g. "2026-12-25,2027-01-01".
    CLINIC_HOLIDAYS = os.environ.get("CLINIC_HOLIDAYS", "")
    # Red-flag thresholds and the urgent signs patients are told of (TOML); a bad
    # file stops start-up with the file, the key and the reason.
    RED_FLAGS_FILE = os.environ.get(
        "RED_FLAGS_FILE",
        str(BASE_DIR / "recovery" / "domain" / "rules" / "red_flags.toml"),
    )
    # Whom a patient with a red flag calls: their care team's number (a staff
    # account's care_team_phone), else this clinic-wide number; then emergencies.
    CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "")
    EMERGENCY_NUMBER = os.environ.get("EMERGENCY_NUMBER", "911")
    # Kinds of timeline item a patient marks done themselves; the rest (clinic
    # visits, radiation sessions, imaging) the care team records. A questionnaire
    # is done by answering it, never by a button.
    PATIENT_DONE_KINDS = os.environ.get(
        "PATIENT_DONE_KINDS",
        "wound_check,pain_review,therapy",
    )
    # Wound photos attached to messages: where they are kept (outside the web
    # root, never served as static files) and how large one may be.
    MESSAGE_UPLOAD_DIR = os.environ.get(
        "MESSAGE_UPLOAD_DIR", str(INSTANCE_DIR / "uploads" / "messages")
    )
    MESSAGE_PHOTO_MAX_BYTES = int(
        os.environ.get("MESSAGE_PHOTO_MAX_BYTES", str(10 * 1024 * 1024))
    )
    # The clinic's own calendar, for checks such as "surgery at most a year ahead".
    CLINIC_TIMEZONE = os.environ.get("CLINIC_TIMEZONE", "UTC")
    # How long a patient can take back their own "Done" (a slip of the finger).
    DONE_UNDO_MINUTES = int(os.environ.get("DONE_UNDO_MINUTES", "5"))

    @staticmethod
    def check(config: Mapping[str, Any]) -> None:
        """Refuse settings that are unsafe for this environment."""


class DevelopmentConfig(Config):
    """Local development: SQLite under instance/, mail on the console."""

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    # The demo clinic (make run) closes on the usual holidays; radiation sessions
    # that fall on one move to the next working day.
    CLINIC_HOLIDAYS = os.environ.get("CLINIC_HOLIDAYS", demo_holidays(date.today()))


class TestingConfig(Config):
    """The test suite: its own database, no scheduler, mail kept in memory."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("TEST_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'test.db'}")
    )
    MAIL_BACKEND = "locmem"
    SCHEDULER_ENABLED = False
    PUBLIC_URL = "http://localhost"
    MESSAGE_UPLOAD_DIR = str(INSTANCE_DIR / "test-uploads")
    CLINIC_PHONE = "+1 312 555 0100"


class ProductionConfig(Config):
    """Production: PostgreSQL from DATABASE_URL, a real SECRET_KEY, secure cookies."""

    # Only for plain-HTTP setups on loopback (the load test): 0 lets cookies
    # travel without TLS. Behind HTTPS, leave both on.
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    FORCE_HTTPS = _bool("FORCE_HTTPS", True)

    @staticmethod
    def check(config: Mapping[str, Any]) -> None:
        """Fail fast on a missing or default secret key or a missing database URL."""
        key = config.get("SECRET_KEY") or ""
        if key == DEFAULT_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production: python -c "
                "'import secrets; print(secrets.token_hex(32))'"
            )
        if not config.get("DATABASE_URL_SET"):
            raise RuntimeError("DATABASE_URL must be set in production.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
