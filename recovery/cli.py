"""`flask --app wsgi …` commands: users, demo, timelines, reminders, backups."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from recovery.admin.services import create_staff
from recovery.auth.models import STAFF_ROLES
from recovery.auth.services import AccountError, find_user_by_email, set_password
from recovery.extensions import db
from recovery.orm import utcnow
from recovery.zones import is_timezone, local_today

users_cli = AppGroup("users", help="Manage staff accounts.")
demo_cli = AppGroup("demo", help="The demo clinic.")
timeline_cli = AppGroup("timeline", help="Patients' recovery timelines.")
scheduler_cli = AppGroup("scheduler", help="The periodic jobs.")
reminders_cli = AppGroup("reminders", help="Reminders and their dispatch.")
jobs_cli = AppGroup("jobs", help="The scheduler's jobs, one at a time.")


@jobs_cli.command("list")
def list_jobs() -> None:
    """The scheduler's jobs, with when each runs."""
    from recovery.scheduler import JOBS

    for job_id, func, trigger in JOBS:
        when = ", ".join(f"{k}={v}" for k, v in trigger.items() if k != "trigger")
        click.echo(f"{job_id:<20} {trigger['trigger']} ({when}): {func.__doc__}")


@jobs_cli.command("run")
@click.argument("name")
def run_job(name: str) -> None:
    """Run one scheduled job once, now (as the scheduler would)."""
    from recovery.scheduler import JOBS

    jobs = {job_id: func for job_id, func, _ in JOBS}
    if name not in jobs:
        raise click.BadParameter(
            f"no job {name!r}; the jobs are {', '.join(jobs)}", param_hint="NAME"
        )
    jobs[name]()
    db.session.remove()
    click.echo(f"{name}: done.")


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler in the foreground (production: its own process)."""
    from flask import current_app

    from recovery.scheduler import create_scheduler

    scheduler = create_scheduler(current_app._get_current_object(), blocking=True)
    click.echo(
        "Scheduler running: " + ", ".join(job.id for job in scheduler.get_jobs())
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


@reminders_cli.command("dispatch")
def dispatch_once() -> None:
    """Send every due reminder now, once, then exit (for cron and operators)."""
    from recovery.notify.channels import default_channels
    from recovery.reminders.dispatch import dispatch_due

    result = dispatch_due(default_channels(), utcnow())
    click.echo(
        f"{result.sent} sent, {result.retried} to retry, {result.failed} failed, "
        f"{result.expired} expired, {result.skipped} skipped."
    )


@reminders_cli.command("plan")
def plan_all() -> None:
    """Plan every patient's reminders up to the horizon."""
    from recovery.scheduler import plan_ahead

    total = _patient_count()
    started = time.monotonic()
    totals = plan_ahead(
        lambda done, rows: _progress(f"{done} of {total} patients, {rows} reminders")
    )
    click.echo(
        f"Reminders planned for {totals.patients} patients: {totals.rows} reminder "
        f"rows added or changed, in {time.monotonic() - started:.1f} s."
    )


def _progress(text: str) -> None:
    """A progress line on stderr: the summary on stdout stays clean for scripts."""
    click.echo(f"  … {text}", err=True)


def _patient_count() -> int:
    from sqlalchemy import func, select

    from recovery.patients.models import Patient

    return db.session.scalar(select(func.count()).select_from(Patient)) or 0


def _password_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--password",
        help="The password; asked for (hidden) when left out.",
    )(func)


def _read_password(password: str | None) -> str:
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--name", required=True)
@click.option("--timezone", default="UTC", show_default=True)
@_password_option
def create_user(
    email: str, role: str, name: str, timezone: str, password: str | None
) -> None:
    """Create a member of staff (patients are enrolled through the app or the API)."""
    if not is_timezone(timezone):
        raise click.BadParameter(
            f"unknown timezone {timezone!r}", param_hint="--timezone"
        )
    try:
        user = create_staff(name, email, role, timezone)
        set_password(user, _read_password(password), utcnow())
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {role} {user.email} (id {user.id}).")


