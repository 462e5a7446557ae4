"""Protocol files load and validate; a bad file names the file, item and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery.domain.plan import PROCEDURES
from recovery.domain.protocol import (
    EVENT_KINDS,
    PROTOCOL_DIR,
    ProtocolError,
    load_protocol,
    load_protocols,
)

GOOD_ITEM = """
[[items]]
id = "wound_check"
kind = "wound_check"
title = "Wound check"
instructions = "Stitches out."
schedule = { type = "span", start_day = 10, end_day = 14 }
"""
HEADER = """
id = "test"
version = "1"
title = "Test"
procedures = ["biopsy"]
"""


def test_shipped_protocols_cover_every_procedure_once():
    protocols = load_protocols()
    assert set(protocols) == set(PROCEDURES)
    assert {p.id for p in protocols.values()} == {
        "biopsy",
        "minimally_invasive",
        "laminectomy",
    }


@pytest.mark.parametrize(
    "path", sorted(PROTOCOL_DIR.glob("*.toml")), ids=lambda p: p.stem
)
def test_each_shipped_protocol_has_the_clinical_items(path):
    protocol = load_protocol(path)
    kinds = {item.kind for item in protocol.items}
    assert kinds == set(EVENT_KINDS) - (
        {"therapy"} if protocol.id == "biopsy" else set()
    )
    assert protocol.version


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (
            GOOD_ITEM.replace('kind = "wound_check"', 'kind = "massage"'),
            "unknown kind 'massage'",
        ),
        (GOOD_ITEM.replace('title = "Wound check"\n', ""), "missing 'title'"),
        (
            GOOD_ITEM.replace("end_day = 14", "end_day = 2"),
            "'end_day' is before 'start_day'",
        ),
        (GOOD_ITEM.replace("start_day = 10", "start_day = -3"), "not marked pre_op"),
        (
            GOOD_ITEM.replace('type = "span"', 'type = "hourly"'),
            "unknown schedule type",
        ),
        (GOOD_ITEM.replace("start_day = 10", 'start_day = "ten"'), "whole number"),
        (
            GOOD_ITEM + 'when = { radiation = "yes" }\n',
            "'when.radiation' must be true or false",
        ),
        (GOOD_ITEM + 'when = { moon = "full" }\n', "unknown condition moon"),
        (GOOD_ITEM + 'reminders = ["hourly"]\n', "unknown reminder rule hourly"),
        (GOOD_ITEM + GOOD_ITEM, "the id is used twice"),
    ],
)
def test_bad_item_fails_with_file_item_and_reason(tmp_path, item, reason):
    path = write(tmp_path, HEADER + item)
    with pytest.raises(ProtocolError) as error:
        load_protocol(path)
    message = str(error.value)
    assert str(path) in message
    assert reason in message
    if "used twice" not in reason:
        assert "item 1 'wound_check'" in message or "item 1" in message


def test_unreadable_toml_names_the_file(tmp_path):
    path = write(tmp_path, "id = [unclosed")
    with pytest.raises(ProtocolError, match="cannot be read"):
        load_protocol(path)


def test_unknown_procedure_is_refused(tmp_path):
    path = write(tmp_path, HEADER.replace('"biopsy"', '"acupuncture"') + GOOD_ITEM)
    with pytest.raises(ProtocolError, match="unknown procedure acupuncture"):
        load_protocol(path)


def test_a_procedure_covered_twice_or_not_at_all_is_refused(tmp_path):
    for name in ("a.toml", "b.toml"):
        write(tmp_path, HEADER.replace('"test"', f'"{name}"') + GOOD_ITEM, name)
    with pytest.raises(ProtocolError, match="already covered"):
        load_protocols(tmp_path)
    (tmp_path / "b.toml").unlink()
    with pytest.raises(ProtocolError, match="no protocol for"):
        load_protocols(tmp_path)
