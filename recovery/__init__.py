"""Recovery: follows patients through recovery after lumbar spinal tumor surgery."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from config import BASE_DIR, CONFIGS, INSTANCE_DIR

if TYPE_CHECKING:
    from apiflask import APIFlask


def create_app(
    config_name: str | None = None, overrides: Mapping[str, Any] | None = None
) -> APIFlask:
    """Build the application: configuration, then a list of register steps."""
    # Imported here so that `import recovery.domain` stays free of Flask.
    from apiflask import APIFlask

    name = config_name or os.environ.get("RECOVERY_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"RECOVERY_ENV must be one of {', '.join(CONFIGS)}.")
    # APIFlask is Flask plus the OpenAPI document generated from the API schemas.
    app = APIFlask(
        __name__,
        title="Recovery API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(INSTANCE_DIR),
        instance_relative_config=False,
    )
    # Ids in URLs are the database's INTEGER: a larger number is no such page
    # (404), not an overflow in the driver (500).
    app.url_value_preprocessor(_ids_in_range)
    config_class = CONFIGS[name]
    app.config.from_object(config_class)
    app.config["ENV_NAME"] = name
    if overrides:
        app.config.update(overrides)
    config_class.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_protocols(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


# Every feature's models, so the mapper registry and Alembic see all tables.
MODEL_MODULES = (
    "recovery.auth.models",
    "recovery.patients.models",
    "recovery.timeline.models",
    "recovery.symptoms.models",
    "recovery.reminders.models",
    "recovery.audit.models",
    "recovery.cohorts.models",
    "recovery.notes.models",
    "recovery.caregivers.models",
    "recovery.messages.models",
)


def register_extensions(app: APIFlask) -> None:
    """Bind every extension to the app."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    from recovery import engine, i18n, logs, security, validation
    from recovery.auth import login
    from recovery.extensions import (
        csrf,
        db,
        init_failure_counter,
        limiter,
        mail,
        migrate,
    )

    db.init_app(app)
    engine.configure_engine(app)
    migrate.init_app(
        app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    init_failure_counter(app)
    mail.init_app(app)
    login.init_app(app)
    security.init_app(app)
    validation.init_app(app)
    logs.init_app(app)
    i18n.init_app(app)


def register_protocols(app: APIFlask) -> None:
    """Load and validate the care protocols and the red-flag rules; a bad file
    stops start-up here, naming the file and the item."""
    from recovery.symptoms.services import init_app as init_red_flags
    from recovery.timeline.services import init_app

    init_app(app)
    init_red_flags(app)


def register_blueprints(app: APIFlask) -> None:
    """Mount each area of the app under its own prefix."""
    from recovery.admin.routes import bp as admin_bp
    from recovery.api import bp as api_bp
    from recovery.api.docs import api_docs, finish_spec
    from recovery.auth.routes import bp as auth_bp
    from recovery.caregivers.routes import bp as caregivers_bp
    from recovery.clinician.routes import bp as clinician_bp
    from recovery.cohorts.routes import bp as cohorts_bp
    from recovery.health import bp as health_bp
    from recovery.messages.routes import bp as messages_bp
    from recovery.notes.routes import bp as notes_bp
    from recovery.patients.routes import bp as patients_bp
    from recovery.reminders.routes import bp as reminders_bp
    from recovery.symptoms.routes import bp as symptoms_bp
    from recovery.timeline.routes import bp as timeline_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(patients_bp)
    app.register_blueprint(timeline_bp)
    app.register_blueprint(symptoms_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(clinician_bp)
    app.register_blueprint(notes_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(caregivers_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(api_bp)
    # An HTML page, not an API operation: kept out of the OpenAPI document.
    app.add_url_rule("/api/docs", "api_docs", app.doc(hide=True)(api_docs))
    app.spec_processor(finish_spec)
    # Every documented error response uses the spec's error document.
    from recovery.api.schemas import Error

    app.config.update(HTTP_ERROR_SCHEMA=Error, VALIDATION_ERROR_SCHEMA=Error)


def register_errorhandlers(app: APIFlask) -> None:
    """Clean error pages for the site and JSON errors for the API."""
    from recovery import errors

    errors.init_app(app)


def register_commands(app: APIFlask) -> None:
    """The `flask --app wsgi …` commands."""
    from recovery import cli

    cli.init_app(app)


def _ids_in_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """404 for an integer in the URL that no id column can hold."""
    from recovery.validation import MAX_ID

    if values and any(
        isinstance(v, int) and not 0 < v <= MAX_ID for v in values.values()
    ):
        from flask import abort

        abort(404)
