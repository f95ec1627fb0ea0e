"""Guess which interview stage an untagged section is about, by keyword scoring.

Only a clear winner counts (enough evidence and well ahead of the runner-up); otherwise the
section gets no stage, which is better than a wrong filter hit.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split("|") if p.strip())


# Phrases separated by "|"; matched as whole words, case-insensitively.
STAGE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "requirements": _phrases(
        "requirement|requirements|clarify|clarifying|clarification|scope|"
        "business objective|business goal|stakeholder|constraints|assumptions|"
        "how many users|qps|non-functional|functional requirements|use case"
    ),
    "framing": _phrases(
        "ml objective|framing|frame the problem|ml task|task type|binary classification|"
        "multi-class|regression problem|ranking problem|input and output|"
        "inputs and outputs|proxy|north star|success metric|success metrics|"
        "objective function"
    ),
    "data": _phrases(
        "data source|data sources|label|labels|labeling|labelling|annotation|"
        "implicit feedback|explicit feedback|data collection|data pipeline|etl|imbalance|"
        "imbalanced|undersampling|oversampling|sampling|leakage|train/test|split|splits|"
        "privacy|gdpr|data quality|negative sampling"
    ),
    "features": _phrases(
        "feature|features|feature engineering|embedding|embeddings|one-hot|hashing|"
        "normalization|standardization|scaling|missing values|feature store|"
        "training-serving skew|point-in-time|feature cross|cross features|encoding|"
        "bucketing|tokenization"
    ),
    "modeling": _phrases(
        "model architecture|baseline|two-tower|loss function|loss|training|"
        "logistic regression|gradient boosted|xgboost|neural network|transformer|"
        "hyperparameter|fine-tune|fine-tuning|candidate generation|ranking model|"
        "overfitting|regularization|distributed training"
    ),
    "evaluation": _phrases(
        "evaluation|offline metric|offline metrics|online metric|online metrics|ndcg|auc|"
        "precision|recall|f1|calibration|a/b test|a/b testing|fairness|slices|holdout|"
        "mrr|mean average precision|statistical"
    ),
    "deployment": _phrases(
        "deploy|deployment|serving|inference|latency|batch prediction|online inference|"
        "canary|shadow|rollout|rollback|quantization|distillation|on-device|edge|cache|"
        "throughput|blue-green"
    ),
    "monitoring": _phrases(
        "monitor|monitoring|drift|data drift|concept drift|alert|alerting|retrain|"
        "retraining|feedback loop|dashboard|degradation|observability"
    ),
}

_MIN_SCORE = 4.0
_MIN_LEAD = 1.6  # the winner must score this many times the runner-up
_HEADING_WEIGHT = 4.0


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    out: dict[str, re.Pattern[str]] = {}
    for stage, words in STAGE_KEYWORDS.items():
        alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
        out[stage] = re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])")
    return out


def stage_scores(heading: str, body: str) -> dict[str, float]:
    head, text = heading.lower(), body.lower()
    return {
        stage: _HEADING_WEIGHT * len(p.findall(head)) + len(p.findall(text))
        for stage, p in _patterns().items()
    }


def infer_stage(heading: str, body: str) -> str | None:
    scores = sorted(stage_scores(heading, body).items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = scores[0], scores[1]
    if top >= _MIN_SCORE and top >= _MIN_LEAD * max(second, 1.0):
        return best
    return None
