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

[check_in]
daily_until = 42
weekly_until = 90
days_before = 2

[radiation]
default_minutes = 15
minutes_per_session = [15, 20]
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


def _phase(item_id, start, end, not_allowed, extra=""):
    end_text = "" if end is None else f", end_day = {end}"
    return f"""
[[items]]
id = "{item_id}"
kind = "activity_restriction"
title = "{item_id}"
instructions = "Limits."
schedule = {{ type = "span", start_day = {start}{end_text} }}
not_allowed = {not_allowed!r}
{extra}
""".replace("'", '"')


VISIT = """
[[items]]
id = "surgeon_visit"
kind = "follow_up_visit"
title = "Surgeon visit"
instructions = "The surgeon lifts your limits."
schedule = { type = "days", days = [42], window = [7, 7] }
"""
LIMITS = ["Bending or twisting", "Lifting more than 4.5 kg (10 lb)", "Driving"]


@pytest.mark.parametrize(
    ("phases", "reason"),
    [
        # The minimally invasive file before issue 16: lifting allowed from day 29
        # while the surgeon visit that lifts it is on day 35-49.
        (
            _phase("a1", 0, 10, LIMITS)
            + _phase("a2", 11, 28, LIMITS[:2], 'lifts = ["Driving"]')
            + _phase(
                "a3", 29, 90, ["Bending or twisting"], 'lifted_by = "surgeon_visit"'
            ),
            "drops the limit 'Lifting more than 4.5 kg (10 lb)' of 'a2'",
        ),
        (
            _phase("a1", 0, 14, LIMITS)
            + _phase("a2", 15, 28, LIMITS, 'lifted_by = "surgeon_visit"'),
            "ends on day 28, before the visit 'surgeon_visit' that lifts it "
            "(up to day 49)",
        ),
        # Phase 2 forgetting "no bending or twisting".
        (
            _phase("a1", 0, 14, LIMITS)
            + _phase("a2", 15, None, LIMITS[1:], 'lifted_by = "surgeon_visit"'),
            "drops the limit 'Bending or twisting' of 'a1'",
        ),
        (
            _phase("a1", 0, 14, LIMITS)
            + _phase("a2", 16, None, LIMITS, 'lifted_by = "surgeon_visit"'),
            "starts on day 16; the phase before ('a1') ends on day 14",
        ),
        (_phase("a1", 3, 14, LIMITS, 'ends_reason = "x"'), "start on day 0"),
        (_phase("a1", 0, 14, LIMITS), "need 'lifted_by'"),
        (_phase("a1", 0, None, LIMITS, 'ends_reason = "x"'), "no 'lifted_by'"),
        (
            _phase("a1", 0, None, LIMITS, 'lifted_by = "no_such_visit"'),
            "'lifted_by' names 'no_such_visit', not a dated visit",
        ),
        (
            _phase("a1", 0, None, [], 'lifted_by = "surgeon_visit"'),
            "activity limits need 'not_allowed'",
        ),
        (
            _phase("a1", 0, None, LIMITS, 'lifted_by = "surgeon_visit"')
            + _phase("a2", 15, None, LIMITS, 'lifted_by = "surgeon_visit"'),
            "has no end date but 'a2' follows it",
        ),
    ],
)
def test_activity_limits_that_contradict_the_protocol_are_refused(
    tmp_path, phases, reason
):
    path = write(tmp_path, HEADER + VISIT + phases)
    with pytest.raises(ProtocolError) as error:
        load_protocol(path)
    assert str(path) in str(error.value)
    assert reason in str(error.value)


