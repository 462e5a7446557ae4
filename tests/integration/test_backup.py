"""Backups: export to a JSON archive, import into an empty database, same data."""

from __future__ import annotations

import json

from sqlalchemy import select

from recovery.auth.models import User
from recovery.extensions import db
from recovery.notes.models import ClinicalNote
from recovery.patients.models import Patient
from tests.conftest import reset_schema


def tables_of(path) -> dict:
    with open(path, encoding="utf-8") as archive:
        return json.load(archive)


def test_export_then_import_into_an_empty_database_gives_the_same_data(
    app, runner, tmp_path
):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        patient = db.session.scalars(select(Patient)).first()
        author = db.session.scalars(
            select(User).where(User.role == "clinician")
        ).first()
        note = ClinicalNote(
            patient_id=patient.id, author_id=author.id, body="Ünïcode ✓"
        )
        db.session.add(note)
        db.session.flush()
        db.session.add(
            ClinicalNote(
                patient_id=patient.id,
                author_id=author.id,
                body="fix",
                corrects_id=note.id,
            )
        )
        db.session.commit()
        patient_id, author_id = patient.id, author.id
    first = tmp_path / "first.json"
    result = runner.invoke(args=["export", str(first)])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output
    before = tables_of(first)
    assert len(before["tables"]["patients"]) >= 30
    assert len(before["tables"]["timeline_events"]) > 500

    reset_schema(app)  # a new, empty database at the same revision
    result = runner.invoke(args=["import", str(first)])
    assert result.exit_code == 0, result.output
    second = tmp_path / "second.json"
    assert runner.invoke(args=["export", str(second)]).exit_code == 0
    after = tables_of(second)
    assert after["revision"] == before["revision"]
    assert after["tables"] == before["tables"]  # every row, every value, same ids

    # The database goes on working: new rows get fresh ids (PostgreSQL sequences).
    with app.app_context():
        highest = max(row["id"] for row in before["tables"]["clinical_notes"])
        extra = ClinicalNote(patient_id=patient_id, author_id=author_id, body="new")
        db.session.add(extra)
        db.session.commit()
        assert extra.id > highest


def test_import_refuses_a_database_that_holds_data(app, runner, tmp_path, make_user):
    make_user("admin")
    archive = tmp_path / "backup.json"
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    result = runner.invoke(args=["import", str(archive)])
    assert result.exit_code != 0
    assert "The database is not empty (table users has rows)" in result.output
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1


def test_import_refuses_another_schema_revision_and_broken_files(app, runner, tmp_path):
    archive = tmp_path / "backup.json"
    assert runner.invoke(args=["export", str(archive)]).exit_code == 0
    data = tables_of(archive)
    data["revision"] = "0000000000"
    archive.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["import", str(archive)])
    assert (
        result.exit_code != 0 and "migrate to the same revision first" in result.output
    )
    archive.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["import", str(archive)])
    assert result.exit_code != 0 and "Not a JSON archive" in result.output
