"""Grading agreement: the offline grader against hand-labelled answers (``labelled.jsonl``).

``run(split="test")`` returns Spearman, MAE, per-stage AUC (on-stage vs off-stage answers) and
the highest score given to an injection or keyword-stuffed answer. Thresholds are tuned on the
``dev`` split only (``python -m evals.grading.tune``); ``test`` is held out.
"""

from evals.grading.score import run

__all__ = ["run"]
