"""POST /auth/tokens and DELETE /auth/tokens/current."""

from __future__ import annotations

from datetime import timedelta

from apiflask import abort
from flask import current_app, g, request

from recovery.api import auth, bp
from recovery.api.schemas import TokenOut, TokenRequest
from recovery.audit.services import record
from recovery.auth.login import login_limit
from recovery.auth.routes import LOGIN_ERRORS, check_second_factor
from recovery.auth.services import authenticate, issue_api_token, revoke_api_token
from recovery.extensions import db, limiter
from recovery.orm import utcnow


@bp.post("/auth/tokens")
@limiter.limit(login_limit)
@bp.input(TokenRequest, arg_name="body")
@bp.output(TokenOut, status_code=201)
@bp.doc(responses=[400, 401, 422, 429])
def create_token(body: dict) -> dict:
    """Exchange email and password for a bearer token."""
    config = current_app.config
    now = utcnow()
    attempt = authenticate(
        body["email"],
        body["password"],
        now,
        config["LOGIN_MAX_FAILURES"],
        timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
        client=request.remote_addr or "",
    )
    if attempt.user is None:
        abort(401, str(LOGIN_ERRORS[attempt.error or "invalid"]))
    user = attempt.user
    if user.totp_enabled_at is not None:
        if check_second_factor(user, body["code"]) is None:
            db.session.commit()  # the refusal's audit row, a used recovery code
            abort(
                401,
                "Two-factor sign-in is on: send the 6-digit code of your "
                "authenticator app (or a recovery code) as code.",
                detail={"json": {"code": ["Missing or wrong code."]}},
            )
    elif config["REQUIRE_STAFF_TWO_FACTOR"] and user.is_staff:
        abort(
            403,
            "Your clinic requires two-factor sign-in: turn it on under Your "
            "account, then send its code with your password.",
        )
    raw, token = issue_api_token(
        attempt.user, now, config["API_TOKEN_TTL"], body.get("label", "")
    )
    record("issue_token", actor=attempt.user, target=f"token:{token.id}")
    db.session.commit()
    return {"token": raw, "expires_at": token.expires_at}


@bp.delete("/auth/tokens/current")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(responses=[400, 401])
def revoke_current_token() -> tuple[str, int]:
    """Revoke the bearer token this request was made with."""
    token = g.get("api_token")
    if token is None:
        abort(400, "This request was not made with a bearer token.")
    revoke_api_token(token, utcnow())
    record("revoke_token", target=f"token:{token.id}")
    db.session.commit()
    return "", 204
