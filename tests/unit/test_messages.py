"""Urgent words in messages: the check-in's red flags, in any case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recovery.domain.messages import URGENT_SIGNS, guidance, urgent_signs
from recovery.domain.symptoms import CheckIn, urgent_findings

AT = datetime(2026, 11, 26, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("I wet myself and cannot control my BLADDER", ["new_bladder_incontinence"]),
        ("Incontinent since lunch", ["new_bladder_incontinence"]),
        ("I can\u2019t pee at all", ["urinary_retention"]),
        ("numbness between my legs", ["saddle_numbness"]),
        ("My legs feel WEAKER than yesterday", ["leg_weakness_worse"]),
        ("I feel feverish, temperature 38.4", ["fever"]),
        ("the wound is draining a little", ["wound"]),
        ("Pain in my calf and short of breath", ["call_at_once"]),
        ("fever and my bowels", ["new_bowel_incontinence", "fever"]),
    ],
)
def test_urgent_words_are_found_in_any_case(text, rules):
    assert [sign.rule for sign in urgent_signs(text)] == rules


@pytest.mark.parametrize(
    "text",
    [
        "When is my next appointment?",
        "I push my walker every morning",  # not "pus"
        "Can my daughter drive me?",
        "",
    ],
)
def test_ordinary_messages_name_no_urgent_sign(text):
    assert urgent_signs(text) == []


CHECK_INS = [
    {"bladder_incontinence": True},
    {"bowel_incontinence": True},
    {"urinary_retention": True},
    {"saddle_numbness": True},
    {"coordination_loss": True},
    {"leg_weakness": "worse"},
    {"temperature_c": 38.5},
    {"wound": "opened"},
]


@pytest.mark.parametrize("values", CHECK_INS, ids=lambda v: next(iter(v)))
def test_every_urgent_check_in_rule_has_words_for_messages(values):
    (finding,) = [
        f
        for f in urgent_findings(CheckIn(recorded_at=AT, back_pain=2, **values), None)
        if f.rule != "fever_with_wound"
    ]
    assert finding.rule in URGENT_SIGNS


def test_the_guidance_names_the_sign_and_whom_to_call():
    text = guidance(urgent_signs("bladder"), "555-0100", "911", 38.0)
    assert text.startswith("Messages are read during clinic hours.")
    assert "new trouble controlling your bladder" in text
    assert "555-0100 now" in text and "911" in text


def test_the_guidance_takes_the_fever_threshold_it_is_given():
    text = guidance(urgent_signs("fever and a draining wound"), "555", "112", 37.8)
    assert "a fever of 37.8\u00a0°C or more, or a wound that is open" in text


def test_without_a_care_team_number_the_guidance_points_to_the_letter():
    text = guidance(urgent_signs("chest pain"), "", "911", 38.0)
    assert "call your care team on the number on your discharge letter now" in text
