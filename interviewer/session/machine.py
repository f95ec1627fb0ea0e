"""The interview as an explicit state machine: one ``step(state, event, ctx) -> (state, actions)``.

Everything impure happens before the step (classifying the message, matching facts, grading,
analysing the answer) and after it (phrasing the actions, persisting); the step itself only
decides, from typed inputs, what changes and what the interviewer does next. The policy it
encodes (DESIGN, "How the interviewer listens"), in order of preference after an answer:

1. take up a wrong claim the candidate just made (a ``challenge`` quoting it);
2. probe the most important criterion of this stage still open anywhere in the interview,
   the heaviest first, then lighter ones nothing has been said about (never one covered in any
   earlier message, never with another family's probe);
3. move on.

Non-answers (injection attempts, requests for the answer, tangents, nothing readable) re-ask
the current question in a fitting way; a candidate who is lost gets the question reframed.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from interviewer.rubrics.misconceptions import Misconception
from interviewer.rubrics.models import Criterion, Problem, Rubric
from interviewer.session import state as st
from interviewer.session.analysis import (
    MessageAnalysis,
    from_grade,
    is_covered,
    merge_covered,
    new_claims,
)
from interviewer.session.policy import (
    Action,
    current_question,
    move_on,
    opener,
)
from interviewer.session.state import WRAPUP, SessionState

TIME_GRACE = 1.5  # a stage may run to 1.5x its budget before the policy moves on
STRIKE_LIMIT = 3  # non-answers re-asked in one stage; the next one moves on
CHALLENGE_LIMIT = 2  # challenges per stage (each claim is taken up once)


class Phase(StrEnum):
    STAGE = "stage"  # one of the eight stages
    WRAPUP = "wrapup"
    FINISHED = "finished"


class Intent(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    MIXED = "mixed"  # an answer with clarifying questions in it
    NEXT = "next"
    END = "end"
    OFF_TOPIC = "off_topic"
    INJECTION = "injection"
    ASK_ANSWER = "ask_answer"  # asks for the answer, a hint or a score
    LOST = "lost"  # "what do you want me to say?": a nervous candidate, not a cheat
    EMPTY = "empty"


class Move(StrEnum):
    """What an interviewer turn does (DESIGN's ``subkind``)."""

    OPEN = "open"
    PROBE = "probe"
    CHALLENGE = "challenge"
    CLARIFY = "clarify"
    REDIRECT = "redirect"
    NUDGE = "nudge"
    REFRAME = "reframe"
    REFUSE_INJECTION = "refuse_injection"
    REFUSE_REVEAL = "refuse_reveal"
    TRANSITION = "transition"
    WRAPUP = "wrapup"
    REPORT = "report"


NON_ANSWER_MOVES = {
    Intent.INJECTION: Move.REFUSE_INJECTION,
    Intent.ASK_ANSWER: Move.REFUSE_REVEAL,
    Intent.OFF_TOPIC: Move.REDIRECT,
    Intent.EMPTY: Move.NUDGE,
    Intent.LOST: Move.REFRAME,
}


@dataclass(frozen=True)
class Knobs:
    """Listening policy switches, so evals can compare the old behaviour with the new."""

    challenges: bool = True  # take up wrong claims
    cross_stage: bool = True  # coverage anywhere in the interview counts
    family_probes: bool = True  # card and family probes before the generic ones
    minor_gaps: bool = True  # lighter criteria nothing was said about are probed too

    @classmethod
    def for_policy(cls, name: str) -> Knobs:
        if name == "v1":
            return cls(challenges=False, cross_stage=False, family_probes=False, minor_gaps=False)
        return cls()


@dataclass(frozen=True)
class Event:
    """One candidate message, already understood."""

    intent: Intent
    answer: str = ""  # the text recorded as this stage's answer ("" when none)
    questions: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # fact ids that answer the questions
    grade: dict[str, Any] | None = None  # the stage's merged grade with this answer
    analysis: MessageAnalysis | None = None
    wants_next: bool = False
    turn: int = 0  # index of the candidate turn


ProbePicker = Callable[[Problem, str, Criterion, list[str]], str | None]


@dataclass(frozen=True)
class Context:
    problem: Problem
    rubric: Rubric | None  # the current stage's effective rubric
    budget: int  # follow-up probes per stage
    pick_probe: ProbePicker  # chooses among the unasked probes for a target (None: skip it)
    knobs: Knobs = field(default_factory=Knobs)
    catalogue: dict[str, Misconception] = field(default_factory=dict)


def phase(state: SessionState) -> Phase:
    if state.finished:
        return Phase.FINISHED
    return Phase.WRAPUP if state.stage == WRAPUP else Phase.STAGE


def step(state: SessionState, event: Event, ctx: Context) -> tuple[SessionState, list[Action]]:
    """Apply one understood candidate message; return the new state and the interviewer's moves."""
    if phase(state) is Phase.WRAPUP:
        if event.answer:
            state = st.record_answer(state, event.answer)
        return state, [Action("report", Move.REPORT, WRAPUP, reason="wrap-up")]
    if event.intent is Intent.END:
        return state, [Action("report", Move.REPORT, state.stage, reason="ended early")]
    if event.intent is Intent.NEXT:
        return state, move_on(state, ctx.problem, "candidate asked to move on")
    if event.intent in NON_ANSWER_MOVES:
        state = st.record_strike(state)
        return state, _non_answer(state, ctx, NON_ANSWER_MOVES[event.intent])

    actions: list[Action] = []
    if event.intent in (Intent.CLARIFY, Intent.MIXED):
        state = st.record_clarification(state, list(event.facts))
        actions.append(
            Action(
                "clarification",
                Move.CLARIFY,
                state.stage,
                facts=event.facts,
                candidate_questions=event.questions,
            )
        )
    if event.answer:
        state = st.record_answer(state, event.answer)
    if event.grade is not None:
        state = st.record_grade(state, event.grade)
    if event.analysis is not None:
        state = _record_analysis(state, event, ctx)
    if event.intent is Intent.CLARIFY:
        return state, actions  # the candidate is still gathering facts: let them go on
    return state, actions + _after_answer(state, event, ctx)


def _record_analysis(state: SessionState, event: Event, ctx: Context) -> SessionState:
    assert event.analysis is not None
    new = st.clone(state)
    # This stage's coverage from its merged grade; later stages' from the message analysis
    # (none with the old policy, which knew only the stage's own grade).
    here = MessageAnalysis(covered=from_grade(state.stage, event.grade))
    new.covered = merge_covered(new.covered, here, event.turn)
    if ctx.knobs.cross_stage:
        new.covered = merge_covered(new.covered, event.analysis, event.turn)
    new.claims = [*new.claims, *new_claims(new.claims, event.analysis, state.stage, event.turn)]
    return new


def covered_here(
    state: SessionState, grade: dict[str, Any] | None, anywhere: bool = True
) -> set[str]:
    """Criteria of the current stage covered anywhere: by any message, or by the stage's
    merged answer (only the latter when not ``anywhere``: the old policy)."""
    out = set(state.covered.get(state.stage, {})) if anywhere else set()
    if grade is not None:
        out |= {c["id"] for c in grade.get("criteria", []) if is_covered(c)}
    return out


def asked_about(state: SessionState, problem: Problem, rubric: Rubric) -> set[str]:
    """Criteria about facts the candidate has asked for and been told (their ``fact_topics``):
    asking was the point, and probing them would ask for what they already know."""
    topics = {f.topic for f in problem.facts if f.id in state.revealed_facts()}
    return {c.id for c in rubric.criteria if topics & set(c.fact_topics)}


def open_important(
    state: SessionState,
    rubric: Rubric,
    grade: dict[str, Any] | None,
    problem: Problem | None = None,
    knobs: Knobs = Knobs(),
) -> list[str]:
    """Criteria still open, most important (heaviest) first: those of at least the stage's
    median weight, and lighter ones the answers have said nothing about at all (score 0), so
    the interviewer no longer moves on as "covered" past open slices or class imbalance. A
    lighter criterion touched in passing is left alone: the grader's partial credit on it is
    too often a criterion the candidate did cover, and probing it asks them to repeat
    themselves (the old policy, ``minor_gaps`` off, never probed a lighter one)."""
    weights = {c.id: c.weight for c in rubric.criteria}
    if not weights:
        return []
    done = covered_here(state, grade, knobs.cross_stage)
    if problem is not None and knobs.cross_stage:
        done |= asked_about(state, problem, rubric)
    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    median = statistics.median(weights.values())
    said = {c["id"] for c in (grade or {}).get("criteria", []) if int(c.get("score") or 0) >= 1}
    gaps = [
        cid
        for cid, w in weights.items()
        if cid not in done and (w >= median or (knobs.minor_gaps and cid not in said))
    ]
    return sorted(gaps, key=lambda cid: (-weights[cid], order[cid]))


def _after_answer(state: SessionState, event: Event, ctx: Context) -> list[Action]:
    stage = state.current
    if stage is None:
        return move_on(state, ctx.problem, "wrap-up answered")
    if event.wants_next:
        return move_on(state, ctx.problem, "candidate asked to move on")
    if ctx.knobs.challenges:
        challenge = _challenge(state, event, ctx)
        if challenge is not None:
            return [challenge]
    if ctx.rubric is None or event.grade is None:
        return move_on(state, ctx.problem, "no grade")
    gaps = open_important(state, ctx.rubric, event.grade, ctx.problem, ctx.knobs)
    if not gaps:
        return move_on(state, ctx.problem, "covered")
    if stage.budget_s and stage.elapsed_s > stage.budget_s * TIME_GRACE:
        return move_on(state, ctx.problem, "over time")
    if len(stage.followups) < ctx.budget:
        by_id = {c.id: c for c in ctx.rubric.criteria}
        for cid in gaps:
            for tier in probe_tiers(ctx.problem, state.stage, by_id[cid], ctx.knobs):
                unasked = [p for p in tier if p not in stage.followups]
                if not unasked:
                    continue
                probe = ctx.pick_probe(ctx.problem, state.stage, by_id[cid], unasked)
                if probe:
                    return [
                        Action("followup", Move.PROBE, state.stage, question=probe, criterion=cid)
                    ]
    return move_on(state, ctx.problem, "follow-up budget spent")


def _challenge(state: SessionState, event: Event, ctx: Context) -> Action | None:
    """The first claim of this message not yet taken up, within the stage's challenge limit."""
    stage = state.current
    if stage is None or len(stage.challenges) >= CHALLENGE_LIMIT:
        return None
    for claim in state.claims:
        entry = ctx.catalogue.get(claim["id"])
        if claim["turn"] == event.turn and not claim["taken_up"] and entry is not None:
            return Action(
                "followup",
                Move.CHALLENGE,
                state.stage,
                question=entry.challenge_for(ctx.problem.problem_family),
                misconception=claim["id"],
                extra={"claim": claim["quote"]},
            )
    return None


def probe_tiers(
    problem: Problem, stage: str, criterion: Criterion, knobs: Knobs = Knobs()
) -> list[list[str]]:
    """The probes reachable for ``criterion`` in this problem's interview, by preference:
    the card's own, then the problem family's, then the rubric's family-neutral ones."""
    if not knobs.family_probes:
        return [list(criterion.probes)]
    card = problem.probes.get(stage, {}).get(criterion.id, [])  # type: ignore[call-overload]
    family = criterion.family_probes.get(problem.problem_family, [])  # type: ignore[call-overload]
    return [list(card), list(family), list(criterion.probes)]


def probe_options(
    problem: Problem, stage: str, criterion: Criterion, knobs: Knobs = Knobs()
) -> list[str]:
    """Every probe reachable for ``criterion`` in this problem's interview, preferred first."""
    return list(
        dict.fromkeys(p for tier in probe_tiers(problem, stage, criterion, knobs) for p in tier)
    )


def _non_answer(state: SessionState, ctx: Context, move: Move) -> list[Action]:
    """Re-ask the current question in a way that fits the message; after STRIKE_LIMIT
    non-answers in one stage move on, so no one can stall the interview."""
    stage = state.current
    if stage is not None and stage.strikes > STRIKE_LIMIT:
        return move_on(state, ctx.problem, "repeated non-answers")
    question = current_question(state) or opener(ctx.problem, state.stage)
    return [Action("followup", move, state.stage, question=question)]
