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
FLAG_ORDER = (
    "empty",
    "question",
    "injection",
    "gibberish",
    "keyword_stuffing",
    "off_stage",
    "repetition",
)


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


def explain(
    criteria: list[CriterionGrade],
    weights: dict[str, float],
    mean: float,
    score: float,
    factor: float = 1.0,
    cap: float | None = None,
    cap_reason: str = "",
) -> str:
    """One line that says how the stage score follows from the criterion scores."""
    n = len(criteria)
    solid = sum(c.score >= 3 for c in criteria)
    partial = sum(c.score == 2 for c in criteria)
    thin = sum(c.score == 1 for c in criteria)
    parts = [f"{solid} of {n} criteria solid (3-4)", f"{partial} partial (2)"]
    if thin:
        parts.append(f"{thin} touched (1)")
    line = ", ".join(parts) + f"; weighted mean {mean:.1f}"
    if factor < 0.995:
        line += f", x{factor:.2f} for leaning to another stage"
    line += f" -> {score:.1f}"
    if cap is not None and score >= cap - 0.05 and cap < 4:
        line += f" (at most {cap:.1f}: {cap_reason})" if cap_reason else f" (at most {cap:.1f})"
    return line


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
    cap_reason: str = "",
) -> StageGrade:
    """The weighted mean of the criterion scores (0-4), times ``factor`` (how far the answer
    leans to another stage, 1 when it does not), mapped by ``calibration`` (a monotone
    piecewise-linear map onto the label scale, fitted on the tuning labels), then capped: the
    caps come last so no calibration can lift a guarded answer. Every step is monotone in each
    criterion score, and ``StageGrade.explain`` states the result in one line."""
    total = sum(weights[c.id] for c in criteria) or 1.0
    raw = sum(weights[c.id] * c.score for c in criteria) / total
    mean = factor * raw
    if calibration is not None:
        mean = min(max(calibration(mean), 0.0), 4.0)
    if cap is not None:
        mean = min(mean, cap)
    missing = sorted((c for c in criteria if c.score <= 1), key=lambda c: -weights[c.id])
    ordered = [f for f in FLAG_ORDER if f in flags] + [f for f in flags if f not in FLAG_ORDER]
    score = round(mean, 1)
    return StageGrade(
        stage=stage,
        score=score,
        criteria=criteria,
        missing=[c.id for c in missing],
        engine=engine,
        flags=list(dict.fromkeys(ordered)),
        explain=explain(criteria, weights, raw, score, factor, cap, cap_reason),
    )
