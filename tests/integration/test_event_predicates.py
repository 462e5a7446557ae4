"""The SQL predicates of the timeline's partial indexes say what the domain says."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from recovery.domain.protocol import EVENT_KINDS
from recovery.domain.timeline import (
    EVENT_STATUSES,
    OPEN_STATUSES,
    PERIOD_KINDS,
)
from recovery.timeline.models import OPEN_ITEM_SQL, RADIATION_SESSION_SQL

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
STORED = [status for status in EVENT_STATUSES if status != "due"]


def matches(predicate: str, kind: str, status: str) -> bool:
    """Whether SQL `predicate` holds for one row of (kind, status)."""
    with sqlite3.connect(":memory:") as connection:
        return bool(
            connection.execute(
                # The predicate is the models' constant, not input.
                f"SELECT {predicate} FROM (SELECT ? AS kind, ? AS status)",  # noqa: S608
                (kind, status),
            ).fetchone()[0]
        )


@pytest.mark.parametrize("status", STORED)
@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_open_item_index_holds_the_items_still_to_do(kind, status):
    still_to_do = status in OPEN_STATUSES and kind not in PERIOD_KINDS
    assert matches(OPEN_ITEM_SQL, kind, status) is still_to_do


@pytest.mark.parametrize("status", STORED)
@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_radiation_index_holds_the_sessions_that_count(kind, status):
    counts = kind == "radiation_session" and status != "cancelled"
    assert matches(RADIATION_SESSION_SQL, kind, status) is counts


@pytest.mark.parametrize("predicate", [OPEN_ITEM_SQL, RADIATION_SESSION_SQL])
def test_the_migrations_create_the_index_with_the_models_predicate(predicate):
    # Queries must repeat an index's predicate to the letter; a change of the
    # domain's names must come with a migration that rebuilds the index.
    texts = "".join(p.read_text(encoding="utf-8") for p in MIGRATIONS.glob("*.py"))
    assert f'sa.text("{predicate}")' in texts
