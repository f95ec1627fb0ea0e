"""Run simulated interviews against interviewer variants, in parallel, one JSONL record each.

Each case (variant × persona × problem × repeat) gets its own LLM instance (so token metering
is per interview), its own persona and its own session; the variant's settings are applied per
run (constructor arguments where InterviewService takes them, thread-local overrides for the
rest: see :mod:`evals.overrides`). The engine is thread-safe, so cases run on worker threads.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from evals import metrics as M
from evals.personas import Persona, make_persona
from evals.variants import Variant

MAX_MESSAGES = 80  # a persona that never finishes is cut off here (and the run says so)
PRICES = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class Case:
    variant: Variant
    persona: str
    problem: str
    repeat: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.persona, self.problem, self.repeat)


class TokenMeter(BaseCallbackHandler):
    """Counts prompt/completion tokens (tiktoken cl100k) and time of every chat-model call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, float]] = []
        self._open: dict[UUID, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self, serialized: Any, messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        from interviewer.tokens import count_tokens

        batch = messages[0] if messages else []
        tokens = sum(count_tokens(str(m.content)) + 4 for m in batch) + 2
        with self._lock:
            self._open[run_id] = (time.perf_counter(), tokens)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        from interviewer.tokens import count_tokens

        out = sum(count_tokens(g.text) for gens in response.generations for g in gens)
        self._close(run_id, out)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, 0)

    def _close(self, run_id: UUID, completion: int) -> None:
        with self._lock:
            start, prompt = self._open.pop(run_id, (time.perf_counter(), 0))
            self.calls.append((prompt, completion, time.perf_counter() - start))


@functools.lru_cache(maxsize=1)
def prices() -> dict[str, dict[str, float]]:
    import yaml

    data = yaml.safe_load(PRICES.read_text(encoding="utf-8")) or {}
    return {
        str(k): {"input": float(v["input"]), "output": float(v["output"])} for k, v in data.items()
    }


def cost_usd(variant: Variant, model: str, prompt: int, completion: int) -> float | None:
    if variant.offline:
        return 0.0
    price = prices().get(variant.price_as or model)
    if price is None:
        return None
    return (prompt * price["input"] + completion * price["output"]) / 1e6


def _search_fn(variant: Variant) -> Callable[[str, int, str | None], list[Any]]:
    if variant.retrieval_k == 0:
        return lambda query, k, stage: []
    from interviewer.retrieval import get_retriever

    retriever = get_retriever()

    def search(query: str, k: int, stage: str | None) -> list[Any]:
        return list(retriever.search(query, k=variant.retrieval_k, stage=stage))

    return search


def _effective_rubrics(problem: Any) -> dict[str, Any]:
    from interviewer.rubrics.loader import effective_rubric, load_rubrics

    return {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}


def _service_kwargs(v: Variant) -> dict[str, Any]:
    """Per-run settings as constructor arguments, for those InterviewService accepts (the
    thread-local overrides in :func:`run_interview` cover the rest)."""
    from evals.overrides import service_accepts
    from interviewer.settings import get_settings

    update = {"followup_budget": v.followup_budget, "citations_per_gap": v.citations_per_gap}
    out: dict[str, Any] = {}
    if service_accepts("settings"):
        out["settings"] = get_settings().model_copy(update=update)
    if service_accepts("followup_budget"):
        out["followup_budget"] = v.followup_budget
    if service_accepts("prompt_versions"):
        out["prompt_versions"] = dict(v.prompts)
    return out


def run_interview(
    case: Case, db_path: Path, *, judge_llm: Any = None, persona_llm: Any = None
) -> dict[str, Any]:
    """One full interview; returns the JSONL record (never raises for an engine error)."""
    from interviewer.rubrics.loader import get_problem

    started = time.time()
    v = case.variant
    try:
        problem = get_problem(case.problem)
        rubrics = _effective_rubrics(problem)
        persona = make_persona(case.persona, problem, rubrics, seed=case.repeat, llm=persona_llm)
        from evals import overrides

        with overrides.applied(
            {"followup_budget": v.followup_budget, "citations_per_gap": v.citations_per_gap},
            v.prompts,
        ):
            record = _interview(case, problem, rubrics, persona, db_path, judge_llm)
    except Exception as exc:  # one broken case must not sink a long run
        record = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=6),
        }
    record.update(
        {
            "variant": v.name,
            "persona": case.persona,
            "problem": case.problem,
            "repeat": case.repeat,
            "started": round(started, 3),
        }
    )
    record.setdefault("timings", {})["total_s"] = round(time.time() - started, 3)
    return record


