"""Score the offline grader against ``labelled.jsonl``.

    .venv/bin/python -m evals.grading [--split holdout|holdoutN|dev|test|tune|all] [--json]

Splits: ``dev`` and ``test`` (``labelled.jsonl``) and ``holdout1`` to ``holdout19`` are tuning
data (``tune`` = all twenty-one). Each ``holdoutN`` was labelled before any grader ran on it
(``holdout2`` on by separate authors who never saw the grader, and committed before the first
run); it was the held-out split until its figures were reported and its misses studied, and
from then on it counts as tuning data. The newest, ``holdout20`` (``holdout20-a`` and ``-b``,
three off-stage answers per stage), is the honest figure, and
``holdout`` names it: nothing is tuned on it. ``all`` is every labelled answer.

Metrics: Spearman between grade and label (all answers of the split, and on-stage only), MAE
(and MAE of on-stage answers by ``form``: prose, notes, outline), per-stage AUC of on-stage
answers with substance (label >= 2) against off-stage answers (and, for reference, of every
on-stage answer), the highest grade of any level-2 answer, the highest score given to any
injection or keyword-stuffed answer (and every injection's grade), the share of honest answers
(on-stage, off-stage, questions) carrying an accusing flag, the injection detector's recall
(injection answers flagged) and false-positive rate (honest answers flagged as injections), how
often each guard flag fired on the answers of its kind, and the median grading time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
FILES = tuple(
    HERE / f
    for f in (
        "labelled.jsonl",
        *(f"holdout{i}.jsonl" for i in range(1, 15)),
        "holdout15-a.jsonl",
        "holdout15-b.jsonl",
        "holdout16-a.jsonl",
        "holdout16-b.jsonl",
        "holdout17-a.jsonl",
        "holdout17-b.jsonl",
        "holdout18-a.jsonl",
        "holdout18-b.jsonl",
        "holdout19-a.jsonl",
        "holdout19-b.jsonl",
        "holdout20-a.jsonl",
        "holdout20-b.jsonl",
    )
)
HELD_OUT = "holdout20"  # the split ``holdout`` means: never tuned on
SPLITS = ("holdout", *(f"holdout{i}" for i in range(20, 0, -1)), "dev", "test", "tune", "all")
TUNING_SPLITS = ("dev", "test", *(f"holdout{i}" for i in range(1, 20)))
KINDS = (
    "on_stage",
    "off_stage",
    "keyword_stuffed",
    "injection",
    "gibberish",
    "empty",
    "repetition",
    "question",
)
HONEST = ("on_stage", "off_stage", "question")
# Flags that accuse an answer of something (off-stage only counts on on-stage answers).
ACCUSING = ("injection", "keyword_stuffing", "gibberish")
EXPECTED_FLAG = {
    "off_stage": "off_stage",
    "keyword_stuffed": "keyword_stuffing",
    "injection": "injection",
    "gibberish": "gibberish",
    "empty": "empty",
    "repetition": "repetition",
}
GUARDED = ("injection", "keyword_stuffed")
# Issue 11's targets (the newest blind set).
TARGETS = {
    "spearman": 0.85,
    "auc_min": 0.95,
    "max_guarded": 1.0,
    "max_level2": 3.0,  # strictly below
    "honest_flagged": 0.03,
    "form_mae_gap": 0.1,  # |notes MAE - prose MAE| of on-stage answers, at most
}


def _read(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def load(split: str = "holdout", path: Path | None = None) -> list[dict[str, Any]]:
    """Rows of ``split``; ``path`` reads one file instead of the two shipped ones."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    rows = _read(path) if path is not None else [r for f in FILES if f.exists() for r in _read(f)]
    if split == "all":
        return rows
    if split == "tune":
        return [r for r in rows if r["split"] in TUNING_SPLITS]
    wanted = HELD_OUT if split == "holdout" else split
    return [r for r in rows if r["split"] == wanted]


