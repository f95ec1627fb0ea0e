"""The interview's building blocks: the Action a move produces, stage openers, moving on.

The decisions themselves live in :mod:`interviewer.session.machine` (one ``step``); the same
decisions drive the offline engine and every LLM configuration (the LLM only words them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interviewer.rubrics.models import Problem
from interviewer.session.state import WRAPUP, SessionState
from interviewer.stages import get_stage, next_stage_id

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
    misconception: str = ""  # a challenge's catalogue id
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
