"""WSGI entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

import os

from recovery import create_app

app = create_app()

# `make run` asks for the in-process scheduler; gunicorn workers never start one
# (production runs `flask --app wsgi scheduler run` as its own process).
if os.environ.get("RECOVERY_START_SCHEDULER") == "1":
    from recovery.scheduler import start_in_process

    start_in_process(app)
