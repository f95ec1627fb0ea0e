"""``interviewer eval``: variants × personas × problems × repeats → JSONL, summary, HTML.

Suites: ``interview`` (simulated interviews), ``grading`` (agreement with the labelled set via
``evals/grading``'s scorer, per distinct grader configuration), ``retrieval`` (the retrieval
helper's scorer in ``evals/retrieval``, if present), ``listening`` (the labelled interview
moments of ``evals/listening``, per distinct listening policy), ``all``.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.variants import Variant

if TYPE_CHECKING:
    from interviewer.llm.base import LLM

SUITES = ("interview", "grading", "retrieval", "listening", "all")


def default_personas() -> list[str]:
    from evals.personas import SCRIPTED
    from interviewer.settings import get_settings

    extra = ["llm"] if get_settings().provider != "offline" else []
    return [*SCRIPTED, *extra]


def check_personas(names: Sequence[str]) -> list[str]:
    from evals.personas import PERSONAS
    from interviewer.errors import UnknownIdError

    for n in names:
        if n not in PERSONAS:
            raise UnknownIdError("persona", n, PERSONAS)
    return list(dict.fromkeys(names))


def check_problems(ids: Sequence[str] | None) -> list[str]:
    from interviewer.rubrics.loader import get_problem, load_problems

    if not ids:
        return sorted(load_problems())
    return [get_problem(i).id for i in dict.fromkeys(ids)]


def grading_suite(variants: Sequence[Variant], split: str | None = None) -> dict[str, Any]:
    """Agreement of each distinct grader configuration with the labelled answers, on the
    split nobody tuned on (``holdout`` when the scorer has one, else ``test``)."""
    try:
        score = importlib.import_module("evals.grading.score")
    except ImportError as exc:
        return {"available": False, "reason": f"evals.grading not importable: {exc}"}
    if split is None:
        split = "holdout" if "holdout" in getattr(score, "SPLITS", ()) else "test"
    from evals import overrides
    from interviewer.llm import get_llm

    out: dict[str, Any] = {"available": True, "split": split, "variants": {}}
    done: dict[tuple[Any, ...], dict[str, Any]] = {}
    for v in variants:
        uses_llm = v.grader.llm and not v.offline
        key = (
            (v.provider, v.model, v.grader.llm_weight, tuple(sorted(v.prompts.items())))
            if uses_llm
            else ("offline",)
        )
        if key not in done:
            kwargs: dict[str, Any] = {}
            if uses_llm:
                kwargs = {"llm": get_llm(v.provider, v.model), "llm_weight": v.grader.llm_weight}
            with overrides.applied({}, v.prompts):
                result = score.run(split, **kwargs)
            keep = (
                "n",
                "spearman",
                "spearman_on_stage",
                "mae",
                "auc_min",
                "max_guarded",
                "grade_ms_p50",
                "targets_met",
                "auc_per_stage",
            )
            done[key] = {k: result.get(k) for k in keep}
        out["variants"][v.name] = done[key]
    return out


def listening_suite(variants: Sequence[Variant], progress: bool = True) -> dict[str, Any]:
    """The listening metrics on the newest blind set of interview moments, once per distinct
    listening policy (the offline engine: the policy decides what to ask)."""
    from evals.listening.__main__ import run_moments
    from evals.listening.metrics import summarise as listening_summary
    from evals.listening.moments import NEWEST, load_set

    moments = load_set(NEWEST)
    out: dict[str, Any] = {"available": True, "set": NEWEST, "variants": {}}
    done: dict[str, dict[str, Any]] = {}
    for v in variants:
        if v.listening_policy not in done:
            rows = run_moments(moments, policy=v.listening_policy, progress=progress)
            done[v.listening_policy] = {"policy": v.listening_policy, **listening_summary(rows)}
        out["variants"][v.name] = done[v.listening_policy]
    return out


def retrieval_suite() -> dict[str, Any]:
    """The retrieval benchmark (``evals.retrieval``), once: it does not depend on the variant
    (it ranks the corpus for labelled queries in every retrieval mode)."""
    from evals.retrieval.bench import run

    return {"available": True, "result": run()}


def run_eval(
    variants: Sequence[Variant],
    *,
    personas: Sequence[str],
    problems: Sequence[str],
    repeat: int,
    out_dir: Path,
    workers: int,
    suite: str = "interview",
    judge: LLM | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    from evals import harness, report
    from evals.aggregate import summarise

    start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    harness.prepare(variants)
    suites: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    if suite in ("interview", "all"):
        from interviewer.llm import get_llm

        persona_llm = get_llm() if "llm" in personas else None
        cases = harness.make_cases(variants, personas, problems, repeat)
        records = harness.run_cases(
            cases,
            out_dir,
            workers=workers,
            progress=progress,
            judge_llm=judge,
            persona_llm=persona_llm,
        )
    if suite in ("grading", "all"):
        suites["grading"] = grading_suite(variants)
    if suite in ("retrieval", "all"):
        suites["retrieval"] = retrieval_suite()
    if suite in ("listening", "all"):
        suites["listening"] = listening_suite(variants, progress)
    names = [v.name for v in variants]
    summary = summarise(records, names) if records else {"variants": {}, "errors": []}
    meta = {
        "personas": list(personas),
        "problems": list(problems),
        "repeat": repeat,
        "workers": workers,
        "suite": suite,
        "suites": suites,
        "seconds": time.perf_counter() - start,
        "variants": [v.model_dump() for v in variants],
    }
    summary_out = {"meta": meta, **summary}
    (out_dir / "summary.json").write_text(
        json.dumps(summary_out, indent=2, default=str), encoding="utf-8"
    )
    if suites:
        (out_dir / "suites.json").write_text(
            json.dumps(suites, indent=2, default=str), encoding="utf-8"
        )
    paths = {"summary": out_dir / "summary.json"}
    if records or suites:
        paths["records"] = out_dir / "records.jsonl"
        paths["report"] = report.write(out_dir, summary, records, variants, meta)
    return {"summary": summary_out, "paths": paths, "records": records}


def rebuild(out_dir: Path) -> Path:
    """Recompute summary.json and report.html from an existing run's records.jsonl (after a
    change to the aggregation or the report, without re-running the interviews)."""
    from evals import report
    from evals.aggregate import summarise

    missing = [n for n in ("summary.json", "records.jsonl") if not (out_dir / n).is_file()]
    if missing:
        sys.exit(f"{out_dir}: not an eval output directory (no {', '.join(missing)})")

    old = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    meta = old["meta"]
    variants = [Variant.model_validate(v) for v in meta["variants"]]
    records = [
        json.loads(line)
        for line in (out_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    summary = summarise(records, [v.name for v in variants])
    (out_dir / "summary.json").write_text(
        json.dumps({"meta": meta, **summary}, indent=2, default=str), encoding="utf-8"
    )
    return report.write(out_dir, summary, records, variants, meta)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "rebuild":
        sys.exit("usage: python -m evals.run rebuild OUT_DIR")
    print(rebuild(Path(sys.argv[2])))
