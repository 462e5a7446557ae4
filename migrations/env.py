"""Alembic environment, run through Flask-Migrate with the app's engine and models."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from recovery.orm import UTCDateTime

config = context.config
if config.config_file_name is not None:
    # Keep the app's and pytest's loggers working when migrations run in-process.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url",
    target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


def render_item(type_, obj, autogen_context):
    """Write our UTC type as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_args():
    """Flask-Migrate's arguments (render_as_batch for SQLite) plus ours."""
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("compare_type", True)
    args["render_item"] = render_item
    return args


def run_migrations_offline():
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        **configure_args(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Migrate through the app's engine."""

    def process_revision_directives(context, revision, directives):
        # An autogenerate run that finds no change writes no empty file.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    args = configure_args()
    args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copy, drop and rename; with foreign keys
            # enforced, dropping a referenced table (users) fails once rows exist.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # End SQLAlchemy's implicit transaction, so Alembic's own commits.
            connection.commit()
        context.configure(
            connection=connection, target_metadata=target_db.metadata, **args
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
