"""The browsable API documentation: Swagger UI (vendored) over /api/v1/openapi.json."""

from __future__ import annotations

from flask import render_template


def api_docs() -> str:
    """Every endpoint with its parameters and schemas; try them with your session."""
    return render_template("api_docs.html")
