"""Calibrate :class:`OfflineParams` on the dev split (never on test).

    .venv/bin/python -m evals.grading.tune [--iterations 400] [--seed 0]

Signals are extracted once per answer (one embedding call each); the search then rescored
them with candidate parameters: a random search followed by coordinate refinement, maximising
Spearman minus a small MAE term, subject to the guard targets (AUC, max guarded score).
The printed parameters are copied into ``interviewer/grading/offline.py`` by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from collections.abc import Sequence
from typing import Any

from evals.grading.score import load, metrics
from interviewer.grading import fusion, guards, offline
from interviewer.grading.offline import OfflineParams

Prepared = tuple[dict[str, Any], guards.Prepared, offline.AnswerFeatures | None, dict[str, float]]


def prepare_rows(split: str = "dev") -> list[Prepared]:
    if split == "test":
        raise SystemExit("refusing to tune on the held-out test split")
    from interviewer.grading import warm_up
    from interviewer.grading.index import rubric_index, stage_indexes
    from interviewer.rubrics.loader import effective_rubric, get_problem, get_rubric
    from interviewer.settings import get_settings

    warm_up()
    out: list[Prepared] = []
    for r in load(split):
        eff = effective_rubric(get_rubric(r["stage"]), get_problem(r["problem"]))
        prep = guards.prepare(r["answer"], get_settings().max_answer_chars)
        feats = offline.extract(prep, rubric_index(eff), stage_indexes()) if prep.units else None
        out.append((r, prep, feats, {c.id: c.weight for c in eff.criteria}))
    return out


def score_all(rows: list[Prepared], params: OfflineParams,
              credit: list[float] | None = None) -> tuple[list[float], list[list[str]]]:
    """Stage scores and flags; ``credit`` (if given) collects, for weak on-stage answers
    (label <= 1), the weighted share of criteria that still scored 2 or more."""
    scores, flags = [], []
    for r, prep, feats, weights in rows:
        if feats is None:
            scores.append(0.0)
            flags.append(prep.flags or ["empty"])
            continue
        result = offline.score(feats, prep, params)
        crit = fusion.apply_guards(fusion.offline_criteria(prep, result), result, prep)
        g = fusion.stage_grade(r["stage"], crit, weights, result.flags, "offline", result.cap)
        scores.append(g.score)
        flags.append(g.flags)
        if credit is not None and r["kind"] == "on_stage" and r["label"] <= 1:
            total = sum(weights.values())
            credit.append(sum(weights[c.id] for c in crit if c.score >= 2) / total)
    return scores, flags


def objective(m: dict[str, Any], false_credit: float = 0.0) -> float:
    """Spearman first; MAE a little; and per-criterion honesty: a weak answer must not collect
    2s on criteria it never addressed (the interview policy probes the criteria scored <= 1)."""
    value = (m["spearman"] or 0.0) - 0.05 * (m["mae"] or 0.0) - 0.5 * false_credit
    if m["auc_min"] is not None and m["auc_min"] < 0.9:
        value -= 2.0 * (0.9 - m["auc_min"])
    if m["max_guarded"] is not None and m["max_guarded"] > 1.0:
        value -= 1.0
    return float(value)


SPACE: dict[str, Sequence[float]] = {
    "sim_lo": [0.2, 0.25, 0.3, 0.35, 0.4, 0.45],
    "sim_hi": [0.5, 0.55, 0.6, 0.65, 0.7, 0.8],
    "second_weight": [0.0, 0.2, 0.35],
    "rel_weight": [0.0, 0.5, 1.0, 2.0],
    "concept_sat": [1.0, 2.0, 3.0, 4.0],
    "w_sim": [0.3, 0.4, 0.5, 0.6, 0.7],
    "neg_weight": [0.0, 0.5, 1.0, 2.0],
    "t1": [0.05, 0.1, 0.15, 0.2, 0.25],
    "step": [0.1, 0.15, 0.2, 0.25],
    "offstage_factor": [0.2, 0.3, 0.4, 0.5],
}


def make(point: dict[str, float]) -> OfflineParams:
    p: dict[str, Any] = dict(point)
    t1, step = p.pop("t1"), p.pop("step")
    thresholds = (t1, t1 + step, t1 + 2 * step, t1 + 3 * step)
    return dataclasses.replace(offline.DEFAULT_PARAMS, thresholds=thresholds, **p)


def tune(rows: list[Prepared], iterations: int, seed: int) -> tuple[dict[str, float], float]:
    rng = random.Random(seed)
    defaults = offline.DEFAULT_PARAMS
    best: dict[str, float] = {k: getattr(defaults, k) for k in SPACE if hasattr(defaults, k)}
    best["t1"] = defaults.thresholds[0]
    best["step"] = defaults.thresholds[1] - defaults.thresholds[0]

    def evaluate(point: dict[str, float]) -> float:
        credit: list[float] = []
        scores, flags = score_all(rows, make(point), credit)
        fc = sum(credit) / len(credit) if credit else 0.0
        return objective(metrics([r for r, *_ in rows], scores, flags), fc)

    best_value = evaluate(best)
    for _ in range(iterations):
        cand = {k: rng.choice(list(v)) for k, v in SPACE.items()}
        if cand["sim_hi"] <= cand["sim_lo"] + 0.1:
            continue
        value = evaluate(cand)
        if value > best_value:
            best, best_value = cand, value
    for _ in range(3):  # coordinate refinement around the best point
        for key, values in SPACE.items():
            for v in values:
                cand = {**best, key: v}
                if cand["sim_hi"] <= cand["sim_lo"] + 0.1:
                    continue
                value = evaluate(cand)
                if value > best_value + 1e-9:
                    best, best_value = cand, value
    return best, best_value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.grading.tune")
    parser.add_argument("--split", choices=["dev"], default="dev")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = prepare_rows(args.split)
    best, value = tune(rows, args.iterations, args.seed)
    params = make(best)
    credit: list[float] = []
    scores, flags = score_all(rows, params, credit)
    m = metrics([r for r, *_ in rows], scores, flags)
    dev = {k: m[k] for k in ("spearman", "spearman_on_stage", "mae", "auc_min", "max_guarded")}
    dev["weak_answer_false_credit"] = sum(credit) / len(credit) if credit else 0.0
    print(json.dumps({"objective": round(value, 4), "params": dataclasses.asdict(params),
                      "dev": dev}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
