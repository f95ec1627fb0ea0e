"""InterviewService: the one entry point the CLI, the UI and the evals drive interviews through.

Per message: classify → (clarify from facts | grade the stage's merged answer) → policy decides
the next moves → phrasing words them (offline or LLM, leak-guarded) → pure state transitions →
the session row and the new turns are committed to the store (SQLite, or PostgreSQL shared by
several replicas) → only then are the turns returned. Thread-safe: one lock per session, so
concurrent sessions run in parallel and two messages to the same session are applied in order.
Across processes the store's turn-count check does the same job: a message prepared from a copy
another replica has since written to is recomputed on the fresh copy, never written over it.
The per-message machinery lives in :mod:`interviewer.session.engine`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.errors import SessionError, UnknownIdError
from interviewer.llm.base import LLM
from interviewer.session import policy
from interviewer.session import state as st
from interviewer.session.classify import sentences
from interviewer.session.engine import Engine, Grader, Search, now_ms
from interviewer.session.policy import Action
from interviewer.session.report import to_markdown
from interviewer.session.state import WRAPUP, SessionState, Turn
from interviewer.session.store import SessionConflict, SessionSummary, open_store
from interviewer.settings import Settings, get_settings
from interviewer.stages import STAGE_IDS, get_stage

__all__ = ["InterviewService", "SessionSummary", "SessionView", "Turn"]

log = logging.getLogger("interviewer.session")

# A write that lost a race with another process is recomputed this many times in all before
# the candidate is asked to send the message again.
WRITE_ATTEMPTS = 4


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
        settings: Settings | None = None,
        followup_budget: int | None = None,
        prompt_versions: dict[str, int] | None = None,
    ) -> None:
        """``llm`` (a built LLM) wins over ``llm_name``/``model``; ``grading_llm`` defaults to
        the same LLM (None grades offline); ``grader`` and ``search`` replace grading.grade and
        the guide retriever (evals, tests); ``settings``, ``followup_budget`` and
        ``prompt_versions`` (prompt id -> pinned version) are per-service overrides, so
        variants can run side by side in one process without touching global settings."""
        from interviewer.llm import get_llm

        self._settings = settings
        cfg = self._cfg()
        # A file path, or a postgresql:// URL (str); default from settings.
        self.store = open_store(db_path or cfg.session_store, pool_size=cfg.db_pool_size)
        self.llm = llm if llm is not None else get_llm(llm_name, model, settings=settings)
        self.grading_llm: LLM | None = (
            self.llm if isinstance(grading_llm, str) else grading_llm  # "same"
        )
        self.engine = Engine(
            llm=self.llm,
            grading_llm=self.grading_llm,
            grader=grader,
            search=search,
            rubrics_dir=rubrics_dir,
            cfg=self._cfg,
            followup_budget=followup_budget,
            prompt_versions=dict(prompt_versions or {}),
        )
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ------------------------------------------------------------------ public API
    def start(self, problem_id: str | None = None, *, user: str = "local") -> SessionView:
        from interviewer.rubrics.loader import get_problem, load_problems

        if problem_id is None:
            problem_id = random.choice(sorted(load_problems(self.engine.problems_dir())))
        problem = get_problem(problem_id, self.engine.problems_dir())
        self.engine.prefetch(problem)
        now = now_ms()
        state = st.new_session(
            uuid.uuid4().hex[:12],
            user=user or "local",
            problem_id=problem.id,
            problem_title=problem.title,
            engine=self.llm.label,
            now=now,
        )
        with self._session_lock(state.id):
            state, turns = self.engine.run_actions(
                state, problem, [policy.open_stage(problem, STAGE_IDS[0])], last_message="", now=now
            )
            state = st.add_turns(state, turns, now)
            self.store.save(state, 0)
        return self._view(state)

    def respond(
        self,
        session_id: str,
        text: str | bytes,
        *,
        user: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> list[Turn]:
        """``meta`` goes on the candidate's turn (e.g. ``audio``: the recordings it came from)."""
        return self._write(session_id, user, lambda state: self.engine.message(state, text, meta))

    def respond_stream(
        self,
        session_id: str,
        text: str | bytes,
        *,
        user: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Yield the reply in pieces (sentence by sentence, turns separated by a blank line).

        The whole reply is composed, leak-checked and persisted before the first piece is
        yielded: streaming an LLM's raw tokens would show text the guard has not checked yet.
        """
        turns = self.respond(session_id, text, user=user, meta=meta)
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
        return self._command(session_id, user, "next")

    def end(self, session_id: str, *, user: str | None = None) -> list[Turn]:
        return self._command(session_id, user, "end")

    def _command(self, session_id: str, user: str | None, command: str) -> list[Turn]:
        """/next and /end: the same load, clock tick and commit around a different action."""

        def compute(state: SessionState) -> tuple[SessionState, list[Turn]]:
            now = now_ms()
            state = st.tick(state, now)
            problem = self.engine.problem(state)
            if command == "next":
                actions = policy.move_on(state, problem, "candidate asked to move on")
            else:
                reason = "ended early" if state.stage != WRAPUP else "wrap-up"
                actions = [Action("report", "report", state.stage, reason=reason)]
            return self.engine.apply(state, problem, None, actions, "", now)

        return self._write(session_id, user, compute)

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
            report = self.engine.build_report(state, self.engine.problem(state))
        return to_markdown(report, problem_title=state.problem_title, session_id=state.id)

    # ------------------------------------------------------------------ internals
    def _cfg(self) -> Settings:
        return self._settings if self._settings is not None else get_settings()

    @contextmanager
    def _session_lock(self, session_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            yield

    def _write(
        self,
        session_id: str,
        user: str | None,
        compute: Callable[[SessionState], tuple[SessionState, list[Turn]]],
    ) -> list[Turn]:
        """Load, compute the next state, commit, return the new turns.

        The lock orders writers in this process; another process or replica writing the same
        session in between makes the commit raise SessionConflict, and the message is then
        recomputed on the state that process committed, so both messages are kept, in order.
        """
        with self._session_lock(session_id):
            for attempt in range(WRITE_ATTEMPTS):
                state = self._load(session_id, user)
                self._require_open(state)
                first = len(state.turns)
                state, replies = compute(state)
                try:
                    self.store.save(state, first)
                    return replies
                except SessionConflict as exc:
                    if attempt + 1 == WRITE_ATTEMPTS:
                        break
                    log.info("%s; recomputing the turn on the stored state", exc)
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise SessionConflict(
            f"session {session_id!r} is being answered from another window right now and your "
            "message was not saved; send it again"
        )

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
