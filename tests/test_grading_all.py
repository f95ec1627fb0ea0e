"""``grade_all``: one answer graded under several stages at once, as ``grade`` grades it."""

from __future__ import annotations

import pytest

from interviewer.grading import grade, grade_all, warm_up
from interviewer.rubrics.loader import get_problem
from interviewer.stages import STAGE_IDS

pytestmark = pytest.mark.slow

ANSWER = (
    "Offline I'd measure NDCG@10 and recall@100 on a time-based split, sliced by new versus "
    "returning users. Online, an A/B test on 5% of traffic for two weeks with watch time per "
    "user as the primary metric and session abandonment as a guardrail."
)


def test_grade_all_matches_grade_for_every_stage() -> None:
    warm_up()
    problem = get_problem("video-recommendations")
    grades = grade_all(ANSWER, problem)
    assert list(grades) == list(STAGE_IDS)
    for stage, g in grades.items():
        assert g.stage == stage
        assert g.to_dict() == grade(stage, ANSWER, problem).to_dict()
    assert max(grades, key=lambda s: grades[s].score) == "evaluation"


def test_grade_all_takes_a_subset_of_stages_in_order() -> None:
    grades = grade_all(ANSWER, None, ["monitoring", "evaluation"])
    assert list(grades) == ["monitoring", "evaluation"]
    assert grades["evaluation"].score > grades["monitoring"].score


def test_grade_all_of_nothing_is_all_zero() -> None:
    grades = grade_all("", None)
    assert all(g.score == 0 and "empty" in g.flags for g in grades.values())
