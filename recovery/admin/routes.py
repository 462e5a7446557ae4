"""Admin pages: list accounts, create staff, deactivate and reactivate."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from recovery.admin.forms import AccountActionForm, AuditFilterForm, StaffForm
from recovery.admin.services import create_staff, set_active, users_page
from recovery.audit.services import (
    AuditFilter,
    audit_csv_lines,
    audit_query,
    record,
    record_patients,
)
from recovery.auth.models import User
from recovery.auth.services import AccountError, send_link
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.roles import roles_required
from recovery.validation import query_int

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required("admin")
def users() -> str:
    """Every account, with actions."""
    page = users_page(query_int("page", 1))
    # The list holds patients' names and emails: a read of each one's data.
    record("list_users", target="admin", details={"page": page.page})
    patient_ids = db.session.scalars(
        select(Patient.id).where(Patient.user_id.in_([u.id for u in page.items]))
    ).all()
    record_patients("list_account", patient_ids, target="admin")
    html = render_template(
        "admin/users.html", page=page, action_form=AccountActionForm()
    )
    db.session.commit()
    return html


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_staff() -> Response | str:
    """Create a member of staff and email them an invitation."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user = create_staff(
                form.name.data or "",
                form.email.data or "",
                form.role.data or "",
                (form.timezone.data or "UTC").strip(),
            )
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            user.care_team_phone = (form.care_team_phone.data or "").strip()
            record("create_user", target=f"user:{user.id}", details={"role": user.role})
            db.session.commit()
            send_link(user, "invitation")
            flash(
                _("%(name)s was created and invited by email.", name=user.name),
                "success",
            )
            return redirect(url_for("admin.users"))
    return render_template("admin/new_staff.html", form=form)


@bp.route(
    "/users/<int:user_id>/<any(deactivate, activate, invite):action>", methods=["POST"]
)
@roles_required("admin")
def account_action(user_id: int, action: str) -> Response:
    """Deactivate, reactivate or re-invite one account."""
    form = AccountActionForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    if action == "deactivate" and user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    if action == "deactivate" and request.form.get("confirm") != "yes":
        # A slip on the list must not lock someone out: ask on a page of its own.
        return redirect(url_for("admin.confirm_deactivate", user_id=user.id))
    if action == "invite":
        send_link(user, "invitation")
        flash(_("A new invitation was emailed to %(name)s.", name=user.name), "success")
    else:
        set_active(user, action == "activate", utcnow())
        flash(
            _("%(name)s is now active.", name=user.name)
            if user.active
            else _("%(name)s is now deactivated.", name=user.name),
            "success",
        )
    record(f"{action}_user", target=f"user:{user.id}")
    db.session.commit()
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate")
@roles_required("admin")
def confirm_deactivate(user_id: int) -> Response | str:
    """Ask before deactivating: whom, and what it does."""
    user = db.get_or_404(User, user_id)
    if not user.active or user.id == current_user.id:
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/confirm_deactivate.html",
        user=user,
        action_form=AccountActionForm(),
        title=_("Deactivate %(name)s?", name=user.name),
    )


def _audit_filter() -> tuple[AuditFilterForm, AuditFilter | None]:
    form = AuditFilterForm(request.args)
    if not form.validate():
        return form, None
    return form, AuditFilter(
        actor=form.actor.data or None,
        action=form.action.data or None,
        patient_id=form.patient_id.data,
        since=form.since.data,
        until=form.until.data,
    )


@bp.route("/audit")
@roles_required("admin")
def audit_log() -> tuple[str, int]:
    """Every read and change of patient data: who, what, whose, when, from where."""
    form, where = _audit_filter()
    page = None
    if where is not None:
        page = db.paginate(
            audit_query(where),
            page=query_int("page", 1),
            per_page=50,
            error_out=False,
            count=True,
        )
        record("view_audit_log", target="admin", details={"filters": where.params()})
    html = render_template(
        "admin/audit.html",
        form=form,
        page=page,
        params=where.params() if where else {},
        title=_("Audit log"),
    )
    db.session.commit()
    return html, 200 if where is not None else 400


@bp.route("/audit.csv")
@roles_required("admin")
def audit_csv() -> Response:
    """The filtered audit log as CSV, streamed."""
    _form, where = _audit_filter()
    if where is None:
        flash(_("Fix the filters before exporting."), "error")
        return redirect(url_for("admin.audit_log"))
    record("export_audit_log", target="admin", details={"filters": where.params()})
    db.session.commit()
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(audit_csv_lines(where)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
