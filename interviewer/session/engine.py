"""The per-message machinery behind InterviewService: classify, clarify, grade, decide, phrase.

Nothing here touches the database or the per-session locks (the service owns those); every
method takes a state and returns a new one, so the service can commit the result atomically
before any reply is shown.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError
from interviewer.llm.base import LLM
from interviewer.llm.resilience import within_turn_budget
from interviewer.rubrics.misconceptions import Misconception
from interviewer.rubrics.models import Fact, Problem, Rubric
from interviewer.session import grounding, machine, policy
from interviewer.session import state as st
from interviewer.session.analysis import MessageAnalysis, analyse
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
ANSWER_INTENTS = (machine.Intent.ANSWER, machine.Intent.MIXED)
_prefetch_lock = threading.Lock()
_prefetched: set[str] = set()
_prefetch_stop = threading.Event()
_prefetch_threads: list[threading.Thread] = []
PREFETCH_CHUNK = 32


@atexit.register
def _stop_prefetch() -> None:
    # A model call still running while the interpreter shuts down aborts the process: let the
    # current chunk finish (a fraction of a second) and skip the rest.
    _prefetch_stop.set()
    for thread in _prefetch_threads:
        thread.join(timeout=10)


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
        self._passage_search: Search | None = None
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

    @within_turn_budget  # every LLM call of this message shares one deadline
    def message(
        self, state: SessionState, text: str | bytes, extra_meta: dict[str, Any] | None = None
    ) -> tuple[SessionState, list[Turn]]:
        """Handle one candidate message: the new state (with all new turns) and the replies.
        ``extra_meta`` is kept on the candidate's turn (the UI's ``audio`` references)."""
        clean, original = self.sanitize(text)
        now = now_ms()
        state = st.tick(state, now)
        problem = self.problem(state)
        meta: dict[str, Any] = dict(extra_meta or {})
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
        event = self.understand(state, problem, cls, clean, meta)
        cand = Turn("candidate", state.stage, "answer", clean, now, meta=meta)
        state, actions = machine.step(state, event, self.context(state, problem))
        return self.apply(state, problem, cand, actions, clean, now)

    def classify_message(self, text: str, state: SessionState, problem: Problem) -> Classification:
        stage = state.stage if state.stage in STAGE_IDS else "monitoring"
        info = get_stage(stage)
        context = (
            f"{problem.title}. {problem.prompt} {info.title}: {info.covers}. "
            f"{policy.current_question(state)}"
        )
        return classify(
            text,
            context=context,
            vocabulary=self.vocabulary(problem, stage),
            open_floor=state.stage == "requirements",
            answerable=lambda qs: bool(match_facts(qs, problem)),
        )

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

    def understand(
        self,
        state: SessionState,
        problem: Problem,
        cls: Classification,
        text: str,
        meta: dict[str, Any],
    ) -> machine.Event:
        """The message as the machine's event: intent, the answer part, the facts its questions
        ask for, the stage's merged grade with it, and the answer analysis."""
        intent = machine.Intent(cls.intent)
        turn = len(state.turns)
        facts: tuple[str, ...] = ()
        if intent in (machine.Intent.CLARIFY, machine.Intent.MIXED):
            facts = tuple(f.id for f in match_facts(cls.questions, problem))
            meta["facts"] = list(facts)
        if state.stage == WRAPUP:
            answer = text if intent in ANSWER_INTENTS else ""
            return machine.Event(intent, answer=answer, turn=turn)
        answer = ""
        if intent is machine.Intent.ANSWER:
            answer = text
        elif intent is machine.Intent.MIXED:
            answer = text if state.stage == "requirements" else cls.answer_text
        elif intent is machine.Intent.CLARIFY and state.stage == "requirements":
            answer = text  # asking the right questions IS the requirements answer
        if not answer:
            return machine.Event(intent, questions=cls.questions, facts=facts, turn=turn)
        grade = self.merged_grade(state, problem, answer, meta)
        analysis = self.analyse(state, problem, answer, meta)
        return machine.Event(
            intent,
            answer=answer,
            questions=cls.questions,
            facts=facts,
            grade=grade,
            analysis=analysis,
            wants_next=cls.wants_next,
            turn=turn,
        )

    def context(self, state: SessionState, problem: Problem) -> machine.Context:
        budget = self.cfg().followup_budget
        if self._followup_budget is not None:
            budget = self._followup_budget
        rubric = self.stage_rubric(state.stage, problem) if state.stage in STAGE_IDS else None
        search = self.passage_search()

        revealed = [f for f in problem.facts if f.id in state.revealed_facts()]

        def pick(problem: Problem, stage: str, criterion: Any, options: list[str]) -> str | None:
            # Never ask for what the interviewer has already told the candidate.
            given = grounding.asks_for_given_fact(options, revealed)
            options = [p for p, g in zip(options, given, strict=True) if not g]
            if not options:
                return None
            passage = grounding.target_passage(search, problem, stage, criterion)
            return grounding.pick_probe(options, passage)

        knobs = self.knobs()
        catalogue = self.misconceptions() if knobs.challenges else {}
        return machine.Context(problem, rubric, budget, pick, knobs, catalogue)

    def knobs(self) -> machine.Knobs:
        return machine.Knobs.for_policy(self.cfg().listening_policy)

    def merged_grade(
        self, state: SessionState, problem: Problem, answer: str, meta: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The stage's grade over all its answers so far plus ``answer``."""
        stage = state.current
        rubric = self.stage_rubric(state.stage, problem)
        if stage is None or rubric is None:
            return None
        limit = self.cfg().max_answer_chars
        merged = "\n\n".join([*stage.answers, answer])
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
            return None
        d: dict[str, Any] = g.to_dict()
        meta["grade_engine"] = d.get("engine", "")
        if d.get("flags"):
            # e.g. "injection": the grader has already set those sentences aside (and the
            # classifier keeps pure injection messages out of the answers altogether).
            meta["grade_flags"] = list(d["flags"])
        return d

    def analyse(
        self, state: SessionState, problem: Problem, answer: str, meta: dict[str, Any]
    ) -> MessageAnalysis | None:
        """What this answer covers here and in later stages, and the wrong claims it makes."""
        knobs = self.knobs()
        rubrics = {s: r for s in STAGE_IDS if (r := self.stage_rubric(s, problem)) is not None}
        try:
            catalogue = list(self.misconceptions().values()) if knobs.challenges else []
            found = analyse(
                answer[: self.cfg().max_answer_chars],
                stage=state.stage,
                problem=problem,
                rubrics=rubrics,
                catalogue=catalogue,
                grade_all=self.grade_all_fn(),
                cross_stage=knobs.cross_stage,
            )
        except InterviewerError as exc:
            meta["analysis_error"] = str(exc)[:200]
            return None
        if found.claims:
            meta["claims"] = [h.misconception for h in found.claims]
        return found

    def misconceptions(self) -> dict[str, Misconception]:
        """The catalogue; a broken coach edit disables challenges (logged), never a turn."""
        import logging

        from interviewer.errors import RubricError
        from interviewer.rubrics.misconceptions import load_misconceptions

        try:
            return load_misconceptions(self._rubrics_dir)
        except RubricError as exc:
            logging.getLogger(__name__).warning(
                "misconception catalogue not loaded: %s", "; ".join(exc.messages[:3])
            )
            return {}

    def grade_all_fn(self) -> Callable[..., dict[str, Any]]:
        """Offline per-stage grades of one message (the injected grader when there is one)."""
        if self._grader is None:
            from interviewer.grading import grade_all

            return grade_all
        grader = self._grader

        def each(
            answer: str, problem: Problem, stages: list[str], *, rubrics: dict[str, Rubric]
        ) -> dict[str, Any]:
            return {s: grader(s, answer, problem, rubric=rubrics[s], llm=None) for s in stages}

        return each

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

    @within_turn_budget  # nested inside message(): the same budget
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
            passage = ""
            if action.intent == "probe" and not self.llm.offline and rubric is not None:
                # The LLM writes its own follow-up from the target's guide passage.
                target = rubric.criterion(action.criterion)
                found = grounding.target_passage(
                    self.passage_search(), problem, action.stage, target
                )
                passage = grounding.passage_text(found)
            phrased = phraser.phrase(
                action,
                state=state,
                problem=problem,
                facts=facts,
                last_message=last_message,
                stage_rubric=rubric,
                passage=passage,
            )
            meta: dict[str, Any] = {"subkind": action.intent}
            if action.question and action.kind in ("question", "followup"):
                meta["asked"] = action.question
            if action.criterion:
                meta["target"] = action.criterion
            if action.misconception:
                meta["misconception"] = action.misconception
                meta["claim"] = str(action.extra.get("claim", ""))
            if phrased.grounded:
                meta["grounded"] = phrased.grounded
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
            elif action.intent == "challenge":
                state = st.record_challenge(state, action.misconception)
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

    def passage_search(self) -> Search | None:
        """Search for grounding follow-ups: the injected one, or the index if it is already
        built (a turn never builds it)."""
        if self._search is not None:
            return self._search
        if self._passage_search is None:
            try:
                from interviewer.retrieval import get_retriever

                retriever = get_retriever()
                if retriever.count() == 0:
                    return None
            except Exception:
                return None

            def search(query: str, k: int, stage: str | None) -> list[Any]:
                return list(retriever.search(query, k=k, stage=stage))

            self._passage_search = search
        return self._passage_search

    def prefetch(self, problem: Problem) -> None:
        """Embed this problem's probes, targets, claim wordings and facts, and find and embed
        each probe target's passage, in the background (once per process and problem), so a
        turn embeds only the candidate's words."""
        with _prefetch_lock:
            if problem.id in _prefetched:
                return
            _prefetched.add(problem.id)

        def run() -> None:
            from interviewer import embeddings

            # Only once the turn path has loaded and used the model: importing torch and
            # transformers from two threads at once can fail inside their imports.
            while not embeddings.model_used.wait(0.5):
                if _prefetch_stop.is_set():
                    return
            try:
                from interviewer.embeddings import get_embedder

                rubrics = [r for s in STAGE_IDS if (r := self.stage_rubric(s, problem))]
                texts = grounding.warm_texts(problem, rubrics, list(self.misconceptions().values()))
                emb = get_embedder()
                for i in range(0, len(texts), PREFETCH_CHUNK):
                    if _prefetch_stop.is_set():  # the process is exiting
                        raise InterruptedError
                    emb.embed_cached(texts[i : i + PREFETCH_CHUNK])
                # Then each probe target's passage (a search per target, cached).
                passages = grounding.warm_passages(
                    self.passage_search(), problem, rubrics, _prefetch_stop.is_set
                )
                for i in range(0, len(passages), PREFETCH_CHUNK):
                    if _prefetch_stop.is_set():
                        raise InterruptedError
                    emb.embed_cached(passages[i : i + PREFETCH_CHUNK])
            except Exception:  # a warm-up only saves time; a turn computes what it needs
                with _prefetch_lock:
                    _prefetched.discard(problem.id)

        thread = threading.Thread(target=run, name=f"prefetch-{problem.id}", daemon=True)
        _prefetch_threads.append(thread)
        thread.start()

    @staticmethod
    def wait_prefetch(timeout: float = 60.0) -> bool:
        """Wait for the background embedding of started problems (benchmarks measure the
        steady state; the first turns of a problem's first interview share the CPU with it)."""
        import time as _time

        deadline = _time.monotonic() + timeout
        for thread in list(_prefetch_threads):
            thread.join(max(0.0, deadline - _time.monotonic()))
        return not any(t.is_alive() for t in _prefetch_threads)

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
