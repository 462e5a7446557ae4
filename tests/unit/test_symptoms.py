"""Red-flag rules at and around their thresholds."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from recovery.domain.symptoms import (
    RED_FLAGS_FILE,
    CheckIn,
    RedFlagError,
    check_ins_lapsed,
    default_rules,
    evaluate,
    load_red_flags,
    odi_worse,
    parse_red_flags,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def check_in(days_ago: float = 0, **fields) -> CheckIn:
    return CheckIn(
        recorded_at=NOW - timedelta(days=days_ago),
        back_pain=fields.pop("back_pain", 3),
        **fields,
    )


def rules(current: CheckIn, history=()) -> dict[str, str]:
    return {f.rule: f.severity for f in evaluate(current, list(history))}


def test_a_calm_check_in_raises_nothing():
    assert rules(check_in(leg_pain=2, temperature_c=37.2, wound="healing")) == {}


@pytest.mark.parametrize(
    ("field", "rule"),
    [
        ("bladder_incontinence", "new_bladder_incontinence"),
        ("bowel_incontinence", "new_bowel_incontinence"),
        ("coordination_loss", "coordination_loss"),
    ],
)
def test_new_neurological_sign_is_urgent_only_when_new(field, rule):
    assert rules(check_in(**{field: True})) == {rule: "urgent"}
    assert rules(check_in(**{field: True}), [check_in(1, **{field: False})]) == {
        rule: "urgent"
    }
    # Reported yesterday too: already raised then, not new now.
    assert rules(check_in(**{field: True}), [check_in(1, **{field: True})]) == {}
    assert rules(check_in(**{field: False})) == {}


@pytest.mark.parametrize(
    ("field", "rule"),
    [
        ("urinary_retention", "urinary_retention"),
        ("saddle_numbness", "saddle_numbness"),
    ],
)
def test_cauda_equina_sign_is_urgent_every_time_it_is_reported(field, rule):
    assert rules(check_in(**{field: True})) == {rule: "urgent"}
    # Reported yesterday too: still urgent today.
    assert rules(check_in(**{field: True}), [check_in(1, **{field: True})]) == {
        rule: "urgent"
    }
    assert rules(check_in(**{field: False}), [check_in(1, **{field: True})]) == {}


@pytest.mark.parametrize(
    ("weakness", "expected"),
    [("none", {}), ("mild", {}), ("worse", {"leg_weakness_worse": "urgent"})],
)
def test_leg_weakness_worse_than_before_is_urgent(weakness, expected):
    assert rules(check_in(leg_weakness=weakness)) == expected


@pytest.mark.parametrize(
    ("temperature", "wound", "expected"),
    [
        (37.9, "red", {}),
        (38.0, "red", {"fever_with_wound": "urgent"}),
        (38.0, "healing", {}),
        (38.2, "healing", {}),
        (38.2, "draining", {"fever_with_wound": "urgent", "wound": "urgent"}),
        (38.3, "healing", {"fever": "urgent"}),
        (38.3, "red", {"fever": "urgent"}),
        (39.5, None, {"fever": "urgent"}),
    ],
)
def test_fever_thresholds(temperature, wound, expected):
    assert rules(check_in(temperature_c=temperature, wound=wound)) == expected


@pytest.mark.parametrize(
    ("wound", "expected"),
    [
        ("healing", {}),
        ("red", {}),
        ("draining", {"wound": "urgent"}),
        ("opened", {"wound": "urgent"}),
    ],
)
def test_wound_opened_or_draining_is_urgent(wound, expected):
    assert rules(check_in(wound=wound)) == expected


def week_of_pain(level: int, start_days_ago: int = 10):
    return [
        check_in(d, back_pain=level, leg_pain=level)
        for d in range(start_days_ago, start_days_ago - 7, -1)
    ]


@pytest.mark.parametrize(("rise", "raised"), [(1, False), (2, True), (3, True)])
def test_pain_rising_two_points_on_three_check_ins(rise, raised):
    history = [
        *week_of_pain(3),
        check_in(2, back_pain=3 + rise),
        check_in(1, back_pain=3 + rise),
    ]
    found = rules(check_in(back_pain=3 + rise), history)
    assert ("back_pain_rising" in found) is raised
    if raised:
        assert found["back_pain_rising"] == "warning"


def test_pain_rising_needs_three_in_a_row():
    history = [*week_of_pain(3), check_in(2, back_pain=6), check_in(1, back_pain=4)]
    assert "back_pain_rising" not in rules(check_in(back_pain=6), history)


def test_leg_pain_rising_is_its_own_rule():
    history = [*week_of_pain(2), check_in(2, leg_pain=5), check_in(1, leg_pain=5)]
    found = rules(check_in(back_pain=2, leg_pain=5), history)
    assert found == {"leg_pain_rising": "warning"}


def test_pain_rising_needs_a_baseline_week():
    history = [check_in(2, back_pain=8), check_in(1, back_pain=8)]
    assert rules(check_in(back_pain=8), history) == {}


@pytest.mark.parametrize(
    ("weight", "raised"), [(95.1, False), (95.0, True), (90.0, True), (100.0, False)]
)
def test_weight_loss_five_percent_within_thirty_days(weight, raised):
    history = [check_in(29, weight_kg=100.0), check_in(10, weight_kg=98.0)]
    assert ("weight_loss" in rules(check_in(weight_kg=weight), history)) is raised


def test_weight_older_than_thirty_days_does_not_count():
    history = [check_in(31, weight_kg=100.0), check_in(5, weight_kg=96.0)]
    assert rules(check_in(weight_kg=94.0), history) == {}


@pytest.mark.parametrize(
    ("score", "previous", "raised"),
    [(40, 30.1, False), (40, 30, True), (40, None, False), (20, 40, False)],
)
def test_odi_ten_points_worse_is_a_warning(score, previous, raised):
    finding = odi_worse(score, previous)
    assert (finding is not None) is raised
    if finding:
        assert finding.rule == "odi_worse" and finding.severity == "warning"


def test_every_finding_names_its_rule_in_a_message():
    findings = evaluate(
        check_in(
            bladder_incontinence=True,
            temperature_c=38.6,
            wound="opened",
            leg_weakness="worse",
        ),
        [],
    )
    assert {f.rule for f in findings} == {
        "new_bladder_incontinence",
        "fever",
        "wound",
        "leg_weakness_worse",
    }
    assert all(f.message for f in findings)


def test_the_thresholds_come_from_the_rules_given():
    """A clinic that sets the fever at 38.0 °C alone gets that rule."""
    strict = replace(default_rules(), fever_alone_c=38.0)
    reading = check_in(temperature_c=38.1)
    assert rules(reading) == {}
    assert {f.rule for f in evaluate(reading, [], strict)} == {"fever"}
    assert odi_worse(35, 30, replace(default_rules(), odi_worse_points=5.0))


@pytest.mark.parametrize(
    ("asked_days", "last", "expected"),
    [
        # Days 1-3 before today were all asked, and nothing since day 5: warn.
        (range(0, 43), 5, True),
        (range(0, 43), None, True),
        # A check-in three days ago ends the lapse.
        (range(0, 43), 3, False),
        # One of the three days had no daily check-in asked (weekly phase): no.
        ((7, 14, 21), None, False),
        ((4, 5, 6), None, False),
    ],
)
def test_no_check_in_for_three_asked_days_is_a_warning(asked_days, last, expected):
    today = date(2026, 11, 26)
    asked = {today - timedelta(days=n) for n in asked_days}
    last_day = today - timedelta(days=last) if last is not None else None
    finding = check_ins_lapsed(asked, last_day, today, 3)
    assert (finding is not None) is expected
    if finding:
        assert (finding.severity, finding.rule) == ("warning", "no_check_in")


RULES_FILE = tomllib.loads(RED_FLAGS_FILE.read_text(encoding="utf-8"))


def with_value(section: str, key: str, value) -> dict:
    data = copy.deepcopy(RULES_FILE)
    if value is None:
        del data[section][key]
    else:
        data[section][key] = value
    return data


def test_the_shipped_rules_are_the_clinical_sheet():
    rules_ = load_red_flags()
    assert (rules_.fever_alone_c, rules_.fever_with_wound_c) == (38.3, 38.0)
    assert (rules_.pain_rise_points, rules_.pain_rise_check_ins) == (2, 3)
    assert rules_.pain_baseline_days == 7
    assert (rules_.weight_loss_percent, rules_.weight_window_days) == (5.0, 30)
    assert (rules_.odi_worse_points, rules_.no_check_in_days) == (10.0, 3)
    signs = " ".join(rules_.urgent_signs)
    for words in (
        "bladder",
        "pass urine",
        "saddle",
        "weaker",
        "coordination",
        "38.3 °C",
        "38.0 °C",
        "draining",
        "calf",
        "chest",
        "headache",
    ):
        assert words in signs, words


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("urgent", "fever_alone_c", None, r"\[urgent\] fever_alone_c: missing"),
        ("urgent", "fever_alone_c", "hot", "must be a number"),
        ("urgent", "fever_alone_c", 45.0, "outside 37-42"),
        ("warning", "pain_rise_points", 2.5, "must be a whole number"),
        ("warning", "no_check_in_days", 0, "outside 1-30"),
        ("warning", "odi_worse_points", True, "must be a number"),
        ("urgent", "fever_with_wound_c", 39.0, "must not be above fever_alone_c"),
        ("guidance", "urgent_signs", [], "must be a list"),
        ("guidance", "urgent_signs", ["a fever of {nope} °C"], "sign 1: unknown"),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_file_and_key(
    section, key, value, message
):
    with pytest.raises(RedFlagError, match=message) as raised:
        parse_red_flags(with_value(section, key, value), "clinic/red_flags.toml")
    assert str(raised.value).startswith("clinic/red_flags.toml: ")
