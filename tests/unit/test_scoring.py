"""ODI scoring: all answered, some skipped, too few, bands at their edges."""

import pytest

from recovery.domain.scoring import odi_band, score_odi


def test_all_ten_answered():
    result = score_odi([2, 3, 1, 0, 4, 2, 1, 3, 2, 2])
    assert result.score_percent == 40.0
    assert result.band == "moderate"
    assert result.answered == 10


def test_one_skipped_section_leaves_the_denominator():
    # 18 points of 9 sections x 5 = 45 -> 40.0 %
    result = score_odi([2, 2, 2, 2, 2, 2, 2, 2, 2, None])
    assert result.score_percent == 40.0
    assert result.answered == 9


def test_two_skipped_rounds_to_one_decimal():
    result = score_odi([1, 2, 3, 4, 5, 0, 1, None, 2, None])  # 18 / 40
    assert result.score_percent == 45.0
    result = score_odi([1, 1, 1, 1, 1, 1, 1, None, 2, None])  # 9 / 40 = 22.5
    assert result.score_percent == 22.5
    assert result.band == "moderate"


def test_fewer_than_eight_answers_gives_no_score():
    result = score_odi([1, 1, 1, 1, 1, 1, 1, None, None, None])
    assert result.score_percent is None and result.band is None
    assert result.answered == 7


def test_extremes():
    assert score_odi([0] * 10).score_percent == 0.0
    assert score_odi([5] * 10).band == "bed-bound"


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "minimal"),
        (20, "minimal"),
        (20.1, "moderate"),
        (40, "moderate"),
        (41, "severe"),
        (60, "severe"),
        (61, "crippling"),
        (80, "crippling"),
        (80.1, "bed-bound"),
        (100, "bed-bound"),
    ],
)
def test_bands_at_their_edges(score, band):
    assert odi_band(score) == band


@pytest.mark.parametrize("answers", [[1] * 9, [1] * 11, [6] + [1] * 9, [-1] + [1] * 9])
def test_malformed_answers_are_refused(answers):
    with pytest.raises(ValueError):
        score_odi(answers)
