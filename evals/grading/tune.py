"""Tune :class:`OfflineParams` and fit the stage-score calibration on dev, test and
holdout1-19 (the ``tune`` split), never on the held-out ``holdout20``.

    .venv/bin/python -m evals.grading.tune [--iterations 400] [--seed 0] [--write-calibration]

Signals are extracted once per answer (one embedding call each); the search then rescores
them with candidate parameters: a random search followed by coordinate refinement, maximising
Spearman minus a small MAE term, subject to the guard targets (AUC, max guarded score).
The printed parameters are copied into ``interviewer/grading/offline.py`` by hand. The
calibration (isotonic regression of label on raw stage score, stored as piecewise-linear
knots) is then fitted with the chosen parameters; ``--write-calibration`` stores it in
``interviewer/grading/calibration.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from collections.abc import Sequence
from typing import Any

from evals.grading.score import HELD_OUT, TUNING_SPLITS, load, metrics
from interviewer.grading import fusion, guards, offline
from interviewer.grading.calibration import CALIBRATION_PATH, Calibration
from interviewer.grading.offline import OfflineParams

Prepared = tuple[dict[str, Any], guards.Prepared, offline.AnswerFeatures | None, dict[str, float]]


def prepare_rows(split: str = "tune") -> list[Prepared]:
    if split not in TUNING_SPLITS and split != "tune":
        raise SystemExit(
            f"refusing to tune on {split!r}: it contains the held-out split ({HELD_OUT})"
        )
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


def score_all(
    rows: list[Prepared],
    params: OfflineParams,
    credit: list[float] | None = None,
    calibration: Calibration | None = None,
    raw: list[float] | None = None,
) -> tuple[list[float], list[list[str]]]:
    """Stage scores and flags; ``credit`` (if given) collects, for weak on-stage answers
    (label <= 1), the weighted share of criteria that still scored 2 or more; ``raw`` (if
    given) collects the uncalibrated, uncapped stage score of every row."""
    scores, flags = [], []
    for r, prep, feats, weights in rows:
        if feats is None:
            scores.append(0.0)
            flags.append(prep.flags or ["empty"])
            if raw is not None:
                raw.append(0.0)
            continue
        result = offline.score(feats, prep, params)
        crit = fusion.apply_guards(fusion.offline_criteria(prep, result), result, prep)
        if raw is not None:
            raw.append(
                fusion.stage_grade(
                    r["stage"], crit, weights, [], "offline", factor=result.stage_factor
                ).score
            )
        g = fusion.stage_grade(
            r["stage"],
            crit,
            weights,
            result.flags,
            "offline",
            result.cap,
            factor=result.stage_factor,
            calibration=calibration,
        )
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
    "offstage_margin": [0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
    "offstage_concept_lead": [-2, -1, 0, 1, 2],
    "offstage_wide_margin": [0.2, 0.25, 0.3, 0.4, 0.5, 0.6],
    "offstage_factor": [0.2, 0.3, 0.4, 0.5],
    "offstage_soft": [0.0, 1.0, 2.0, 3.0, 4.0, 6.0],
    "offstage_soft_start": [0.0, 0.05, 0.1, 0.15, 0.2],
    "offstage_lead_weight": [0.0, 0.02, 0.04],
}


def isotonic(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float, int]]:
    """Pool-adjacent-violators: blocks (mean x, fitted y, size) of the non-decreasing fit."""
    blocks: list[list[float]] = []  # [sum_x, sum_y, n]
    for x, y in sorted(zip(xs, ys, strict=True)):
        blocks.append([x, y, 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            sx, sy, n = blocks.pop()
            blocks[-1][0] += sx
            blocks[-1][1] += sy
            blocks[-1][2] += n
    return [(sx / n, sy / n, int(n)) for sx, sy, n in blocks]


def fit_calibration(
    raw: Sequence[float], labels: Sequence[float], min_block: int = 12
) -> Calibration:
    """Knots through the isotonic blocks' centres, anchored at (0, 0) so an answer with
    nothing relevant stays at 0, and rising to the top block's level at 4. Interpolating
    between centres (rather than using the step function) keeps distinct raw scores distinct,
    so the ranking, hence Spearman, is untouched."""
    blocks = isotonic(raw, labels)
    # Merge blocks smaller than min_block into a neighbour (adjacent blocks of a monotone fit
    # merge into a monotone fit): fewer, better-supported knots generalise better.
    while len(blocks) > 1 and min(n for *_, n in blocks) < min_block:
        i = min(range(len(blocks)), key=lambda k: blocks[k][2])
        j = (
            i + 1
            if i == 0 or (i + 1 < len(blocks) and blocks[i + 1][2] < blocks[i - 1][2])
            else i - 1
        )
        (xa, ya, na), (xb, yb, nb) = blocks[min(i, j)], blocks[max(i, j)]
        n = na + nb
        blocks[min(i, j)] = ((xa * na + xb * nb) / n, (ya * na + yb * nb) / n, n)
        del blocks[max(i, j)]
    knots: dict[float, float] = {0.0: 0.0}
    for x, y, _ in blocks:
        x = round(x, 3)
        if 0.0 < x < 4.0:
            knots[x] = round(min(max(y, 0.0), 4.0), 3)
    xs = sorted(knots)
    ys = [knots[x] for x in xs]
    for i in range(1, len(ys)):  # rounding may break monotonicity by a hair
        ys[i] = max(ys[i], ys[i - 1])
    xs.append(4.0)
    ys.append(max(ys[-1], 4.0 if len(xs) > 2 else ys[-1]))
    return Calibration(tuple(xs), tuple(ys))


def calibration_rows(rows: list[Prepared], raw: Sequence[float]) -> tuple[list[float], list[float]]:
    """Fit on what the calibration is for: on- and off-stage answers (guarded kinds are capped
    after calibration, empty ones are 0 anyway)."""
    keep = [i for i, (r, *_) in enumerate(rows) if r["kind"] in {"on_stage", "off_stage"}]
    return [raw[i] for i in keep], [float(rows[i][0]["label"]) for i in keep]


def make(point: dict[str, float]) -> OfflineParams:
    p: dict[str, Any] = dict(point)
    t1, step = p.pop("t1"), p.pop("step")
    thresholds = (t1, t1 + step, t1 + 2 * step, t1 + 3 * step)
    return dataclasses.replace(offline.DEFAULT_PARAMS, thresholds=thresholds, **p)


def tune(
    rows: list[Prepared], iterations: int, seed: int, only: Sequence[str] = ()
) -> tuple[dict[str, float], float]:
    """Search SPACE (or just the keys starting with one of ``only``; the rest stay as shipped)."""
    rng = random.Random(seed)
    space = {k: v for k, v in SPACE.items() if not only or k.startswith(tuple(only))}
    defaults = offline.DEFAULT_PARAMS
    best: dict[str, float] = {k: getattr(defaults, k) for k in SPACE if hasattr(defaults, k)}
    best["t1"] = defaults.thresholds[0]
    best["step"] = defaults.thresholds[1] - defaults.thresholds[0]

    def evaluate(point: dict[str, float]) -> float:
        # Judged as shipped: calibrated (refitted for each candidate) and capped after.
        credit: list[float] = []
        raw: list[float] = []
        params = make(point)
        score_all(rows, params, credit, raw=raw)
        cal = fit_calibration(*calibration_rows(rows, raw))
        scores, flags = score_all(rows, params, calibration=cal)
        fc = sum(credit) / len(credit) if credit else 0.0
        return objective(metrics([r for r, *_ in rows], scores, flags), fc)

    best_value = evaluate(best)
    for _ in range(iterations):
        cand = {**best, **{k: rng.choice(list(v)) for k, v in space.items()}}
        if cand["sim_hi"] <= cand["sim_lo"] + 0.1:
            continue
        value = evaluate(cand)
        if value > best_value:
            best, best_value = cand, value
    for _ in range(3):  # coordinate refinement around the best point
        for key, values in space.items():
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
    parser.add_argument("--split", choices=["tune", *TUNING_SPLITS], default="tune")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="PREFIX",
        help="search only the parameters whose names start with these (e.g. offstage_)",
    )
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="keep the current parameters; only fit the calibration",
    )
    parser.add_argument(
        "--write-calibration",
        action="store_true",
        help=f"store the fitted calibration in {CALIBRATION_PATH.name}",
    )
    args = parser.parse_args(argv)
    rows = prepare_rows(args.split)
    if args.no_search:
        params, value = offline.DEFAULT_PARAMS, float("nan")
    else:
        best, value = tune(rows, args.iterations, args.seed, args.only)
        params = make(best)
    raw: list[float] = []
    credit: list[float] = []
    scores, flags = score_all(rows, params, credit, raw=raw)
    cal = fit_calibration(*calibration_rows(rows, raw))
    cal_scores, cal_flags = score_all(rows, params, calibration=cal)
    labelled = [r for r, *_ in rows]
    keys: tuple[str, ...] = ("spearman", "spearman_on_stage", "mae", "auc_min", "max_guarded")
    keys += ("max_level2", "mean_level2", "form_mae_gap", "honest_flagged")
    m, mc = metrics(labelled, scores, flags), metrics(labelled, cal_scores, cal_flags)
    fit = {k: m[k] for k in keys}
    fit["weak_answer_false_credit"] = sum(credit) / len(credit) if credit else 0.0
    out = {
        "objective": round(value, 4),
        "params": dataclasses.asdict(params),
        args.split: fit,
        f"{args.split}_calibrated": {k: mc[k] for k in keys},
        "calibration": cal.to_dict(),
    }
    print(json.dumps(out, indent=2))
    if args.write_calibration:
        CALIBRATION_PATH.write_text(json.dumps(cal.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
