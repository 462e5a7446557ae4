"""The plan's day arithmetic."""

from datetime import date

import pytest

from recovery.domain.plan import Plan, post_op_day


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 9), -1),
        (date(2026, 11, 10), 0),
        (date(2026, 11, 24), 14),
        (date(2027, 1, 1), 52),
    ],
)
def test_post_op_day_counts_from_the_surgery_date(today, expected):
    assert post_op_day(date(2026, 11, 10), today) == expected


# -- plans that cannot be (issue 16) ------------------------------------------


@pytest.mark.parametrize(
    ("malignancy", "origin", "planned", "minutes", "fields"),
    [
        ("benign", "metastatic", False, 15, {"malignancy", "origin"}),
        ("malignant", "metastatic", False, 15, set()),
        ("unknown", "metastatic", False, 15, set()),
        ("benign", "primary", False, 15, set()),
        ("benign", "unknown", False, 15, set()),
        ("malignant", "primary", True, 20, set()),
        ("malignant", "primary", True, 21, {"radiation.minutes_per_session"}),
        ("malignant", "primary", True, 14, {"radiation.minutes_per_session"}),
        ("malignant", "primary", False, 45, set()),  # no radiation, no sessions
        (
            "benign",
            "metastatic",
            True,
            30,
            {"malignancy", "origin", "radiation.minutes_per_session"},
        ),
    ],
)
def test_plans_that_cannot_be_name_their_fields(
    malignancy, origin, planned, minutes, fields
):
    from recovery.domain.plan import RadiationPlan, plan_problems

    p = Plan(
        surgery_date=date(2026, 11, 10),
        procedure="open_resection",
        tumor_location="epidural",
        malignancy=malignancy,
        origin=origin,
        radiation=RadiationPlan(planned=planned, minutes_per_session=minutes),
    )
    problems = plan_problems(p, (15, 20))
    assert set(problems) == fields
    if "radiation.minutes_per_session" in problems:
        assert "from 15 to 20" in problems["radiation.minutes_per_session"]
