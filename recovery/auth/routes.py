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
    end_all_sessions,
    end_session,
    find_user_by_email,
    issue_api_token,
    read_link_token,
    revoke_api_token,
    send_link,
    set_password,
    start_session,
)
from recovery.db import utcnow
from recovery.extensions import db, limiter

bp = Blueprint("auth", __name__)

LANDING = {
    "patient": "patients.home",
    "coordinator": "cohorts.dashboard",
    "clinician": "clinician.schedule",
    "admin": "admin.users",
}

# Unknown, wrong and locked share one answer: it tells nobody which it was.
LOGIN_ERRORS = {
    "invalid": "That email and password do not match an account. After several "
    "failed attempts from this device, logging in with that email waits a few "
    "minutes; resetting your password by email works at once.",
    "inactive": "This account is deactivated. Contact your clinic.",
}


def landing_url() -> str:
    """The page each role starts on."""
    return url_for(LANDING[current_user.role])


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a redirect target (no host, no scheme)."""
    # Control characters (CR, LF, tab) would split or bend the Location header.
    if not target or any(ord(c) < 32 or ord(c) == 127 for c in target):
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
            client=request.remote_addr or "",
        )
        if attempt.user is None:
            form.password.errors.append(LOGIN_ERRORS[attempt.error or "invalid"])
            return render_template("auth/login.html", form=form), 200
        return finish_login(attempt.user, bool(form.remember.data))
    return render_template("auth/login.html", form=form)


def finish_login(user: User, remember: bool) -> Response:
    """Start a server-side session for this browser and go where it was going."""
    start_session(user, utcnow())
    login_user(user, remember=remember)
    record("login", actor=user)
    db.session.commit()
    return redirect(safe_next(request.args.get("next")) or landing_url())


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (POST with a CSRF token, so no page can log you out).

    The session ends on the server too: its cookies, replayed, are refused.
    """
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        end_session(current_user, utcnow())
        record("logout")
        db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response:
    """End every session and API token of the account, this one included."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, current_user.id)
    end_all_sessions(user, utcnow())
    record("logout_everywhere", actor=user)
    db.session.commit()
    logout_user()
    flash("You are logged out on every device; your API tokens are revoked.", "info")
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
        # Ends every other session and API token of the account.
        set_password(user, form.password.data or "", utcnow())
        record("password_set", actor=user, target=purpose)
        logout_user()
        start_session(user, utcnow())
        login_user(user)
        db.session.commit()
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
@login_required
def api_tokens() -> Response | tuple[str, int]:
    """Personal API tokens: create (shown once), list, revoke.

    Patients too: POST /api/v1/auth/tokens gives them tokens (a phone app
    checking in), so they must be able to see and revoke them here.
    """
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
@login_required
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
