"""Staff account use cases."""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from recovery.auth.models import STAFF_ROLES, User, normalise_email
from recovery.auth.services import AccountError, end_all_sessions, find_user_by_email
from recovery.extensions import db


def create_staff(name: str, email: str, role: str, timezone: str = "UTC") -> User:
    """Add a coordinator, clinician or admin with no password yet."""
    if role not in STAFF_ROLES:
        raise AccountError(f"Role must be one of {', '.join(STAFF_ROLES)}.")
    if find_user_by_email(email) is not None:
        raise AccountError("An account with that email address already exists.")
    user = User(
        name=name.strip(), email=normalise_email(email), role=role, timezone=timezone
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_active(user: User, active: bool, now: datetime) -> None:
    """Deactivate (ending every session and token at once) or reactivate."""
    user.active = active
    if not active:
        end_all_sessions(user, now)


def users_page(page: int, per_page: int = 50) -> Pagination:
    """All accounts, staff first, by name."""
    query = select(User).order_by(User.role != "admin", User.role, User.name)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200)
