"""WSGI entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

from recovery import create_app

app = create_app()
