"""Caregiver pages: the patient's list and invitations, acceptance, switching."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from recovery.audit.services import record
from recovery.auth.forms import SetPasswordForm
from recovery.auth.services import describe_duration, set_password, start_session
from recovery.caregivers.forms import ButtonForm, InviteForm, RemindersForm
from recovery.caregivers.services import (
    CHOSEN,
    CaregiverError,
    accept_invitation,
    caregiver_link,
    caregivers_of,
    invite_caregiver,
    patients_cared_for,
    read_invitation,
    revoke_caregiver,
    send_invitation,
    set_reminders,
)
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.access import own_patient
from recovery.roles import roles_required

bp = Blueprint("caregivers", __name__, url_prefix="/caregivers")


@bp.app_template_global()
def caregivers_of_patient(patient):  # type: ignore[no-untyped-def]
    """For the staff view of a record: who helps this patient."""
    return caregivers_of(patient)


@bp.after_request
def no_store(response: Response) -> Response:
    """Who helps a patient is patient data: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/", methods=["GET", "POST"])
@roles_required("patient")
def mine() -> Response | tuple[str, int]:
    """The patient's caregivers: invite one, revoke one, choose their reminders."""
    patient = own_patient(current_user, "view_caregivers")
    form = InviteForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():  # undone alone: the audit row stays
                link = invite_caregiver(
                    patient, form.email.data or "", form.name.data or "", utcnow()
                )
        except CaregiverError as error:
            form.email.errors = [error.message]
        else:
            db.session.commit()
            send_invitation(link)
            flash(
                _("An invitation went to %(email)s.", email=link.user.email), "success"
            )
            return redirect(url_for("caregivers.mine"))
    links = caregivers_of(patient)
    html = render_template(
        "caregivers/mine.html",
        form=form,
        links=links,
        button=ButtonForm(),
        valid_for=describe_duration(current_app.config["INVITATION_MAX_AGE"]),
        title=_("My caregivers"),
    )
    db.session.commit()
    return html, (400 if form.errors else 200)


def _own_link(caregiver_id: int):  # type: ignore[no-untyped-def]
    patient = own_patient(current_user, "view_caregivers")
    link = caregiver_link(patient, caregiver_id)
    if link is None:
        abort(404)
    return link


@bp.route("/<int:caregiver_id>/revoke", methods=["POST"])
@roles_required("patient")
def revoke(caregiver_id: int) -> Response:
    """End a caregiver's access now."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    link = _own_link(caregiver_id)
    if link.status != "revoked":
        revoke_caregiver(link, utcnow())
        flash(
            _("%(name)s can no longer see your recovery.", name=link.user.name),
            "success",
        )
    db.session.commit()
    return redirect(url_for("caregivers.mine"))


@bp.route("/<int:caregiver_id>/reminders", methods=["POST"])
@roles_required("patient")
def reminders(caregiver_id: int) -> Response:
    """Send this caregiver the patient's reminders, or stop."""
    form = RemindersForm()
    if not form.validate_on_submit():
        abort(400)
    link = _own_link(caregiver_id)
    set_reminders(link, bool(form.receives_reminders.data), utcnow())
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("caregivers.mine"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept(token: str) -> Response | tuple[str, int] | str:
    """Accept an invitation; someone new to Recovery chooses a password too."""
    try:
        link = read_invitation(token, current_app.config["INVITATION_MAX_AGE"])
    except CaregiverError as error:
        return render_template("auth/link_invalid.html", message=error.message), 400
    user = link.user
    new_account = user.password_hash is None
    if not new_account and (
        not current_user.is_authenticated or current_user.id != user.id
    ):
        # An existing account proves itself by logging in, then comes back here.
        flash(_("Log in to accept the invitation."), "info")
        return redirect(url_for("auth.login", next=url_for(".accept", token=token)))
    form = SetPasswordForm(email=user.email) if new_account else ButtonForm()
    if form.validate_on_submit():
        now = utcnow()
        if new_account:
            set_password(user, form.password.data or "", now)
            record("password_set", actor=user, target="caregiver-invitation")
        accept_invitation(link, now)
        patient_id, patient_name = link.patient_id, link.patient.user.name
        if new_account:
            # The new password ended every session: this browser starts its own.
            logout_user()
            start_session(user, now)
            login_user(user)
        db.session.commit()
        session[CHOSEN] = patient_id
        flash(
            _(
                "You can now follow %(patient_name)s's recovery.",
                patient_name=patient_name,
            ),
            "success",
        )
        return redirect(url_for("patients.home"))
    return render_template(
        "caregivers/accept.html",
        form=form,
        new_account=new_account,
        patient_name=link.patient.user.name,
        title=_("Accept the invitation"),
    ), (400 if form.errors else 200)


@bp.route("/choose")
@roles_required("caregiver")
def choose() -> str:
    """The patients this caregiver helps; pick one."""
    links = patients_cared_for(current_user)
    for link in links:
        record("view_caregiving", patient_id=link.patient_id)
    page = render_template(
        "caregivers/choose.html",
        links=links,
        button=ButtonForm(),
        chosen=session.get(CHOSEN),
        title=_("Whom you help"),
    )
    db.session.commit()
    return page


@bp.route("/choose/<int:patient_id>", methods=["POST"])
@roles_required("caregiver")
def switch(patient_id: int) -> Response:
    """Help this patient now (only one the caregiver is active for)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    if patient_id not in {link.patient_id for link in patients_cared_for(current_user)}:
        abort(404)
    session[CHOSEN] = patient_id
    return redirect(url_for("patients.home"))
