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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from recovery.audit.services import record
from recovery.auth import twofactor
from recovery.auth.forms import (
    ApiTokenForm,
    CodeForm,
    LoginForm,
    LogoutForm,
    ResetRequestForm,
    SetPasswordForm,
)
from recovery.auth.login import login_limit
from recovery.auth.models import ApiToken, User
from recovery.auth.services import (
    AccountError,
    _fingerprint,
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
from recovery.extensions import db, failure_counter, limiter
from recovery.orm import utcnow

bp = Blueprint("auth", __name__)

LANDING = {
    "patient": "patients.home",
    "caregiver": "patients.home",
    "coordinator": "cohorts.dashboard",
    "clinician": "clinician.schedule",
    "admin": "admin.users",
}

# Unknown, wrong and locked share one answer: it tells nobody which it was.
LOGIN_ERRORS = {
    "invalid": _l(
        "That email and password do not match an account. After several "
        "failed attempts from this device, logging in with that email waits a few "
        "minutes; resetting your password by email works at once."
    ),
    "inactive": _l("This account is deactivated. Contact your clinic."),
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
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
        target = safe_next(request.args.get("next"))
        remember = bool(form.remember.data)
        if attempt.user.totp_enabled_at is not None:
            # The password was right; the session starts only after the code.
            session["two_factor"] = {
                "uid": attempt.user.id,
                "fp": _fingerprint(attempt.user),
                "at": utcnow().timestamp(),
                "remember": remember,
                "next": target,
            }
            db.session.commit()
            return redirect(url_for("auth.login_code"))
        return finish_login(attempt.user, remember, target)
    return render_template("auth/login.html", form=form)


def finish_login(
    user: User, remember: bool, target: str | None, how: str = "password"
) -> Response:
    """Start a server-side session for this browser and go where it was going."""
    start_session(user, utcnow())
    login_user(user, remember=remember)
    record("login", actor=user, details={"second_factor": how})
    db.session.commit()
    return redirect(target or landing_url())


CODE_WRONG = _l(
    "That code is not right. Enter the 6 digits your app shows now, or one of "
    "your recovery codes."
)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login_code() -> Response | tuple[str, int]:
    """The second step of a login with two-factor sign-in turned on."""
    pending = session.get("two_factor") or {}
    user = db.session.get(User, pending["uid"]) if pending.get("uid") else None
    age = utcnow().timestamp() - float(pending.get("at", 0))
    if (
        user is None
        or not user.active
        or user.totp_enabled_at is None
        or pending.get("fp") != _fingerprint(user)
        or age > current_app.config["TWO_FACTOR_PENDING_SECONDS"]
    ):
        session.pop("two_factor", None)
        flash(_("Log in again to continue."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        how = check_second_factor(user, form.code.data or "")
        if how is not None:
            session.pop("two_factor", None)
            return finish_login(
                user, bool(pending.get("remember")), pending.get("next"), how
            )
        db.session.commit()
        form.code.errors = [*form.code.errors, CODE_WRONG]
    return render_template("auth/login_code.html", form=form), (
        400 if form.errors else 200
    )


def check_second_factor(user: User, code: str) -> str | None:
    """'app' or 'recovery' if the code is right; wrong codes lock this client out
    like wrong passwords do (so six digits cannot be guessed)."""
    from limits import RateLimitItemPerSecond

    config = current_app.config
    window = RateLimitItemPerSecond(
        config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"] * 60
    )
    key = f"{user.id}|{request.remote_addr}|{_fingerprint(user)}"
    if not failure_counter().test(window, "code-failures", key):
        return None
    how = twofactor.check(user, code, utcnow())
    if how is None:
        failure_counter().hit(window, "code-failures", key)
        record("second_factor_refused", actor=user)
    elif how == "recovery":
        record("recovery_code_used", actor=user)
    return how


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
        flash(_("You are logged out."), "info")
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
    flash(_("You are logged out on every device; your API tokens are revoked."), "info")
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
        flash(_("Your password is set."), "success")
        return redirect(landing_url())
    return render_template("auth/set_password.html", form=form, purpose=purpose)


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def request_password_reset() -> Response | str:
    """Email a reset link; the answer is the same whether the account exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data or "")
        if user is not None and user.active:
            send_link(user, "password-reset")
        flash(
            _(
                "If an account uses that address, we have emailed it a link to "
                "reset the password. The link works once, for a short time."
            ),
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
        flash(_("Token created. Copy it now: it will not be shown again."), "success")
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
        title=_("API tokens"),
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
        flash(_("Token “%(label)s” revoked.", label=token.label), "success")
    return redirect(url_for("auth.api_tokens"))


# -- Two-factor sign-in -----------------------------------------------------------

# What a member of staff may still reach when the clinic requires two-factor
# sign-in and they have not turned it on yet.
SETUP_ENDPOINTS = frozenset(
    {"auth.two_factor", "auth.logout", "auth.logout_everywhere", "static"}
)


@bp.before_app_request
def require_two_factor() -> Response | tuple[dict, int] | None:
    """REQUIRE_STAFF_TWO_FACTOR: staff set it up before anything else."""
    if not current_app.config["REQUIRE_STAFF_TWO_FACTOR"]:
        return None
    if request.endpoint in SETUP_ENDPOINTS or not current_user.is_authenticated:
        return None
    if not current_user.is_staff or current_user.totp_enabled_at is not None:
        return None
    message = "Your clinic requires two-factor sign-in: turn it on to continue."
    if request.path.startswith("/api/"):
        from recovery.errors import error_body

        return error_body(403, message), 403
    flash(message, "info")
    return redirect(url_for("auth.two_factor"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor() -> Response | tuple[str, int]:
    """Turn two-factor sign-in on (scan or type the key, confirm a code), get new
    recovery codes, or turn it off."""
    user = db.session.get(User, current_user.id)
    form = CodeForm()
    action = request.form.get("action", "")
    required = current_app.config["REQUIRE_STAFF_TWO_FACTOR"] and user.is_staff
    codes: list[str] = []
    if user.totp_enabled_at is None:
        secret = session.get("totp_setup") or twofactor.new_secret()
        session["totp_setup"] = secret
        if form.validate_on_submit() and action == "enable":
            code = form.code.data or ""
            step = twofactor.code_step(secret, code, utcnow(), None)
            if step is None:
                form.code.errors = [*form.code.errors, CODE_WRONG]
            else:
                codes = twofactor.enable(user, secret, utcnow())
                user.totp_last_step = step
                session.pop("totp_setup", None)
                record("enable_two_factor", actor=user)
                db.session.commit()
                flash(_("Two-factor sign-in is on."), "success")
    elif form.validate_on_submit() and action in ("disable", "new_codes"):
        if action == "disable" and required:
            flash(_("Your clinic requires two-factor sign-in for staff."), "error")
        elif twofactor.check(user, form.code.data or "", utcnow()) is None:
            db.session.commit()  # a used recovery code stays used
            form.code.errors = [*form.code.errors, CODE_WRONG]
        elif action == "disable":
            twofactor.disable(user)
            record("disable_two_factor", actor=user)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("auth.two_factor"))
        else:
            codes = twofactor.new_recovery_codes(user)
            record("new_recovery_codes", actor=user)
            db.session.commit()
    secret = session.get("totp_setup")
    if codes:
        form = CodeForm(formdata=None)  # the used code is not typed back
    return render_template(
        "auth/two_factor.html",
        form=form,
        user=user,
        codes=codes,
        required=required,
        key=twofactor.grouped(secret) if secret and not codes else None,
        uri=twofactor.provisioning_uri(secret, user.email) if secret else None,
        codes_left=twofactor.codes_left(user) if user.totp_enabled_at else 0,
        title=_("Two-factor sign-in"),
    ), (400 if form.errors else 200)