def _interview(
    case: Case,
    problem: Any,
    rubrics: dict[str, Any],
    persona: Persona,
    db_path: Path,
    judge_llm: Any,
) -> dict[str, Any]:
    from interviewer.grading import grade
    from interviewer.llm import get_llm
    from interviewer.session.service import InterviewService

    v = case.variant
    llm = get_llm(v.provider, v.model)
    meter = TokenMeter()
    if llm.chat is not None:
        llm.chat.callbacks = [meter]
    grading_llm = llm if (v.grader.llm and not llm.offline) else None
    grader = functools.partial(grade, llm_weight=v.grader.llm_weight)
    svc = InterviewService(
        db_path,
        llm=llm,
        grading_llm=grading_llm,
        grader=grader,
        search=_search_fn(v),
        **_service_kwargs(v),
    )
    view = svc.start(case.problem, user=f"eval:{v.name}")
    truth: list[frozenset[str] | None] = [None] * len(view.turns)
    last = list(view.turns)
    stage = view.stage
    latencies: list[float] = []
    clar_index: int | None = None
    n_turns = len(view.turns)
    finished = view.finished
    cut_off = False
    for _ in range(MAX_MESSAGES):
        if finished:
            break
        message = persona.reply(stage, last)
        if clar_index is None and persona.asked_facts:
            clar_index = n_turns
        t0 = time.perf_counter()
        replies = svc.respond(view.id, message)
        latencies.append((time.perf_counter() - t0) * 1000)
        truth.append(persona.covered(stage) if persona.has_truth else None)
        truth += [None] * len(replies)
        n_turns += 1 + len(replies)
        last = replies
        if replies:
            stage = replies[-1].stage
        finished = any(r.kind == "report" for r in replies)
    else:
        cut_off = not finished
    if not finished:
        svc.end(view.id)
    transcript = svc.transcript(view.id)
    turns = transcript["turns"]
    if len(truth) < len(turns):  # e.g. the closing report from svc.end()
        truth += [None] * (len(turns) - len(truth))

    def ref(stage_id: str, target: str, upto: int) -> bool | None:
        merged = "\n\n".join(
            str(t["text"])
            for t in turns[: upto + 1]
            if t["role"] == "candidate" and t["stage"] == stage_id
        )
        if stage_id not in rubrics:
            return None
        g = grade(stage_id, merged, problem, rubric=rubrics[stage_id])
        return any(c.id == target and c.score <= 1 for c in g.criteria)

    probes = M.probes_from(turns, truth, ref)
    leaks = M.find_leaks(turns, problem, rubrics, extra_asked=persona.asked_facts)
    interviewer_turns = [t for t in turns if t["role"] == "interviewer" and t["kind"] != "report"]
    leak_turns = len({lk.turn for lk in leaks})
    on_target, with_truth = M.share(p.truly_missing for p in probes)
    ref_on, ref_n = M.share(p.ref_missing for p in probes)
    clar = M.clarification_accuracy(turns, problem, clar_index, persona.asked_facts)
    per_stage = M.turns_per_stage(turns)
    prompt_tokens = sum(c[0] for c in meter.calls)
    completion_tokens = sum(c[1] for c in meter.calls)
    report = transcript.get("report") or {}
    metrics: dict[str, Any] = {
        "overall_score": report.get("overall"),
        "stage_scores": report.get("stages", {}),
        "stage_coverage": M.stage_coverage(turns),
        "finished": bool(transcript.get("finished")) and not cut_off,
        "followups": sum(t["kind"] == "followup" for t in interviewer_turns),
        "probes": len(probes),
        "probes_with_truth": with_truth,
        "probes_on_target": on_target,
        "followup_targeting": on_target / with_truth if with_truth else None,
        "probes_ref": ref_n,
        "probes_ref_on_target": ref_on,
        "followup_targeting_ref": ref_on / ref_n if ref_n else None,
        "interviewer_turns": len(interviewer_turns),
        "leak_turns": leak_turns,
        "leakage": leak_turns / len(interviewer_turns) if interviewer_turns else 0.0,
        "clarification_accuracy": clar,
        "clarification_facts": len(persona.asked_facts),
        "turns": sum(per_stage.values()),
        "turns_per_stage": per_stage,
        "mean_turns_per_stage": M.mean(per_stage.values()),
        "latency_ms_p50": M.percentile(latencies, 50),
        "latency_ms_p95": M.percentile(latencies, 95),
        "fallbacks": sum("fallback" in str(t.get("engine", "")) for t in interviewer_turns),
        "llm_calls": len(meter.calls),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "max_prompt_tokens": max([c[0] for c in meter.calls], default=0),
        "cost_usd": cost_usd(v, llm.model, prompt_tokens, completion_tokens),
    }
    if judge_llm is not None:
        from evals.judge import judge_transcript

        metrics["judge"] = judge_transcript(judge_llm, transcript, problem)
    return {
        "ok": True,
        "session_id": view.id,
        "metrics": metrics,
        "prompt_versions": transcript.get("prompt_versions", []),
        "variant_prompts": v.prompt_tags(),
        "models": {
            "provider": v.provider,
            "model": llm.model,
            "engine": llm.label,
            "grader": "llm+offline" if grading_llm is not None else "offline",
            "llm_weight": v.grader.llm_weight,
        },
        "settings": {
            "followup_budget": v.followup_budget,
            "retrieval_k": v.retrieval_k,
            "citations_per_gap": v.citations_per_gap,
        },
        "timings": {"turn_ms": [round(x, 2) for x in latencies]},
        "leaks": [{"turn": lk.turn, "kind": lk.kind, "detail": lk.detail} for lk in leaks[:10]],
        "probes": [
            {
                "stage": p.stage,
                "target": p.target,
                "truly_missing": p.truly_missing,
                "ref_missing": p.ref_missing,
            }
            for p in probes
        ],
        "cut_off": cut_off,
        "prompt_tokens_per_call": [c[0] for c in meter.calls],
    }


