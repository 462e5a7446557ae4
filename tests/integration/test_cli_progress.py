"""Long commands show progress on stderr and end with a summary on stdout."""

from __future__ import annotations

import time_machine

from tests.conftest import reset_schema

NOW = "2026-11-26 15:00 +0000"


def test_demo_seed_shows_progress_and_how_every_patient_logs_in(runner):
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "… 1 of 30 patients" in result.stderr
    assert "… 30 of 30 patients" in result.stderr
    assert "patient1@demo.example.org … patient30@demo.example.org" in result.stdout
    assert "password for all: recovery-demo" in result.stdout
    assert "…" not in result.stdout.replace("patient1@demo.example.org …", "")


def test_recompute_and_plan_show_progress_and_a_summary(runner):
    with time_machine.travel(NOW, tick=False):
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        recompute = runner.invoke(args=["timeline", "recompute", "--all"])
        plan = runner.invoke(args=["reminders", "plan"])
    assert recompute.exit_code == 0, recompute.output
    assert "… 30 of 30 patients" in recompute.stderr
    assert "Recomputed 30 timeline(s):" in recompute.stdout
    assert plan.exit_code == 0, plan.output
    assert "… 30 of 30 patients" in plan.stderr
    assert "Reminders planned for 30 patients:" in plan.stdout


def test_export_and_import_show_each_table_and_a_summary(app, runner, tmp_path):
    archive = tmp_path / "clinic.json"
    with time_machine.travel(NOW, tick=False):
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        export = runner.invoke(args=["export", str(archive)])
        reset_schema(app)
        restore = runner.invoke(args=["import", str(archive)])
    assert export.exit_code == 0, export.output
    assert "… patients: 30" in export.stderr
    assert "(30 patients)" in export.stdout and str(archive) in export.stdout
    assert restore.exit_code == 0, restore.output
    assert "… patients: 30" in restore.stderr
    assert "(30 patients)" in restore.stdout
