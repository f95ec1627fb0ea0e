"""The fixed interview stages (DESIGN.md) and their time budget (~45 minutes in all)."""

from __future__ import annotations

from dataclasses import dataclass

from interviewer.errors import UnknownIdError


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    minutes: int
    covers: str


STAGES: tuple[Stage, ...] = (
    Stage(
        "requirements",
        "Clarify requirements & scope",
        5,
        "business objective, users and surfaces, scale, latency and freshness, constraints",
    ),
    Stage(
        "framing",
        "Frame it as an ML task",
        4,
        "ML objective tied to the business goal, inputs and outputs, task type, metrics",
    ),
    Stage(
        "data",
        "Data",
        6,
        "sources, labels, collection pipeline, quality, imbalance, leakage-free splits, privacy",
    ),
    Stage(
        "features",
        "Features",
        6,
        "user/item/context/cross features, encodings, missing values, feature store, skew",
    ),
    Stage(
        "modeling",
        "Model",
        8,
        "a non-ML baseline, simple to complex with trade-offs, architecture, loss, training",
    ),
    Stage(
        "evaluation",
        "Evaluation",
        5,
        "offline metrics fit to the task, slices and fairness, online metrics, A/B test design",
    ),
    Stage(
        "deployment",
        "Deployment & serving",
        5,
        "batch vs online serving, latency budget, compression, staged rollout, rollback",
    ),
    Stage(
        "monitoring",
        "Monitoring & maintenance",
        4,
        "operational and ML metrics, drift detection, retraining cadence, alerting, feedback loops",
    ),
)
WRAP_UP_MINUTES = 3
STAGE_IDS: tuple[str, ...] = tuple(s.id for s in STAGES)
_BY_ID = {s.id: s for s in STAGES}


def get_stage(stage_id: str) -> Stage:
    try:
        return _BY_ID[stage_id]
    except KeyError:
        raise UnknownIdError("stage", stage_id, STAGE_IDS) from None


def next_stage_id(stage_id: str) -> str | None:
    """The stage after ``stage_id``, or None after the last one."""
    i = STAGE_IDS.index(get_stage(stage_id).id)
    return STAGE_IDS[i + 1] if i + 1 < len(STAGE_IDS) else None


def total_minutes() -> int:
    return sum(s.minutes for s in STAGES) + WRAP_UP_MINUTES
