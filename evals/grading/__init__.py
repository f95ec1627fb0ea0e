"""Grading agreement: the offline grader against hand-labelled answers.

``run(split="holdout")`` returns Spearman, MAE, per-stage AUC (on-stage vs off-stage answers) and
the highest score given to an injection or keyword-stuffed answer. Parameters and the stage-score
calibration are tuned on ``dev``, ``test`` and ``holdout1``-``holdout11``
(``python -m evals.grading.tune``); ``holdout`` (= ``holdout12.jsonl``, written and labelled blind
before the grader ever saw it) is never tuned on.
"""

from evals.grading.score import run

__all__ = ["run"]
