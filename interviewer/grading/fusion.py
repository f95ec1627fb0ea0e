"""Combining the LLM's verdicts with the offline signal, then the deterministic guards on top.

The guards run last on purpose: whatever a model was persuaded to say, an injected, stuffed,
gibberish or off-stage answer keeps its cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from interviewer.grading.guards import Prepared
from interviewer.grading.offline import OfflineResult
from interviewer.grading.types import CriterionGrade, StageGrade

DEFAULT_LLM_WEIGHT = 0.6

# Most important first: the order in which flags are reported.
FLAG_ORDER = ("empty", "injection", "gibberish", "keyword_stuffing", "off_stage", "repetition")


@dataclass(frozen=True)
class Verdict:
    """One criterion as the LLM judged it (evidence already mapped to a verbatim span)."""

    id: str
    score: int
    evidence: str
    rationale: str


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def offline_criteria(prep: Prepared, result: OfflineResult) -> list[CriterionGrade]:
    out = []
    for s in result.signals:
        evidence = prep.units[s.evidence_unit].text if s.evidence_unit is not None else ""
        out.append(CriterionGrade(s.id, s.score, evidence, s.rationale()))
    return out


def fuse(
    offline: list[CriterionGrade],
    verdicts: dict[str, Verdict],
    llm_weight: float = DEFAULT_LLM_WEIGHT,
) -> list[CriterionGrade]:
    """Per criterion: a weighted mean of the two scores; the LLM's quote when it gave one."""
    out = []
    for c in offline:
        v = verdicts.get(c.id)
        if v is None:
            out.append(c)
            continue
        fused = _round(llm_weight * v.score + (1 - llm_weight) * c.score)
        evidence = v.evidence or c.evidence
        rationale = v.rationale or c.rationale
        out.append(CriterionGrade(c.id, max(0, min(4, fused)), evidence, rationale))
    return out


def apply_guards(
    criteria: list[CriterionGrade], result: OfflineResult, prep: Prepared
) -> list[CriterionGrade]:
    out = []
    for c in criteria:
        score = c.score
        if result.scale < 1.0:
            score = _round(score * result.scale)
        if result.cap is not None:
            score = min(score, math.floor(result.cap))
        evidence = c.evidence if score > 0 else ""
        if evidence:
            start = prep.text.find(evidence)
            if start < 0 or prep.overlaps_injection(start, start + len(evidence)):
                evidence = ""  # never quote an injected instruction back as evidence
        out.append(CriterionGrade(c.id, score, evidence, c.rationale))
    return out


def stage_grade(
    stage: str,
    criteria: list[CriterionGrade],
    weights: dict[str, float],
    flags: list[str],
    engine: str,
    cap: float | None = None,
    *,
    factor: float = 1.0,
    calibration: Callable[[float], float] | None = None,
) -> StageGrade:
    """The weighted mean of the criterion scores, times ``factor`` (soft off-stage evidence),
    mapped by ``calibration`` (monotone, onto the label scale), then capped: the caps come
    last so no calibration can lift a guarded answer."""
    total = sum(weights[c.id] for c in criteria) or 1.0
    mean = factor * sum(weights[c.id] * c.score for c in criteria) / total
    if calibration is not None:
        mean = min(max(calibration(mean), 0.0), 4.0)
    if cap is not None:
        mean = min(mean, cap)
    missing = sorted((c for c in criteria if c.score <= 1), key=lambda c: -weights[c.id])
    ordered = [f for f in FLAG_ORDER if f in flags] + [f for f in flags if f not in FLAG_ORDER]
    return StageGrade(
        stage=stage,
        score=round(mean, 1),
        criteria=criteria,
        missing=[c.id for c in missing],
        engine=engine,
        flags=list(dict.fromkeys(ordered)),
    )