def auc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half)."""
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(spearmanr(x, y).statistic)


def metrics(
    rows: list[dict[str, Any]], scores: list[float], flags: list[list[str]] | None = None
) -> dict[str, Any]:
    labels = [float(r["label"]) for r in rows]
    flags = flags or [[] for _ in rows]
    on = [i for i, r in enumerate(rows) if r["kind"] == "on_stage"]
    out: dict[str, Any] = {
        "n": len(rows),
        "spearman": _spearman(scores, labels),
        "spearman_on_stage": _spearman([scores[i] for i in on], [labels[i] for i in on]),
        "mae": statistics.fmean(abs(s - lab) for s, lab in zip(scores, labels, strict=True))
        if rows
        else None,
    }
    per_stage: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r, s in zip(rows, scores, strict=True):
        bucket = per_stage[r["stage"]]
        if r["kind"] == "on_stage":
            bucket["on_all"].append(s)
            if r["label"] >= 2:
                bucket["on"].append(s)
        elif r["kind"] == "off_stage":
            bucket["off"].append(s)
    out["auc_per_stage"] = {st: auc(b["on"], b["off"]) for st, b in sorted(per_stage.items())}
    out["auc_per_stage_all_on_stage"] = {
        st: auc(b["on_all"], b["off"]) for st, b in sorted(per_stage.items())
    }
    aucs = [a for a in out["auc_per_stage"].values() if a is not None]
    out["auc_min"] = min(aucs) if aucs else None
    guarded = [s for r, s in zip(rows, scores, strict=True) if r["kind"] in GUARDED]
    out["max_guarded"] = max(guarded) if guarded else None
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        idx = [i for i, r in enumerate(rows) if r["kind"] == kind]
        if not idx:
            continue
        entry = {
            "n": len(idx),
            "mean_score": round(statistics.fmean(scores[i] for i in idx), 2),
            "mean_label": round(statistics.fmean(labels[i] for i in idx), 2),
        }
        if kind in EXPECTED_FLAG:
            hits = sum(EXPECTED_FLAG[kind] in flags[i] for i in idx)
            entry["flagged"] = round(hits / len(idx), 2)
        kinds[kind] = entry
    out["kinds"] = kinds
    out["on_stage_falsely_flagged"] = sorted(
        {
            f
            for i in on
            for f in flags[i]
            if f in {"off_stage", "keyword_stuffing", "gibberish", "injection"}
        }
    )
    out["on_stage_false_flag_rate"] = (
        round(
            sum(
                any(
                    f in flags[i]
                    for f in ("off_stage", "keyword_stuffing", "gibberish", "injection")
                )
                for i in on
            )
            / len(on),
            3,
        )
        if on
        else None
    )
    out.update(_issue11(rows, scores, flags, labels))
    gap = out["form_mae_gap"]
    out["targets_met"] = {
        "spearman": out["spearman"] is not None and out["spearman"] >= TARGETS["spearman"],
        "auc_min": out["auc_min"] is not None and out["auc_min"] >= TARGETS["auc_min"],
        "max_guarded": out["max_guarded"] is not None
        and out["max_guarded"] <= TARGETS["max_guarded"],
        "max_level2": out["max_level2"] is None or out["max_level2"] < TARGETS["max_level2"],
        "honest_flagged": out["honest_flagged"] is None
        or out["honest_flagged"] <= TARGETS["honest_flagged"],
        "form_mae_gap": gap is None or abs(gap) <= TARGETS["form_mae_gap"],
    }
    return out


def _issue11(
    rows: list[dict[str, Any]], scores: list[float], flags: list[list[str]], labels: list[float]
) -> dict[str, Any]:
    """MAE by form, level-2 ceiling, honest answers flagged, injections and the detector."""
    out: dict[str, Any] = {}
    by_form: dict[str, list[float]] = defaultdict(list)
    by_form_all: dict[str, list[float]] = defaultdict(list)
    for r, s, lab in zip(rows, scores, labels, strict=True):
        form = r.get("form")
        if form:
            by_form_all[form].append(abs(s - lab))
            if r["kind"] == "on_stage":
                by_form[form].append(abs(s - lab))
    out["mae_by_form_on_stage"] = {
        f: {"n": len(v), "mae": round(statistics.fmean(v), 3)} for f, v in sorted(by_form.items())
    }
    out["mae_by_form_all"] = {
        f: {"n": len(v), "mae": round(statistics.fmean(v), 3)}
        for f, v in sorted(by_form_all.items())
    }
    notes, prose = by_form.get("notes"), by_form.get("prose")
    out["form_mae_gap"] = (
        round(statistics.fmean(notes) - statistics.fmean(prose), 3) if notes and prose else None
    )
    level2 = [
        s for r, s in zip(rows, scores, strict=True) if r["kind"] == "on_stage" and r["label"] == 2
    ]
    out["max_level2"] = max(level2) if level2 else None
    out["mean_level2"] = round(statistics.fmean(level2), 2) if level2 else None
    honest = [i for i, r in enumerate(rows) if r["kind"] in HONEST]

    def accused(i: int) -> bool:
        extra = ("off_stage",) if rows[i]["kind"] == "on_stage" else ()
        return any(f in flags[i] for f in (*ACCUSING, *extra))

    out["honest_n"] = len(honest)
    out["honest_flagged"] = (
        round(sum(accused(i) for i in honest) / len(honest), 3) if honest else None
    )
    injections = [i for i, r in enumerate(rows) if r["kind"] == "injection"]
    out["injection_grades"] = {rows[i]["id"]: scores[i] for i in injections}
    out["max_injection"] = max((scores[i] for i in injections), default=None)
    out["detector_recall"] = (
        round(sum("injection" in flags[i] for i in injections) / len(injections), 3)
        if injections
        else None
    )
    out["detector_fpr"] = (
        round(sum("injection" in flags[i] for i in honest) / len(honest), 3) if honest else None
    )
    return out


def grade_rows(
    rows: list[dict[str, Any]], grader: Callable[..., Any] | None = None, **kwargs: Any
) -> tuple[list[float], list[list[str]], list[float]]:
    """Grade every row (offline unless ``grader``/kwargs say otherwise): scores, flags, ms."""
    from interviewer.grading import grade, warm_up
    from interviewer.rubrics.loader import get_problem

    grader = grader or grade
    warm_up()
    scores, flags, ms = [], [], []
    for r in rows:
        problem = get_problem(r["problem"]) if r.get("problem") else None
        start = time.perf_counter()
        g = grader(r["stage"], r["answer"], problem, **kwargs)
        ms.append((time.perf_counter() - start) * 1000)
        scores.append(float(g.score))
        flags.append(list(g.flags))
    return scores, flags, ms


def run(split: str = "holdout", *, path: Path | None = None, **grade_kwargs: Any) -> dict[str, Any]:
    rows = load(split, path)
    scores, flags, ms = grade_rows(rows, **grade_kwargs)
    out = metrics(rows, scores, flags)
    out["split"] = split
    out["grade_ms_p50"] = round(statistics.median(ms), 1) if ms else None
    out["rows"] = [
        {
            "id": r["id"],
            "stage": r["stage"],
            "kind": r["kind"],
            "label": r["label"],
            "score": s,
            "flags": f,
        }
        for r, s, f in zip(rows, scores, flags, strict=True)
    ]
    return out


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_stage[r["stage"]].append(r)
    lines = [
        f"split={result['split']}  n={result['n']}  grade_ms_p50={result['grade_ms_p50']}",
        f"{'stage':<14}{'n':>4}{'spearman':>10}{'mae':>8}{'auc':>8}{'auc_all':>9}"
        f"{'max_guarded':>13}",
    ]
    for stage, rs in sorted(by_stage.items()):
        m = metrics(
            [{"stage": r["stage"], "kind": r["kind"], "label": r["label"]} for r in rs],
            [r["score"] for r in rs],
            [r["flags"] for r in rs],
        )
        lines.append(
            f"{stage:<14}{len(rs):>4}{_fmt(m['spearman']):>10}{_fmt(m['mae']):>8}"
            f"{_fmt(m['auc_per_stage'].get(stage)):>8}"
            f"{_fmt(m['auc_per_stage_all_on_stage'].get(stage)):>9}"
            f"{_fmt(m['max_guarded']):>13}"
        )
    lines.append(
        f"{'ALL':<14}{result['n']:>4}{_fmt(result['spearman']):>10}"
        f"{_fmt(result['mae']):>8}{_fmt(result['auc_min']):>8}{'':>9}"
        f"{_fmt(result['max_guarded']):>13}   (auc column: min over stages)"
    )
    lines.append(
        "kinds: "
        + ", ".join(
            f"{k} score {v['mean_score']} / label {v['mean_label']}"
            + (f" flagged {v['flagged']:.0%}" if "flagged" in v else "")
            for k, v in result["kinds"].items()
        )
    )
    forms = ", ".join(
        f"{f} {v['mae']:.3f} (n={v['n']})" for f, v in result["mae_by_form_on_stage"].items()
    )
    lines.append(
        f"on-stage MAE by form: {forms or '-'}  (notes - prose: {_fmt(result['form_mae_gap'])})"
    )
    lines.append(
        f"level-2 answers: max {_fmt(result['max_level2'])}, mean {_fmt(result['mean_level2'])}; "
        f"honest answers flagged: {_fmt(result['honest_flagged'])} of {result['honest_n']}; "
        f"max injection {_fmt(result['max_injection'])}; detector recall "
        f"{_fmt(result['detector_recall'])}, false-positive rate {_fmt(result['detector_fpr'])}"
    )
    lines.append("targets met: " + ", ".join(f"{k}={v}" for k, v in result["targets_met"].items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.grading", description="Offline grader vs hand-labelled answers."
    )
    parser.add_argument("--split", choices=SPLITS, default="holdout")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    parser.add_argument("--rows", action="store_true", help="include per-answer rows in the JSON")
    args = parser.parse_args(argv)
    result = run(args.split)
    summary = result if args.rows else {k: v for k, v in result.items() if k != "rows"}
    if not args.json:
        print(table(result))
        print()
    print(json.dumps(summary, indent=2))
    return 0