def test_limits_that_run_to_the_visit_that_lifts_them_load(tmp_path):
    text = (
        HEADER
        + VISIT
        + _phase("a1", 0, 14, LIMITS)
        + _phase("a2", 15, 42, LIMITS[:2], 'lifts = ["Driving"]')
        + _phase("a3", 43, None, LIMITS[:2], 'lifted_by = "surgeon_visit"')
    )
    protocol = load_protocol(write(tmp_path, text))
    assert protocol.item("a3").schedule.end_day is None
    assert protocol.item("a3").lifted_by == "surgeon_visit"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("daily_until = 42", "daily_until = 100"), "[check_in]: 'daily_until'"),
        (("weekly_until = 90", 'weekly_until = "90"'), "[check_in]: 'weekly_until'"),
        (("days_before = 2", "days_before = 8"), "[check_in]: 'days_before'"),
        (("days_before = 2\n", ""), "[check_in]: missing 'days_before'"),
        (
            ("minutes_per_session = [15, 20]", "minutes_per_session = [20, 15]"),
            "[radiation]: 'minutes_per_session' must be [lowest, highest]",
        ),
        (
            ("default_minutes = 15", "default_minutes = 30"),
            "[radiation]: 'default_minutes' must be from 15 to 20",
        ),
    ],
)
def test_bad_cadence_or_radiation_settings_name_the_file_and_setting(
    tmp_path, change, reason
):
    path = write(tmp_path, HEADER.replace(*change) + GOOD_ITEM)
    with pytest.raises(ProtocolError) as error:
        load_protocol(path)
    assert str(path) in str(error.value)
    assert reason in str(error.value)


def test_a_protocol_without_a_check_in_cadence_is_refused(tmp_path):
    text = HEADER.split("[check_in]")[0] + GOOD_ITEM
    with pytest.raises(ProtocolError, match=r"\[check_in\]: missing"):
        load_protocol(write(tmp_path, text))


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('id = "x"\ntitle = "T"\n', "education 1 'x': missing 'text'"),
        ('id = "x"\ntitle = "T"\ntext = "t"\npages = ["cohort"]\n', "unknown page"),
        (
            'id = "x"\ntitle = "T"\ntext = "t"\nfrom_day = 9\nto_day = 3\n',
            "'to_day' is before 'from_day'",
        ),
    ],
)
def test_bad_education_entry_names_it(tmp_path, entry, reason):
    path = write(tmp_path, HEADER + GOOD_ITEM + "\n[[education]]\n" + entry)
    with pytest.raises(ProtocolError, match=reason.replace("[", r"\[")):
        load_protocol(path)


@pytest.mark.parametrize(
    "path", sorted(PROTOCOL_DIR.glob("*.toml")), ids=lambda p: p.stem
)
def test_shipped_activity_limits_hold_until_the_visit_that_lifts_them(path):
    protocol = load_protocol(path)
    phases = [i for i in protocol.items if i.kind == "activity_restriction"]
    # Phase 2 keeps "no bending or twisting" from phase 1.
    for phase in phases[:2]:
        assert "Bending or twisting" in phase.not_allowed
    last = phases[-1]
    if protocol.id == "biopsy":
        assert last.ends_reason  # the file says why no visit lifts them
    else:
        assert last.lifted_by == "surgeon_visit"
        assert last.schedule.end_day is None  # phase 3 has no end date
        assert "6-week visit" in last.title + last.instructions
        assert "Lifting more than 4.5 kg (10 lb)" in last.not_allowed


@pytest.mark.parametrize(
    "path", sorted(PROTOCOL_DIR.glob("*.toml")), ids=lambda p: p.stem
)
def test_every_shipped_protocol_keeps_the_day_42_review_visit_and_cadence(path):
    protocol = load_protocol(path)
    pain = protocol.item("pain_review")
    assert pain is not None and pain.schedule.days == (7, 42)
    # A surgeon visit at day 42 +- 7 (the biopsy's is "six_week_visit": its
    # "surgeon_visit" id stays with the result visit, so stored keys survive).
    visits = [
        i
        for i in protocol.items
        if i.kind == "follow_up_visit"
        and i.schedule.days == (42,)
        and (i.schedule.window_before, i.schedule.window_after) == (7, 7)
    ]
    assert len(visits) == 1
    assert protocol.pain_rise_review() is not None
    assert (protocol.check_in.daily_until, protocol.check_in.weekly_until) == (42, 90)
    assert (protocol.radiation.min_minutes, protocol.radiation.max_minutes) == (15, 20)
    assert {"recovery_time", "pain", "complications", "imaging", "regrowth"} <= {
        e.id for e in protocol.education
    }
