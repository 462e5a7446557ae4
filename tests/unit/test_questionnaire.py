"""The ODI's texts as a data file: the shipped neutral one, and a clinic's own."""

from __future__ import annotations

import pytest

from recovery.domain.questionnaire import (
    ODI_FILE,
    QuestionnaireFileError,
    load_odi,
)

SHIPPED = ODI_FILE.read_text(encoding="utf-8")


def test_the_shipped_file_names_every_section_with_neutral_ends():
    odi = load_odi()
    assert [s.title for s in odi.sections][:3] == [
        "Pain intensity",
        "Personal care (washing, dressing)",
        "Lifting",
    ]
    assert len(odi.sections) == 10
    assert all(s.low and s.high and not s.choices for s in odi.sections)
    assert odi.min_answered == 8


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (('id = "travelling"\n', 'id = "travelling"\nchoices = ["a", "b"]\n'), "all 6"),
        (('low = "No pain"\n', ""), "section 1 'pain_intensity': 'low' must be"),
        (("min_answered = 8", "min_answered = 11"), "'min_answered' must be from 1"),
        (("min_answered = 8", 'min_answered = "8"'), "must be a whole number"),
        (('[[sections]]\nid = "travelling"', '[[nothing]]\nid = "x"'), "10 sections"),
    ],
)
def test_a_bad_questionnaire_file_names_the_file_section_and_reason(
    tmp_path, change, reason
):
    path = tmp_path / "odi.toml"
    text = SHIPPED.replace(*change)
    assert text != SHIPPED
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireFileError) as error:
        load_odi(path)
    assert str(path) in str(error.value)
    assert reason in str(error.value)


def test_licensed_choices_are_kept_in_order(tmp_path):
    path = tmp_path / "odi.toml"
    path.write_text(
        SHIPPED.replace(
            'id = "lifting"\n',
            'id = "lifting"\nchoices = ["c0", "c1", "c2", "c3", "c4", "c5"]\n',
        ),
        encoding="utf-8",
    )
    lifting = load_odi(path).sections[2]
    assert lifting.choices == ("c0", "c1", "c2", "c3", "c4", "c5")
