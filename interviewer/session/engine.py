"""The per-message machinery behind InterviewService: classify, clarify, grade, decide, phrase.

Nothing here touches the database or the per-session locks (the service owns those); every
method takes a state and returns a new one, so the service can commit the result atomically
before any reply is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError
from interviewer.llm.base import LLM
from interviewer.rubrics.models import Fact, Problem, Rubric
from interviewer.session import policy
from interviewer.session import state as st
from interviewer.session.clarify import match_facts
from interviewer.session.classify import STOPWORDS, Classification, classify, clean_text
from interviewer.session.phrasing import Phraser
from interviewer.session.policy import Action
from interviewer.session.report import build_report, to_markdown
from interviewer.session.state import WRAPUP, SessionState, Turn
from interviewer.settings import Settings
from interviewer.stages import STAGE_IDS, get_stage

Grader = Callable[..., Any]
Search = Callable[[str, int, str | None], list[Any]]
NON_ANSWERS = ("injection", "ask_answer", "off_topic", "empty")


def now_ms() -> float:
    # Millisecond precision: what the store keeps, so a loaded turn equals the one returned.
    return round(time.time(), 3)


class Engine:
    def __init__(
        self,
        *,
        llm: LLM,
        grading_llm: LLM | None,
        grader: Grader | None,
        search: Search | None,
        rubrics_dir: Path | str | None,
        cfg: Callable[[], Settings],
        followup_budget: int | None,
        prompt_versions: dict[str, int],
    ) -> None:
        self.llm = llm
        self.grading_llm = grading_llm
        self.cfg = cfg
        self._grader = grader
        self._search = search
        self._rubrics_dir = rubrics_dir
        self._followup_budget = followup_budget
        self._prompt_versions = prompt_versions
        self._index_ready = False
        self._vocab_cache: dict[tuple[str, str], tuple[Any, ...]] = {}

    def problems_dir(self) -> Path | str | None:
        return Path(self._rubrics_dir) / "problems" if self._rubrics_dir else None

    def problem(self, state: SessionState) -> Problem:
        from interviewer.rubrics.loader import get_problem

        return get_problem(state.problem_id, self.problems_dir())

    def rubrics(self) -> dict[str, Rubric]:
        from interviewer.rubrics.loader import load_rubrics

        return load_rubrics(self._rubrics_dir)

    def stage_rubric(self, stage: str, problem: Problem) -> Rubric | None:
        from interviewer.rubrics.loader import effective_rubric

        rubric = self.rubrics().get(stage)
        return effective_rubric(rubric, problem) if rubric is not None else None

    def sanitize(self, text: str | bytes) -> tuple[str, int]:
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        original = len(text)
        limit = self.cfg().max_answer_chars
        return clean_text(text[: limit * 2])[:limit], original

    def message(self, state: SessionState, text: str | bytes) -> tuple[SessionState, list[Turn]]:
        """Handle one candidate message: the new state (with all new turns) and the replies."""
        clean, original = self.sanitize(text)
        now = now_ms()
        state = st.tick(state, now)
        problem = self.problem(state)
        meta: dict[str, Any] = {}
        if original > len(clean) and original > self.cfg().max_answer_chars:
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
            return self.apply(state, problem, cand, actions, "", now)

        cls = self.classify_message(clean, state, problem)
        meta.update({"intent": cls.intent, "reason": cls.reason})
        cand = Turn("candidate", state.stage, "answer", clean, now, meta=meta)
        state, actions = self.decide(state, problem, cls, clean, meta)
        return self.apply(state, problem, cand, actions, clean, now)

    def classify_message(self, text: str, state: SessionState, problem: Problem) -> Classification:
        stage = state.stage if state.stage in STAGE_IDS else "monitoring"
        info = get_stage(stage)
        context = (
            f"{problem.title}. {problem.prompt} {info.title}: {info.covers}. "
            f"{policy.current_question(state)}"
        )
        return classify(text, context=context, vocabulary=self.vocabulary(problem, stage))

    def vocabulary(self, problem: Problem, stage: str) -> frozenset[str]:
        import re

        rubric = self.rubrics().get(stage)
        key = (id(problem), id(rubric))
        hit = self._vocab_cache.get((stage, problem.id))
        if hit is not None and hit[0] == key:
            return frozenset(hit[1])
        words: set[str] = set()
        phrases = [k for f in problem.facts for k in f.keywords]
        if rubric is not None:
            phrases += [k for c in rubric.criteria for k in c.concepts]
        from interviewer.grading.vocab import COMMON_WORDS

        for p in phrases:
            parts = re.findall(r"[a-z][a-z0-9\-]+", p.lower())
            # A word of a multi-word concept is on-topic only if it is not everyday English:
            # "cold" from "cold start" is, "start" is not (small talk would count otherwise).
            common = COMMON_WORDS if len(parts) > 1 else frozenset()
            words.update(w for w in parts if len(w) >= 4 and w not in STOPWORDS and w not in common)
        vocab = frozenset(words)
        # Keyed by object identity (the loader hands out new objects when a file changes); the
        # objects are kept in the entry so their ids cannot be reused while cached.
        self._vocab_cache[(stage, problem.id)] = (key, vocab, problem, rubric)
        return vocab

    def decide(
        self,
        state: SessionState,
        problem: Problem,
        cls: Classification,
        text: str,
        meta: dict[str, Any],
    ) -> tuple[SessionState, list[Action]]:
        budget = self.cfg().followup_budget
        if self._followup_budget is not None:
            budget = self._followup_budget
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
                    state = self.grade_stage(state, problem, meta)
                return state, actions
        answer = (
            text if (cls.intent == "answer" or state.stage == "requirements") else cls.answer_text
        )
        state = st.record_answer(state, answer)
        state = self.grade_stage(state, problem, meta)
        stage = state.current
        rubric = self.stage_rubric(state.stage, problem)
        grade = stage.grade if stage is not None else None
        if rubric is None:
            return state, [*actions, *policy.move_on(state, problem, "no rubric")]
        actions += policy.after_answer(
            state, problem, rubric, grade, wants_next=cls.wants_next, budget=budget
        )
        return state, actions

    def grade_stage(
        self, state: SessionState, problem: Problem, meta: dict[str, Any]
    ) -> SessionState:
        stage = state.current
        rubric = self.stage_rubric(state.stage, problem)
        if stage is None or rubric is None:
            return state
        limit = self.cfg().max_answer_chars
        merged = "\n\n".join(stage.answers)
        if len(merged) > limit:
            merged = merged[-limit:]  # the newest answers carry the follow-up coverage
        try:
            g = self.grade_fn()(
                stage.id,
                merged,
                problem,
                rubric=rubric,
                llm=self.grading_llm,
                prompt_version=self._prompt_versions.get("grade"),
            )
        except InterviewerError as exc:
            meta["grade_error"] = str(exc)[:200]
            return state
        d = g.to_dict()
        meta["grade_engine"] = d.get("engine", "")
        if d["flags"]:
            # e.g. "injection": the grader has already set those sentences aside (and the
            # classifier keeps pure injection messages out of the answers altogether).
            meta["grade_flags"] = list(d["flags"])
        return st.record_grade(state, d)

    def grade_fn(self) -> Grader:
        if self._grader is None:
            from interviewer.grading import grade

            self._grader = grade
        return self._grader

    def apply(
        self,
        state: SessionState,
        problem: Problem,
        cand: Turn | None,
        actions: list[Action],
        last_message: str,
        now: float,
    ) -> tuple[SessionState, list[Turn]]:
        """Run ``actions`` and append the candidate turn (if any) and the replies to the state."""
        state, replies = self.run_actions(state, problem, actions, last_message, now)
        state = st.add_turns(state, ([cand] if cand else []) + replies, now)
        return state, replies

    def run_actions(
        self,
        state: SessionState,
        problem: Problem,
        actions: list[Action],
        last_message: str,
        now: float,
    ) -> tuple[SessionState, list[Turn]]:
        phraser = Phraser(self.llm, self.rubrics().values(), versions=self._prompt_versions)
        turns: list[Turn] = []
        for action in actions:
            if action.kind == "report":
                report = self.build_report(state, problem, early=action.reason == "ended early")
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
            rubric = self.stage_rubric(action.stage, problem) if action.stage in STAGE_IDS else None
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
        return state, turns

    def build_report(
        self, state: SessionState, problem: Problem, *, early: bool | None = None
    ) -> dict[str, Any]:
        if early is not None:
            state = st.finish(state, {}, early=early)
        settings = self.cfg()
        return build_report(
            state,
            problem,
            {s: r for s in STAGE_IDS if (r := self.stage_rubric(s, problem))},
            search=self.searcher(),
            citations_per_gap=settings.citations_per_gap,
        )

    def searcher(self) -> Search | None:
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
