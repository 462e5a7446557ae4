"""Notes on a patient's record: add, correct, and (author, first 24 h) edit."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from recovery.auth.models import CARE_TEAM_ROLES
from recovery.extensions import db
from recovery.notes.forms import NoteForm
from recovery.notes.models import ClinicalNote
from recovery.notes.services import NoteError, add_note, edit_note
from recovery.orm import utcnow
from recovery.patients.access import get_patient_for
from recovery.patients.models import Patient
from recovery.roles import roles_required

bp = Blueprint("notes", __name__, url_prefix="/patients")


def _note_or_404(patient: Patient, note_id: int) -> ClinicalNote:
    note = db.session.get(ClinicalNote, note_id)
    if note is None or note.patient_id != patient.id:
        abort(404)
    return note


def _back(patient: Patient) -> Response:
    return redirect(url_for("patients.detail", patient_id=patient.id) + "#notes")


@bp.route("/<int:patient_id>/notes", methods=["POST"])
@roles_required(*CARE_TEAM_ROLES)
def add(patient_id: int) -> Response:
    """A new note on the record."""
    patient = get_patient_for(current_user, patient_id, "view_notes")
    form = NoteForm()
    if form.validate_on_submit():
        add_note(patient, current_user, form.body.data or "", utcnow())
        flash(_("Note added."), "success")
    else:
        flash(
            " ".join(map(str, form.body.errors)) or _("The form expired; try again."),
            "error",
        )
    db.session.commit()
    return _back(patient)


@bp.route("/<int:patient_id>/notes/<int:note_id>/correct", methods=["POST"])
@roles_required(*CARE_TEAM_ROLES)
def correct(patient_id: int, note_id: int) -> Response:
    """Append a correction to a note (the original stays as written)."""
    patient = get_patient_for(current_user, patient_id, "view_notes")
    note = _note_or_404(patient, note_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            add_note(patient, current_user, form.body.data or "", utcnow(), note)
        except NoteError as error:
            flash(str(error), "error")
        else:
            flash(_("Correction added."), "success")
    else:
        flash(
            " ".join(map(str, form.body.errors)) or _("The form expired; try again."),
            "error",
        )
    db.session.commit()
    return _back(patient)


@bp.route("/<int:patient_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
@roles_required(*CARE_TEAM_ROLES)
def edit(patient_id: int, note_id: int) -> Response | tuple[str, int]:
    """The author fixes their note within 24 hours; the change is audited."""
    patient = get_patient_for(current_user, patient_id, "view_notes")
    note = _note_or_404(patient, note_id)
    form = NoteForm(obj=note)
    status = 200
    if form.validate_on_submit():
        try:
            edit_note(note, current_user, form.body.data or "", utcnow())
        except NoteError as error:
            form.body.errors = [str(error)]
            status = 409
        else:
            db.session.commit()
            flash(
                _("Note changed; the earlier text is kept in the audit log."), "success"
            )
            return _back(patient)
    elif form.errors:
        status = 400
    page = render_template(
        "notes/edit.html", patient=patient, note=note, form=form, title=_("Edit note")
    )
    db.session.commit()
    return page, status
