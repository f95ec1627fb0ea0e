"""The interview policy: given the state, the classified message and the latest grade, decide
what the interviewer does next. Pure functions; the same decisions drive the offline engine and
every LLM configuration (the LLM only phrases them).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from interviewer.rubrics.models import Problem, Rubric
from interviewer.session.state import WRAPUP, SessionState, StageState
from interviewer.stages import get_stage, next_stage_id

TIME_GRACE = 1.5  # a stage may run to 1.5x its budget before the policy moves on
STRIKE_LIMIT = 3  # non-answers re-asked in one stage; the next one moves on

GENERIC_OPENERS: dict[str, str] = {
    "requirements": "Before designing anything, what would you like to clarify about the product, "
    "its users and its constraints?",
    "framing": "How would you turn this product goal into a machine learning problem?",
    "data": "What data would you train on, and where would the labels come from?",
    "features": "What signals would you feed the model, and how would you represent them?",
    "modeling": "Which models would you build, starting from what you would ship first?",
    "evaluation": "How would you know a new version is better, before and after launch?",
    "deployment": "How would you serve this in production?",
    "monitoring": "Once it is live, how do you keep it healthy and notice when it degrades?",
}
WRAPUP_QUESTION = (
    "To wrap up: in a few sentences, summarise your design and the main trade-offs "
    "you made along the way."
)


@dataclass(frozen=True)
class Action:
    """One interviewer turn to produce. ``question`` is the policy's chosen wording (opener or
    probe) that the phrasing layer may rephrase; ``criterion`` is the probe's target (kept in
    the turn's metadata for evals, never shown)."""

    kind: str  # question | followup | clarification | transition | report
    intent: str  # open | probe | clarify | refuse_injection | refuse_reveal | redirect | nudge
    #              | transition | wrapup | report
    stage: str
    question: str = ""
    criterion: str = ""
    facts: tuple[str, ...] = ()
    candidate_questions: tuple[str, ...] = ()
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def opener(problem: Problem, stage: str) -> str:
    if stage == WRAPUP:
        return WRAPUP_QUESTION
    return problem.stage_questions.get(stage) or GENERIC_OPENERS[stage]  # type: ignore[call-overload]


def open_stage(problem: Problem, stage: str) -> Action:
    if stage == WRAPUP:
        return Action("question", "wrapup", WRAPUP, question=WRAPUP_QUESTION)
    return Action("question", "open", stage, question=opener(problem, stage))


def current_question(state: SessionState) -> str:
    """The last question or probe the candidate was asked in this stage (for re-asking)."""
    for t in reversed(state.turns):
        if t.role == "interviewer" and t.stage == state.stage and t.meta.get("asked"):
            return str(t.meta["asked"])
    return ""


def is_covered(grade: dict[str, Any], rubric: Rubric) -> bool:
    """Covered: nothing important missing (a criterion of at least the median weight).

    Deliberately not a stage-score threshold: the calibrated stage score rewards breadth, so a
    good answer with one important gap would otherwise never be probed on it."""
    weights = {c.id: c.weight for c in rubric.criteria}
    median = statistics.median(weights.values()) if weights else 0.0
    return not any(weights.get(cid, 0.0) >= median for cid in grade.get("missing", []))


def choose_probe(
    grade: dict[str, Any], rubric: Rubric, stage: StageState
) -> tuple[str, str] | None:
    """(criterion id, probe) for the most important missing criterion with an unasked probe."""
    asked = set(stage.followups)
    by_id = {c.id: c for c in rubric.criteria}
    missing = [cid for cid in grade.get("missing", []) if cid in by_id]
    # grading orders missing criteria most important first; keep that, but be robust to a
    # grader that does not by re-sorting on weight (stable, so ties keep the grader's order)
    missing.sort(key=lambda cid: -by_id[cid].weight)
    for cid in missing:
        for probe in by_id[cid].probes:
            if probe not in asked:
                return cid, probe
    return None


def move_on(state: SessionState, problem: Problem, reason: str) -> list[Action]:
    """Transition to the next stage (or the wrap-up) and open it."""
    if state.stage == WRAPUP:
        return [Action("report", "report", WRAPUP, reason=reason)]
    nxt = next_stage_id(state.stage) or WRAPUP
    title = "the wrap-up" if nxt == WRAPUP else get_stage(nxt).title
    return [
        Action(
            "transition", "transition", nxt, reason=reason, extra={"to": title, "from": state.stage}
        ),
        open_stage(problem, nxt),
    ]


def after_answer(
    state: SessionState,
    problem: Problem,
    rubric: Rubric,
    grade: dict[str, Any] | None,
    *,
    wants_next: bool,
    budget: int,
) -> list[Action]:
    """What follows a (graded) answer in the current stage."""
    stage = state.current
    if stage is None:
        return move_on(state, problem, "wrap-up answered")
    if wants_next:
        return move_on(state, problem, "candidate asked to move on")
    if grade is None:
        return move_on(state, problem, "no grade")
    if is_covered(grade, rubric):
        return move_on(state, problem, "covered")
    if stage.budget_s and stage.elapsed_s > stage.budget_s * TIME_GRACE:
        return move_on(state, problem, "over time")
    if len(stage.followups) < budget:
        pick = choose_probe(grade, rubric, stage)
        if pick is not None:
            cid, probe = pick
            return [Action("followup", "probe", state.stage, question=probe, criterion=cid)]
    return move_on(state, problem, "follow-up budget spent")


def non_answer(state: SessionState, problem: Problem, intent: str) -> list[Action]:
    """A refusal, redirect or nudge that re-asks the current question; after STRIKE_LIMIT of
    them in one stage the interview moves on so no persona can stall it forever."""
    stage = state.current
    if stage is not None and stage.strikes > STRIKE_LIMIT:
        return move_on(state, problem, "repeated non-answers")
    sub = {
        "injection": "refuse_injection",
        "ask_answer": "refuse_reveal",
        "off_topic": "redirect",
        "empty": "nudge",
    }[intent]
    question = current_question(state) or opener(problem, state.stage)
    return [Action("followup", sub, state.stage, question=question)]


def clarification(state: SessionState, fact_ids: list[str], questions: tuple[str, ...]) -> Action:
    return Action(
        "clarification",
        "clarify",
        state.stage,
        facts=tuple(fact_ids),
        candidate_questions=questions,
    )
