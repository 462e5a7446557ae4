"""Notification preferences and the in-app inbox."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.reminders.dispatch import load_messages
from recovery.reminders.forms import PreferencesForm
from recovery.reminders.services import (
    PREFERENCE_FIELDS,
    inbox,
    mark_read,
    unread_count,
    update_preferences,
)
from recovery.zones import timezone_names

bp = Blueprint("reminders", __name__, url_prefix="/reminders")
bp.add_app_template_global(timezone_names, "timezone_names")


@bp.app_context_processor
def inject_unread() -> dict[str, object]:
    """The unread count shown in the header of every page."""
    # Not on the page that says the database is down (it would ask it again).
    if (
        has_request_context()
        and not g.get("database_down")
        and current_user.is_authenticated
    ):
        # A view that asked already (the patient's home page) left it on g.
        counted = g.get("unread_messages")
        return {
            "unread_messages": unread_count(current_user)
            if counted is None
            else counted
        }
    return {"unread_messages": 0}


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Response | str:
    """How and when to be reached."""
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        # Switching the last channel off means no reminder reaches them: ask first.
        if (
            (current_user.notify_in_app or current_user.notify_email)
            and not form.notify_in_app.data
            and not form.notify_email.data
            and not request.form.get("confirm_all_off")
        ):
            return render_template(
                "reminders/preferences.html", form=form, all_off_warning=True
            )
        values = {name: getattr(form, name).data for name in PREFERENCE_FIELDS}
        values["timezone"] = (form.timezone.data or "UTC").strip()
        update_preferences(current_user, values, utcnow())
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("reminders.preferences"))
    return render_template("reminders/preferences.html", form=form)


@bp.route("/inbox")
@login_required
def messages() -> str:
    """In-app messages, newest first; opening the inbox marks them read."""
    rows = inbox(current_user)
    # What this page shows is marked read: an explicit step of this GET, not a
    # side effect of inbox(), which only reads.
    mark_read(rows, utcnow())
    texts = {m.reminder_id: m for m in load_messages([row.id for row in rows])}
    page = render_template("reminders/inbox.html", rows=rows, texts=texts)
    db.session.commit()
    return page
