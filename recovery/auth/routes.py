"""Login, logout, invitations and password resets."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from recovery.audit.services import record
from recovery.auth.forms import (
    ApiTokenForm,
    LoginForm,
    LogoutForm,
    ResetRequestForm,
    SetPasswordForm,
)
from recovery.auth.models import ApiToken, User
from recovery.auth.services import (
    AccountError,
    authenticate,
    find_user_by_email,
    issue_api_token,
    read_link_token,
    revoke_api_token,
    send_link,
    set_password,
)
from recovery.db import utcnow
from recovery.extensions import db, limiter
from recovery.roles import roles_required

bp = Blueprint("auth", __name__)

LANDING = {
    "patient": "patients.home",
    "caregiver": "patients.home",
    "coordinator": "cohorts.dashboard",
    "clinician": "clinician.schedule",
    "admin": "admin.users",
}

LOGIN_ERRORS = {
    "invalid": "That email and password do not match an account.",
    "locked": "Too many failed attempts: this account is locked for a few minutes. "
    "Try again later or reset your password.",
    "inactive": "This account is deactivated. Contact your clinic.",
}


def landing_url() -> str:
    """The page each role starts on."""
    return url_for(LANDING[current_user.role])


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a redirect target (no host, no scheme)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target:
        return None
    if target.startswith("//"):
        return None
    return target


@bp.app_context_processor
def inject_logout_form() -> dict[str, object]:
    """Every page's header has a logout button that needs a CSRF token."""
    # formdata=None: rendering must not read the request body (it may be the
    # oversized body a 413 page is answering). Emails render without a request.
    if not has_request_context():
        return {}
    return {"logout_form": LogoutForm(formdata=None)}


@bp.route("/")
def index() -> Response:
    """Send people to their role's page, or to log in."""
    if current_user.is_authenticated:
        return redirect(landing_url())
    return redirect(url_for("auth.login"))


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str:
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(landing_url())
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config
        attempt = authenticate(
            form.email.data or "",
            form.password.data or "",
            utcnow(),
            config["LOGIN_MAX_FAILURES"],
            timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
        )
        if attempt.user is None:
            db.session.commit()  # keep the failure count
            form.password.errors.append(LOGIN_ERRORS[attempt.error or "invalid"])
            return render_template("auth/login.html", form=form), 200
        login_user(attempt.user, remember=bool(form.remember.data))
        record("login", actor=attempt.user)
        db.session.commit()
        return redirect(safe_next(request.args.get("next")) or landing_url())
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (POST with a CSRF token, so no page can log you out)."""
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | str:
    """Set a first password from an invitation link."""
    return _set_password_from_link(token, "invitation")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str:
    """Choose a new password from a reset link."""
    return _set_password_from_link(token, "password-reset")


def _set_password_from_link(token: str, purpose: str) -> Response | str:
    config = current_app.config
    max_age = (
        config["INVITATION_MAX_AGE"]
        if purpose == "invitation"
        else config["PASSWORD_RESET_MAX_AGE"]
    )
    try:
        user = read_link_token(config["SECRET_KEY"], purpose, token, max_age)
    except AccountError as error:
        return render_template("auth/link_invalid.html", message=str(error)), 400
    form = SetPasswordForm(email=user.email)
    if form.validate_on_submit():
        set_password(user, form.password.data or "", utcnow())
        record("password_set", actor=user, target=purpose)
        db.session.commit()
        logout_user()
        login_user(user)
        flash("Your password is set.", "success")
        return redirect(landing_url())
    return render_template("auth/set_password.html", form=form, purpose=purpose)


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def request_password_reset() -> Response | str:
    """Email a reset link; the answer is the same whether the account exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data or "")
        if user is not None and user.active:
            send_link(user, "password-reset")
        flash(
            "If an account uses that address, we have emailed it a link to reset "
            "the password. The link works once, for a short time.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/account")
@login_required
def account() -> str:
    """The signed-in user's own account summary."""
    return render_template("auth/account.html")


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles_required("coordinator", "clinician", "admin")
def api_tokens() -> Response | tuple[str, int]:
    """Staff's personal API tokens: create (shown once), list, revoke."""
    form = ApiTokenForm()
    user = db.session.get(User, current_user.id)
    if form.validate_on_submit():
        raw, token = issue_api_token(
            user, utcnow(), timedelta(days=form.days.data or 30), form.label.data or ""
        )
        record("issue_api_token", target=f"token:{token.id}")
        db.session.commit()
        # Shown on the next page only; never stored.
        session["new_api_token"] = raw
        flash("Token created. Copy it now: it will not be shown again.", "success")
        return redirect(url_for("auth.api_tokens"))
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "auth/tokens.html",
        form=form,
        tokens=tokens,
        new_token=session.pop("new_api_token", None),
        now=utcnow(),
        revoke_form=LogoutForm(),
        title="API tokens",
    ), (400 if form.errors else 200)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required("coordinator", "clinician", "admin")
def revoke_token(token_id: int) -> Response:
    """Revoke one of your own tokens at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if LogoutForm().validate_on_submit() and token.revoked_at is None:
        revoke_api_token(token, utcnow())
        record("revoke_api_token", target=f"token:{token.id}")
        db.session.commit()
        flash(f"Token “{token.label}” revoked.", "success")
    return redirect(url_for("auth.api_tokens"))