@users_cli.command("set-password")
@click.option("--email", required=True)
@_password_option
def set_user_password(email: str, password: str | None) -> None:
    """Set a password; this also unlocks the account and ends its sessions."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    try:
        set_password(user, _read_password(password), utcnow())
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Password set for {user.email}; the account is unlocked.")


@demo_cli.command("seed")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the database has accounts."
)
def seed_demo(if_empty: bool) -> None:
    """Create a demo clinic and print its logins."""
    from recovery import demo

    if not demo.is_empty():
        if if_empty:
            click.echo("The database already has accounts; demo seed skipped.")
            return
        raise click.ClickException("The database is not empty; seed an empty one.")
    now = utcnow()
    started = time.monotonic()
    logins = demo.seed(
        local_today("America/Chicago", now),
        now,
        progress=lambda done, total: _progress(f"{done} of {total} patients"),
    )
    db.session.commit()
    click.echo(f"Demo clinic created. Logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.role:<12} {login.email:<34} {login.name}")
    count = len(demo.DAY_SPREAD)
    click.echo(
        f"Every one of the {count} patients logs in the same way: "
        f"patient1@demo.example.org … patient{count}@demo.example.org "
        f"(patient N is the Nth of the spread, from {-demo.DAY_SPREAD[0]} days "
        f"before surgery to {demo.DAY_SPREAD[-1]} days after)."
    )
    click.echo(f"Seeded in {time.monotonic() - started:.1f} s.")


@timeline_cli.command("recompute")
@click.option("--patient", "patient_id", type=int, help="One patient, by id.")
@click.option("--all", "everyone", is_flag=True, help="Every patient.")
def recompute(patient_id: int | None, everyone: bool) -> None:
    """Rebuild timelines from the current plans and protocols, keeping done work."""
    from recovery.timeline.services import patients_in_batches, recompute_timelines

    if (patient_id is None) == (not everyone):
        raise click.UsageError("Give either --patient ID or --all.")
    ids = None if everyone else [patient_id]
    total = _patient_count() if everyone else 1
    started = time.monotonic()
    totals = {"patients": 0, "added": 0, "updated": 0, "reactivated": 0, "cancelled": 0}
    for batch in patients_in_batches(ids):
        for changes in recompute_timelines(batch, utcnow()).values():
            for key, count in changes.counts().items():
                totals[key] += count
            totals["patients"] += 1
        db.session.commit()  # each batch is one transaction; a patient never half-done
        db.session.expunge_all()
        if everyone:
            _progress(f"{totals['patients']} of {total} patients")
    if totals["patients"] == 0:
        raise click.ClickException(f"No patient with id {patient_id}.")
    click.echo(
        "Recomputed {patients} timeline(s): {added} added, {updated} moved, "
        "{cancelled} cancelled, {reactivated} reactivated".format(**totals)
        + f", in {time.monotonic() - started:.1f} s."
    )


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(timeline_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)


@click.command("export")
@with_appcontext
@click.argument("archive", type=click.Path(dir_okay=False, writable=True))
def export_command(archive: str) -> None:
    """Write every table to a JSON archive (a backup; it holds patient data)."""
    from recovery.backup import export_archive

    started = time.monotonic()
    with open(archive, "w", encoding="utf-8") as out:
        counts = export_archive(
            out, utcnow(), lambda table, rows: _progress(f"{table}: {rows}")
        )
    click.echo(
        f"Exported {sum(counts.values())} rows from {len(counts)} tables to "
        f"{archive} in {time.monotonic() - started:.1f} s "
        f"({counts.get('patients', 0)} patients). It holds patient data: keep it safe."
    )


@click.command("import")
@with_appcontext
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def import_command(archive: str) -> None:
    """Load a JSON archive into a new, migrated, empty database."""
    from recovery.backup import BackupError, import_archive

    started = time.monotonic()
    try:
        with open(archive, encoding="utf-8") as source:
            counts = import_archive(
                source, lambda table, rows: _progress(f"{table}: {rows}")
            )
    except BackupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Imported {sum(counts.values())} rows into {len(counts)} tables in "
        f"{time.monotonic() - started:.1f} s ({counts.get('patients', 0)} patients)."
    )
