"""Score the offline grader against ``labelled.jsonl``.

    .venv/bin/python -m evals.grading [--split holdout|holdoutN|dev|test|tune|all] [--json]

Splits: ``dev`` and ``test`` (``labelled.jsonl``) and ``holdout1`` to ``holdout11`` are tuning
data (``tune`` = all thirteen). Each ``holdoutN`` was labelled before any grader ran on it
(``holdout2`` to ``holdout12`` by separate authors who never saw the grader, and committed
before the first run); it was the held-out split until its figures were reported and its misses
studied, and from then on it counts as tuning data. The newest,
``holdout12``, is the honest figure, and ``holdout`` names it: nothing is tuned on it. ``all`` is
every labelled answer.

Metrics: Spearman between grade and label (all answers of the split, and on-stage only), MAE,
per-stage AUC of on-stage answers with substance (label >= 2) against off-stage answers (and,
for reference, of every on-stage answer), the highest score given to any injection or
keyword-stuffed answer, how often each guard flag fired on the answers of its kind, and the
median grading time.
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
FILES = tuple(HERE / f for f in ("labelled.jsonl", *(f"holdout{i}.jsonl" for i in range(1, 13))))
HELD_OUT = "holdout12"  # the split ``holdout`` means: never tuned on
SPLITS = ("holdout", *(f"holdout{i}" for i in range(12, 0, -1)), "dev", "test", "tune", "all")
TUNING_SPLITS = ("dev", "test", *(f"holdout{i}" for i in range(1, 12)))
KINDS = (
    "on_stage",
    "off_stage",
    "keyword_stuffed",
    "injection",
    "gibberish",
    "empty",
    "repetition",
)
EXPECTED_FLAG = {
    "off_stage": "off_stage",
    "keyword_stuffed": "keyword_stuffing",
    "injection": "injection",
    "gibberish": "gibberish",
    "empty": "empty",
    "repetition": "repetition",
}
GUARDED = ("injection", "keyword_stuffed")
TARGETS = {"spearman": 0.75, "auc_min": 0.9, "max_guarded": 1.0}


def _read(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def load(split: str = "holdout", path: Path | None = None) -> list[dict[str, Any]]:
    """Rows of ``split``; ``path`` reads one file instead of the two shipped ones."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    rows = _read(path) if path is not None else [r for f in FILES for r in _read(f)]
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
    out["targets_met"] = {
        "spearman": out["spearman"] is not None and out["spearman"] >= TARGETS["spearman"],
        "auc_min": out["auc_min"] is not None and out["auc_min"] >= TARGETS["auc_min"],
        "max_guarded": out["max_guarded"] is not None
        and out["max_guarded"] <= TARGETS["max_guarded"],
    }
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
