"""InterviewService: the one entry point the CLI, the UI and the evals drive interviews through.

Per message: classify → (clarify from facts | grade the stage's merged answer) → policy decides
the next moves → phrasing words them (offline or LLM, leak-guarded) → pure state transitions →
the session row and the new turns are committed to SQLite → only then are the turns returned.
Thread-safe: one SQLite connection per thread and one lock per session, so concurrent sessions
run in parallel and two messages to the same session are applied in order.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError, SessionError, UnknownIdError
from interviewer.llm.base import LLM
from interviewer.rubrics.models import Fact, Problem, Rubric
from interviewer.session import policy
from interviewer.session import state as st
from interviewer.session.clarify import match_facts
from interviewer.session.classify import STOPWORDS, Classification, classify, clean_text, sentences
from interviewer.session.phrasing import Phraser
from interviewer.session.policy import Action
from interviewer.session.report import build_report, to_markdown
from interviewer.session.state import WRAPUP, SessionState, Turn
from interviewer.session.store import SessionStore, SessionSummary
from interviewer.settings import get_settings
from interviewer.stages import STAGE_IDS, get_stage

Grader = Callable[..., Any]
Search = Callable[[str, int, str | None], list[Any]]
NON_ANSWERS = ("injection", "ask_answer", "off_topic", "empty")

__all__ = ["InterviewService", "SessionSummary", "SessionView", "Turn"]


def _now() -> float:
    # Millisecond precision: what the store keeps, so a loaded turn equals the one returned.
    return round(time.time(), 3)


@dataclass
class SessionView:
    id: str
    user: str
    problem_id: str
    problem_title: str
    stage: str  # a stage id, or "wrapup" after monitoring
    finished: bool
    turns: list[Turn]
    stage_times: dict[str, dict[str, float]]
    report: dict[str, Any] | None
    engine: str = "offline"
    ended_early: bool = False
    max_prompt_tokens: int = 0
    created: float = 0.0
    updated: float = 0.0
    prompt_versions: list[str] = field(default_factory=list)

    @property
    def stage_title(self) -> str:
        return "Wrap-up" if self.stage == WRAPUP else get_stage(self.stage).title


def grade_to_dict(g: Any) -> dict[str, Any]:
    """StageGrade → the DESIGN grade JSON plus flags and per-criterion rationale."""
    d: dict[str, Any] = dict(g.to_dict()) if hasattr(g, "to_dict") else dict(g)
    d["flags"] = list(getattr(g, "flags", d.get("flags", [])) or [])
    crits = getattr(g, "criteria", None)
    if crits and not isinstance(crits[0], dict):
        d["criteria"] = [
            {
                "id": c.id,
                "score": c.score,
                "evidence": c.evidence,
                "rationale": getattr(c, "rationale", ""),
            }
            for c in crits
        ]
    return d


class InterviewService:
    def __init__(
        self,
        db_path: Path | str | None = None,
        llm_name: str | None = None,
        model: str | None = None,
        *,
        llm: LLM | None = None,
        grading_llm: LLM | str | None = "same",
        grader: Grader | None = None,
        search: Search | None = None,
        rubrics_dir: Path | str | None = None,
    ) -> None:
        from interviewer.llm import get_llm

        settings = get_settings()
        self.store = SessionStore(Path(db_path) if db_path else settings.db_file)
        self.llm = llm if llm is not None else get_llm(llm_name, model)
        self.grading_llm: LLM | None = self.llm if grading_llm == "same" else grading_llm  # type: ignore[assignment]
        self._grader = grader
        self._search = search
        self._rubrics_dir = rubrics_dir
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._index_ready = False
        self._vocab_cache: dict[tuple[str, str], tuple[Any, ...]] = {}

    # ------------------------------------------------------------------ public API
    def start(self, problem_id: str | None = None, *, user: str = "local") -> SessionView:
        from interviewer.rubrics.loader import get_problem, load_problems

        if problem_id is None:
            problem_id = random.choice(sorted(load_problems(self._problems_dir())))
        problem = get_problem(problem_id, self._problems_dir())
        now = _now()
        state = st.new_session(
            uuid.uuid4().hex[:12],
            user=user or "local",
            problem_id=problem.id,
            problem_title=problem.title,
            engine=self.llm.label,
            now=now,
        )
        with self._session_lock(state.id):
            state, turns = self._run_actions(
                state, problem, [policy.open_stage(problem, STAGE_IDS[0])], last_message="", now=now
            )
            state = st.add_turns(state, turns, now)
            self.store.save(state, 0)
        return self._view(state)

    def respond(self, session_id: str, text: str | bytes, *, user: str | None = None) -> list[Turn]:
        with self._session_lock(session_id):
            state = self._load(session_id, user)
            return self._respond_locked(state, text)

    def respond_stream(
        self, session_id: str, text: str | bytes, *, user: str | None = None
    ) -> Iterator[str]:
        """Yield the reply in pieces (sentence by sentence, turns separated by a blank line).

        The whole reply is composed, leak-checked and persisted before the first piece is
        yielded: streaming an LLM's raw tokens would show text the guard has not checked yet.
        """
        turns = self.respond(session_id, text, user=user)
        for i, turn in enumerate(turns):
            if i:
                yield "\n\n"
            if turn.kind == "report":
                yield turn.text
                continue
            for j, para in enumerate(turn.text.split("\n\n")):
                if j:
                    yield "\n\n"
                for k, sentence in enumerate(sentences(para)):
                    yield ("" if k == 0 else " ") + sentence

    def next_stage(self, session_id: str, *, user: str | None = None) -> list[Turn]:
        with self._session_lock(session_id):
            state = self._load(session_id, user)
            self._require_open(state)
            now = _now()
            state = st.tick(state, now)
            problem = self._problem(state)
            actions = policy.move_on(state, problem, "candidate asked to move on")
            return self._commit(state, problem, None, actions, "", now)

    def end(self, session_id: str, *, user: str | None = None) -> list[Turn]:
        with self._session_lock(session_id):
            state = self._load(session_id, user)
            self._require_open(state)
            now = _now()
            state = st.tick(state, now)
            problem = self._problem(state)
            reason = "ended early" if state.stage != WRAPUP else "wrap-up"
            return self._commit(
                state,
                problem,
                None,
                [Action("report", "report", state.stage, reason=reason)],
                "",
                now,
            )

    def get(self, session_id: str, *, user: str | None = None) -> SessionView:
        return self._view(self._load(session_id, user))

    def list_sessions(self, user: str | None = None) -> list[SessionSummary]:
        return self.store.summaries(user)

    def resolve(self, id_or_prefix: str) -> str:
        return self.store.resolve(id_or_prefix)

    def transcript(
        self, session_id: str, *, user: str | None = None, full: bool | None = None
    ) -> dict[str, Any]:
        """DESIGN transcript JSON. Turn provenance (engine, prompt versions, probe targets,
        grader flags) is included once the interview has finished, or with ``full=True``."""
        state = self._load(session_id, user)
        full = state.finished if full is None else full
        return {
            "session_id": state.id,
            "problem": {"id": state.problem_id, "title": state.problem_title},
            "user": state.user,
            "engine": state.engine,
            "finished": state.finished,
            "stage": state.stage,
            "created": state.created,
            "updated": state.updated,
            "turns": [t.to_dict() if full else t.public_dict() for t in state.turns],
            "report": state.report,
            "stage_times": st.stage_times(state),
            "prompt_versions": list(state.prompt_versions),
            "max_prompt_tokens": state.max_prompt_tokens,
        }

    def report_markdown(self, session_id: str, *, user: str | None = None) -> str:
        state = self._load(session_id, user)
        report = state.report
        if report is None:  # a provisional report over what has been covered so far
            report = self._build_report(state, self._problem(state))
        return to_markdown(report, problem_title=state.problem_title, session_id=state.id)

    # ------------------------------------------------------------------ internals
    @contextmanager
    def _session_lock(self, session_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            yield

    def _load(self, session_id: str, user: str | None) -> SessionState:
        state = self.store.load(session_id)
        if user is not None and state.user != user:
            # Same message as a missing id: another user's session does not exist for you.
            raise UnknownIdError("session", session_id, [])
        return state

    @staticmethod
    def _require_open(state: SessionState) -> None:
        if state.finished:
            raise SessionError(f"session {state.id!r} has finished; start a new interview")

    def _problems_dir(self) -> Path | str | None:
        return Path(self._rubrics_dir) / "problems" if self._rubrics_dir else None

    def _problem(self, state: SessionState) -> Problem:
        from interviewer.rubrics.loader import get_problem

        return get_problem(state.problem_id, self._problems_dir())

    def _rubrics(self) -> dict[str, Rubric]:
        from interviewer.rubrics.loader import load_rubrics

        return load_rubrics(self._rubrics_dir)

    def _stage_rubric(self, stage: str, problem: Problem) -> Rubric | None:
        from interviewer.rubrics.loader import effective_rubric

        rubric = self._rubrics().get(stage)
        return effective_rubric(rubric, problem) if rubric is not None else None

    def _view(self, state: SessionState) -> SessionView:
        return SessionView(
            id=state.id,
            user=state.user,
            problem_id=state.problem_id,
            problem_title=state.problem_title,
            stage=state.stage,
            finished=state.finished,
            turns=list(state.turns),
            stage_times=st.stage_times(state),
            report=state.report,
            engine=state.engine,
            ended_early=state.ended_early,
            max_prompt_tokens=state.max_prompt_tokens,
            created=state.created,
            updated=state.updated,
            prompt_versions=list(state.prompt_versions),
        )

    @staticmethod
    def _sanitize(text: str | bytes) -> tuple[str, int]:
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        original = len(text)
        limit = get_settings().max_answer_chars
        return clean_text(text[: limit * 2])[:limit], original

    def _respond_locked(self, state: SessionState, text: str | bytes) -> list[Turn]:
        self._require_open(state)
        clean, original = self._sanitize(text)
        now = _now()
        state = st.tick(state, now)
        problem = self._problem(state)
        meta: dict[str, Any] = {}
        if original > len(clean) and original > get_settings().max_answer_chars:
            meta["truncated_from"] = original
        command = clean.strip().lower()
        if command in ("/next", "/end"):
            cand = Turn(
                "candidate", state.stage, "command", command, now, meta={"intent": command[1:]}
            )
            if command == "/next":
                actions = policy.move_on(state, problem, "candidate asked to move on")
            else:
                actions = [
                    Action(
                        "report",
                        "report",
                        state.stage,
                        reason="ended early" if state.stage != WRAPUP else "wrap-up",
                    )
                ]
            return self._commit(state, problem, cand, actions, "", now)

        cls = self._classify(clean, state, problem)
        meta.update({"intent": cls.intent, "reason": cls.reason})
        cand = Turn("candidate", state.stage, "answer", clean, now, meta=meta)
        state, actions = self._decide(state, problem, cls, clean, meta)
        return self._commit(state, problem, cand, actions, clean, now)

    def _classify(self, text: str, state: SessionState, problem: Problem) -> Classification:
        stage = state.stage if state.stage in STAGE_IDS else "monitoring"
        info = get_stage(stage)
        context = (
            f"{problem.title}. {problem.prompt} {info.title}: {info.covers}. "
            f"{policy.current_question(state)}"
        )
        return classify(text, context=context, vocabulary=self._vocabulary(problem, stage))

    def _vocabulary(self, problem: Problem, stage: str) -> frozenset[str]:
        import re

        rubric = self._rubrics().get(stage)
        key = (id(problem), id(rubric))
        hit = self._vocab_cache.get((stage, problem.id))
        if hit is not None and hit[0] == key:
            return frozenset(hit[1])
        words: set[str] = set()
        phrases = [k for f in problem.facts for k in f.keywords]
        if rubric is not None:
            phrases += [k for c in rubric.criteria for k in c.concepts]
        for p in phrases:
            words.update(
                w
                for w in re.findall(r"[a-z][a-z0-9\-]+", p.lower())
                if len(w) >= 4 and w not in STOPWORDS
            )
        vocab = frozenset(words)
        # Keyed by object identity (the loader hands out new objects when a file changes); the
        # objects are kept in the entry so their ids cannot be reused while cached.
        self._vocab_cache[(stage, problem.id)] = (key, vocab, problem, rubric)
        return vocab

    def _decide(
        self,
        state: SessionState,
        problem: Problem,
        cls: Classification,
        text: str,
        meta: dict[str, Any],
    ) -> tuple[SessionState, list[Action]]:
        budget = get_settings().followup_budget
        if state.stage == WRAPUP:
            return state, [Action("report", "report", WRAPUP, reason="wrap-up")]
        if cls.intent == "end":
            return state, [Action("report", "report", state.stage, reason="ended early")]
        if cls.intent == "next":
            return state, policy.move_on(state, problem, "candidate asked to move on")
        if cls.intent in NON_ANSWERS:
            state = st.record_strike(state)
            return state, policy.non_answer(state, problem, cls.intent)
        actions: list[Action] = []
        if cls.intent in ("clarify", "mixed"):
            facts = match_facts(cls.questions, problem)
            ids = [f.id for f in facts]
            meta["facts"] = ids
            state = st.record_clarification(state, ids)
            actions.append(policy.clarification(state, ids, cls.questions))
            if cls.intent == "clarify":
                if state.stage == "requirements":
                    # Asking the right questions IS the requirements answer: grade it silently.
                    state = st.record_answer(state, text)
                    state = self._grade(state, problem, meta)
                return state, actions
        answer = (
            text if (cls.intent == "answer" or state.stage == "requirements") else cls.answer_text
        )
        state = st.record_answer(state, answer)
        state = self._grade(state, problem, meta)
        stage = state.current
        rubric = self._stage_rubric(state.stage, problem)
        grade = stage.grade if stage is not None else None
        if rubric is None:
            return state, [*actions, *policy.move_on(state, problem, "no rubric")]
        actions += policy.after_answer(
            state, problem, rubric, grade, wants_next=cls.wants_next, budget=budget
        )
        return state, actions

    def _grade(self, state: SessionState, problem: Problem, meta: dict[str, Any]) -> SessionState:
        stage = state.current
        rubric = self._stage_rubric(state.stage, problem)
        if stage is None or rubric is None:
            return state
        limit = get_settings().max_answer_chars
        merged = "\n\n".join(stage.answers)
        if len(merged) > limit:
            merged = merged[-limit:]  # the newest answers carry the follow-up coverage
        try:
            g = self._grade_fn()(stage.id, merged, problem, rubric=rubric, llm=self.grading_llm)
        except InterviewerError as exc:
            meta["grade_error"] = str(exc)[:200]
            return state
        d = grade_to_dict(g)
        meta["grade_engine"] = d.get("engine", "")
        if d["flags"]:
            # e.g. "injection": the grader has already set those sentences aside (and the
            # classifier keeps pure injection messages out of the answers altogether).
            meta["grade_flags"] = list(d["flags"])
        return st.record_grade(state, d)

    def _grade_fn(self) -> Grader:
        if self._grader is None:
            from interviewer.grading import grade

            self._grader = grade
        return self._grader

    def _commit(
        self,
        state: SessionState,
        problem: Problem,
        cand: Turn | None,
        actions: list[Action],
        last_message: str,
        now: float,
    ) -> list[Turn]:
        first = len(state.turns)
        state, replies = self._run_actions(state, problem, actions, last_message, now)
        state = st.add_turns(state, ([cand] if cand else []) + replies, now)
        self.store.save(state, first)
        return replies

    def _run_actions(
        self,
        state: SessionState,
        problem: Problem,
        actions: list[Action],
        last_message: str,
        now: float,
    ) -> tuple[SessionState, list[Turn]]:
        phraser = Phraser(self.llm, self._rubrics().values())
        turns: list[Turn] = []
        for action in actions:
            if action.kind == "report":
                report = self._build_report(state, problem, early=action.reason == "ended early")
                state = st.finish(state, report, early=action.reason == "ended early")
                text = to_markdown(report, problem_title=problem.title, session_id=state.id)
                turns.append(
                    Turn(
                        "interviewer",
                        action.stage,
                        "report",
                        text,
                        now,
                        ("report@v1",),
                        "offline",
                        {"subkind": "report"},
                    )
                )
                continue
            facts: list[Fact] = [f for f in problem.facts if f.id in action.facts]
            rubric = (
                self._stage_rubric(action.stage, problem) if action.stage in STAGE_IDS else None
            )
            phrased = phraser.phrase(
                action,
                state=state,
                problem=problem,
                facts=facts,
                last_message=last_message,
                stage_rubric=rubric,
            )
            meta: dict[str, Any] = {"subkind": action.intent}
            if action.question and action.kind in ("question", "followup"):
                meta["asked"] = action.question
            if action.criterion:
                meta["target"] = action.criterion
            if action.facts or action.kind == "clarification":
                meta["facts"] = list(action.facts)
            if action.reason:
                meta["reason"] = action.reason
            if phrased.prompt_tokens:
                meta["prompt_tokens"] = phrased.prompt_tokens
            if phrased.note:
                meta["note"] = phrased.note
            turns.append(
                Turn(
                    "interviewer",
                    action.stage,
                    action.kind,
                    phrased.text,
                    now,
                    phrased.prompt_versions,
                    phrased.engine,
                    meta,
                )
            )
            if action.kind == "transition":
                state = st.advance(state)
            elif action.intent == "probe":
                state = st.record_followup(state, action.question, action.criterion)
            # tokens must count toward the max even before add_turns (reports read it)
            state.max_prompt_tokens = max(state.max_prompt_tokens, phrased.prompt_tokens)
        return state, turns

    def _build_report(
        self, state: SessionState, problem: Problem, *, early: bool | None = None
    ) -> dict[str, Any]:
        if early is not None:
            state = st.finish(state, {}, early=early)
        settings = get_settings()
        return build_report(
            state,
            problem,
            {s: r for s in STAGE_IDS if (r := self._stage_rubric(s, problem))},
            search=self._searcher(),
            citations_per_gap=settings.citations_per_gap,
        )

    def _searcher(self) -> Search | None:
        if self._search is not None:
            return self._search
        try:
            from interviewer.retrieval import ensure_index, get_retriever

            if not self._index_ready:
                ensure_index()
                self._index_ready = True
            retriever = get_retriever()
        except Exception:  # no index and no corpus: the report still works, minus citations
            return None

        def search(query: str, k: int, stage: str | None) -> list[Any]:
            return list(retriever.search(query, k=k, stage=stage))

        return search
