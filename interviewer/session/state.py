"""Session state as plain dataclasses and pure transitions.

Every transition takes a state and returns a NEW state plus the turns it produced; nothing here
touches the database, the clock, an LLM or the embedding model. The service feeds in the
decisions (from :mod:`interviewer.session.policy`) and the rendered texts (from
:mod:`interviewer.session.phrasing`), then persists the result before anything is shown.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from interviewer.stages import STAGE_IDS, get_stage, next_stage_id

Role = Literal["interviewer", "candidate"]
# DESIGN.md fixes the interviewer kinds; refusals and redirects are "followup" turns whose
# ``meta["subkind"]`` says what they are. Candidate turns use kind "answer" (with the classified
# intent in meta) so every turn has a kind.
INTERVIEWER_KINDS = ("question", "followup", "clarification", "transition", "report")
CANDIDATE_KIND = "answer"
WRAPUP = "wrapup"  # pseudo-stage after monitoring: one summary question, then the report
# A gap of more than this between two turns is someone away from the keyboard, not thinking.
IDLE_CAP_S = 300.0


@dataclass(frozen=True)
class Turn:
    role: Role
    stage: str
    kind: str
    text: str
    timestamp: float = 0.0
    prompt_versions: tuple[str, ...] = ()
    engine: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def public_dict(self) -> dict[str, Any]:
        """Only what the candidate saw: used for transcripts of unfinished interviews, where
        grading metadata (probe targets, grader flags) must not be exposed."""
        return {
            "role": self.role,
            "stage": self.stage,
            "kind": self.kind,
            "text": self.text,
            "timestamp": round(self.timestamp, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        """DESIGN transcript turn (role, stage, kind, text) plus provenance fields."""
        out: dict[str, Any] = {
            "role": self.role,
            "stage": self.stage,
            "kind": self.kind,
            "text": self.text,
            "timestamp": round(self.timestamp, 3),
        }
        if self.role == "interviewer":
            out["engine"] = self.engine
            out["prompt_versions"] = list(self.prompt_versions)
        out.update({k: v for k, v in self.meta.items() if k not in out})
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        base = {"role", "stage", "kind", "text", "timestamp", "engine", "prompt_versions"}
        return cls(
            role=d["role"],
            stage=d["stage"],
            kind=d["kind"],
            text=d["text"],
            timestamp=float(d.get("timestamp") or 0.0),
            prompt_versions=tuple(d.get("prompt_versions") or ()),
            engine=d.get("engine") or "",
            meta={k: v for k, v in d.items() if k not in base},
        )


@dataclass
class StageState:
    id: str
    status: Literal["pending", "active", "done"] = "pending"
    answers: list[str] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)  # probe texts asked (never repeat one)
    followup_targets: list[str] = field(default_factory=list)  # criterion id per follow-up
    challenges: list[str] = field(default_factory=list)  # misconception ids taken up here
    clarifications: list[str] = field(default_factory=list)  # fact ids revealed in this stage
    strikes: int = 0  # non-answers (off-topic, empty, injection...) so a stage cannot loop
    grade: dict[str, Any] | None = None  # StageGrade.to_dict() of the best merged answer
    elapsed_s: float = 0.0
    budget_s: float = 0.0

    @property
    def answered(self) -> bool:
        return bool(self.answers)


@dataclass
class SessionState:
    id: str
    user: str
    problem_id: str
    problem_title: str
    engine: str  # the configured engine label ("offline", "openai:gpt-4o-mini")
    stage: str = STAGE_IDS[0]  # a stage id, or WRAPUP
    stages: dict[str, StageState] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    finished: bool = False
    ended_early: bool = False
    created: float = 0.0
    updated: float = 0.0
    last_activity: float = 0.0
    prompt_versions: list[str] = field(default_factory=list)
    max_prompt_tokens: int = 0
    report: dict[str, Any] | None = None
    # The answer analysis accumulated over the interview (see session/analysis.py):
    # stage -> criterion id -> {"score", "quote", "turn"}: covered in some message, anywhere.
    covered: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Wrong claims from the misconception catalogue: {"id", "stage", "quote", "turn", "taken_up"}.
    claims: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> StageState | None:
        return self.stages.get(self.stage)

    def revealed_facts(self) -> set[str]:
        return {f for s in self.stages.values() for f in s.clarifications}

    # ------------------------------------------------------------------ (de)serialisation
    def to_row(self) -> dict[str, Any]:
        """Everything except the turns (stored one row each)."""
        d = asdict(self)
        d.pop("turns")
        return d

    @classmethod
    def from_row(cls, d: dict[str, Any], turns: list[Turn]) -> SessionState:
        """A stored row back as state. Fields a newer version added get their defaults when an
        older row lacks them; fields this version does not know are dropped, so a replica on
        the previous release can still carry on a session."""
        d = {k: v for k, v in d.items() if k in _SESSION_FIELDS}
        stages = {
            k: StageState(**{f: x for f, x in v.items() if f in _STAGE_FIELDS})
            for k, v in d.pop("stages").items()
        }
        d.pop("turns", None)
        return cls(**d, stages=stages, turns=turns)


_SESSION_FIELDS = frozenset(f.name for f in fields(SessionState))
_STAGE_FIELDS = frozenset(f.name for f in fields(StageState))

# ---------------------------------------------------------------------- pure transitions


def new_session(
    session_id: str, *, user: str, problem_id: str, problem_title: str, engine: str, now: float
) -> SessionState:
    stages = {s: StageState(id=s, budget_s=get_stage(s).minutes * 60.0) for s in STAGE_IDS}
    stages[STAGE_IDS[0]].status = "active"
    return SessionState(
        id=session_id,
        user=user,
        problem_id=problem_id,
        problem_title=problem_title,
        engine=engine,
        stages=stages,
        created=now,
        updated=now,
        last_activity=now,
    )


def clone(state: SessionState) -> SessionState:
    """A copy a transition may change. Turns are frozen and never edited once stored, so the
    list is copied but not its turns (a deep copy of every turn made each message cost more
    the longer the interview ran)."""
    return replace(
        state,
        stages=copy.deepcopy(state.stages),
        turns=list(state.turns),
        prompt_versions=list(state.prompt_versions),
        report=copy.deepcopy(state.report),
        covered={k: dict(v) for k, v in state.covered.items()},
        claims=[dict(c) for c in state.claims],
    )


_clone = clone


def tick(state: SessionState, now: float) -> SessionState:
    """Charge the time since the last activity to the current stage (idle gaps are capped)."""
    new = _clone(state)
    cur = new.current
    if cur is not None and not new.finished:
        cur.elapsed_s += max(0.0, min(now - new.last_activity, IDLE_CAP_S))
    new.last_activity = now
    return new


def add_turns(state: SessionState, turns: list[Turn], now: float) -> SessionState:
    new = _clone(state)
    new.turns.extend(turns)
    for t in turns:
        for tag in t.prompt_versions:
            if tag not in new.prompt_versions:
                new.prompt_versions.append(tag)
        tokens = int(t.meta.get("prompt_tokens") or 0)
        new.max_prompt_tokens = max(new.max_prompt_tokens, tokens)
    new.updated = now
    return new


def record_answer(state: SessionState, text: str) -> SessionState:
    new = _clone(state)
    if new.current is not None:
        new.current.answers.append(text)
    return new


def record_grade(state: SessionState, grade: dict[str, Any]) -> SessionState:
    """Keep the best merged grade: a later merged answer that scores lower (e.g. flagged for
    repetition) must not erase coverage the candidate already showed."""
    new = _clone(state)
    cur = new.current
    if cur is not None and (cur.grade is None or grade["score"] >= cur.grade["score"]):
        cur.grade = grade
    return new


def record_followup(state: SessionState, probe: str, criterion_id: str) -> SessionState:
    new = _clone(state)
    if new.current is not None:
        new.current.followups.append(probe)
        new.current.followup_targets.append(criterion_id)
    return new


def record_clarification(state: SessionState, fact_ids: list[str]) -> SessionState:
    new = _clone(state)
    if new.current is not None:
        for f in fact_ids:
            if f not in new.current.clarifications:
                new.current.clarifications.append(f)
    return new


def record_challenge(state: SessionState, misconception_id: str) -> SessionState:
    """The interviewer took up a claim: mark it, and count it against the stage's limit."""
    new = _clone(state)
    if new.current is not None:
        new.current.challenges.append(misconception_id)
    for claim in new.claims:
        if claim["id"] == misconception_id:
            claim["taken_up"] = True
    return new


def record_strike(state: SessionState) -> SessionState:
    new = _clone(state)
    if new.current is not None:
        new.current.strikes += 1
    return new


def advance(state: SessionState) -> SessionState:
    """Close the current stage and open the next one (or the wrap-up after the last)."""
    new = _clone(state)
    cur = new.current
    if cur is not None:
        cur.status = "done"
    if new.stage == WRAPUP or new.finished:
        return new
    nxt = next_stage_id(new.stage)
    if nxt is not None:
        new.stage = nxt
        new.stages[nxt].status = "active"
    else:
        new.stage = WRAPUP
    return new


def finish(state: SessionState, report: dict[str, Any], *, early: bool) -> SessionState:
    new = _clone(state)
    cur = new.current
    if cur is not None:
        cur.status = "done"
    new.finished = True
    new.ended_early = early
    new.report = report
    return new


def stage_times(state: SessionState) -> dict[str, dict[str, float]]:
    return {
        s.id: {"elapsed_s": round(s.elapsed_s, 1), "budget_s": s.budget_s}
        for s in state.stages.values()
    }