def prepare(variants: Sequence[Variant]) -> None:
    """Everything that must happen once, before worker threads start."""
    from evals import fakes, overrides
    from interviewer.grading import warm_up

    fakes.register()
    overrides.install()
    warm_up()
    if any(v.retrieval_k for v in variants):
        from interviewer.retrieval import ensure_index

        ensure_index()


def run_cases(
    cases: Sequence[Case],
    out_dir: Path,
    *,
    workers: int = 2,
    progress: bool = True,
    judge_llm: Any = None,
    persona_llm: Any = None,
) -> list[dict[str, Any]]:
    """Run every case, appending records to ``out_dir/records.jsonl`` as they finish."""
    from tqdm import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "records.jsonl"
    db_path = out_dir / "sessions.db"
    records: list[dict[str, Any]] = []
    lock = threading.Lock()
    bar = tqdm(
        total=len(cases),
        desc="eval",
        unit="interview",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    with (
        path.open("w", encoding="utf-8") as fh,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        futures = [
            pool.submit(run_interview, c, db_path, judge_llm=judge_llm, persona_llm=persona_llm)
            for c in cases
        ]
        for fut in as_completed(futures):
            rec = fut.result()
            with lock:
                records.append(rec)
                fh.write(json.dumps(rec, default=str) + "\n")
                fh.flush()
            bar.set_postfix_str(f"{rec['variant']}/{rec['persona']}", refresh=False)
            bar.update(1)
    bar.close()
    order = {(*c.key, c.variant.name): i for i, c in enumerate(cases)}
    records.sort(
        key=lambda r: order.get((r["persona"], r["problem"], r["repeat"], r["variant"]), 0)
    )
    return records


def make_cases(
    variants: Sequence[Variant], personas: Sequence[str], problems: Sequence[str], repeat: int
) -> list[Case]:
    return [
        Case(v, p, pr, r)
        for pr in problems
        for p in personas
        for r in range(repeat)
        for v in variants
    ]
