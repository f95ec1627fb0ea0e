"""The deterministic grader: rubric concepts + sentence-embedding similarity, per criterion.

Two steps so thresholds can be tuned without re-embedding: :func:`extract` turns an answer into
parameter-free signals (one batched embedding call), :func:`score` maps them to 0-4 scores and
stage-level guard decisions with :class:`OfflineParams` (tuned on the dev + test splits of
``evals/grading/labelled.jsonl``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from interviewer.grading.guards import Prepared, keyword_stuffing, thin
from interviewer.grading.index import RubricIndex
from interviewer.grading.stage_model import get_stage_model
from interviewer.grading.text import Unit, stems

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class OfflineParams:
    """Tuned with ``python -m evals.grading.tune`` on the ``tune`` split (see its docstring); the
    off-stage parameters last with ``--only offstage_``."""

    # Similarity of the best answer sentence to a criterion's positive references, mapped
    # linearly from [sim_lo, sim_hi] to [0, 1]; second_weight blends in the runner-up sentence.
    sim_lo: float = 0.20
    sim_hi: float = 0.50
    second_weight: float = 0.2
    # Weight of the criterion-specific part of the similarity (see CriterionFeatures.rel).
    rel_weight: float = 2.0
    # Distinct rubric concepts: saturates at concept_sat.
    concept_sat: float = 4.0
    w_sim: float = 0.3  # the concept share is 1 - w_sim
    # Penalty when the best sentence is closer to a weak exemplar than to any strong reference.
    neg_weight: float = 0.0
    neg_margin: float = 0.0
    thresholds: tuple[float, float, float, float] = (0.15, 0.40, 0.65, 0.90)
    # Off-stage: the stage classifier (stage_model) gives another stage more probability than
    # this one, by offstage_margin, and that stage's rubric concepts outnumber this stage's by
    # at least offstage_concept_lead; or by offstage_wide_margin alone when the answer names
    # at most one of this stage's concepts. Criterion scores are then scaled by offstage_factor.
    offstage_margin: float = 0.05
    offstage_concept_lead: int = 2
    offstage_wide_margin: float = 0.6
    offstage_factor: float = 0.2
    # Soft off-stage evidence short of the rule above: z = the probability margin of the best
    # other stage + offstage_lead_weight * (its concept lead, clamped to +-5). Above
    # offstage_soft_start the stage score is multiplied by 1 - offstage_soft * (z - start),
    # never below offstage_factor.
    offstage_soft: float = 6.0
    offstage_soft_start: float = 0.1
    offstage_lead_weight: float = 0.04
    # Keyword-stuffed answers: capped at 1.0 and their criterion scores scaled by this.
    stuffing_factor: float = 0.4


DEFAULT_PARAMS = OfflineParams()


@dataclass
class CriterionFeatures:
    id: str
    weight: float
    pos: np.ndarray  # (n_units,) best similarity of each unit to a positive reference
    rel: np.ndarray  # (n_units,) pos minus the unit's mean pos over all criteria of the stage
    neg: np.ndarray  # (n_units,) best similarity of each unit to a weak exemplar
    unit_concepts: list[int]  # concept hits per unit
    concepts: list[str]  # distinct concepts present in the answer


@dataclass
class AnswerFeatures:
    stage: str
    criteria: list[CriterionFeatures]
    stage_concepts: int
    concept_tokens: int
    affinity: dict[str, float]  # stage -> probability that the answer is about it (stage_model)
    stage_concept_counts: dict[str, int]


@dataclass
class CriterionSignal:
    id: str
    weight: float
    score: int
    strength: float
    sim: float
    concepts: list[str]
    evidence_unit: int | None

    def rationale(self) -> str:
        found = ", ".join(self.concepts[:5]) if self.concepts else "none"
        return f"concepts: {found}; closest sentence similarity {self.sim:.2f}"


@dataclass
class OfflineResult:
    signals: list[CriterionSignal]
    flags: list[str] = field(default_factory=list)
    cap: float | None = None  # the stage may not score above this
    scale: float = 1.0  # multiplies criterion scores (off-stage and stuffed answers)
    stage_factor: float = 1.0  # multiplies the stage score (soft off-stage evidence)
    offstage_margin: float = 0.0
    offstage_lead: int = 0  # best other stage's distinct concepts minus this stage's


def embed_units(prep: Prepared) -> np.ndarray:
    from interviewer.embeddings import get_embedder

    # Cached per sentence: each turn re-grades the stage's merged answer, so all but the newest
    # sentences were embedded on an earlier turn.
    return get_embedder().embed_cached([u.text for u in prep.units])


def extract(
    prep: Prepared,
    index: RubricIndex,
    others: dict[str, RubricIndex],
    vecs: np.ndarray | None = None,
) -> AnswerFeatures:
    """Parameter-free signals for one answer (``vecs``: unit embeddings, computed if None)."""
    import numpy as np

    if vecs is None:
        vecs = embed_units(prep)
    unit_stems = [stems(u.text) for u in prep.units]
    criteria: list[CriterionFeatures] = []
    pos_all = [
        (vecs @ c.pos.T).max(axis=1) if len(c.pos) else np.zeros(len(vecs)) for c in index.criteria
    ]
    # What a sentence shares with every criterion (the problem's domain, the stage's topic) is
    # not evidence for any one of them: ``rel`` keeps what is specific to the criterion.
    baseline = np.mean(pos_all, axis=0)
    for c, pos in zip(index.criteria, pos_all, strict=True):
        neg = (vecs @ c.neg.T).max(axis=1) if len(c.neg) else np.zeros(len(vecs))
        per_unit = [c.matcher.distinct(s) for s in unit_stems]
        distinct: dict[tuple[str, ...], str] = {}
        for d in per_unit:
            distinct.update(d)
        criteria.append(
            CriterionFeatures(
                c.id,
                c.weight,
                pos,
                pos - baseline,
                neg,
                [len(d) for d in per_unit],
                list(distinct.values()),
            )
        )
    stage_matches = [index.stage_matcher.find(s) for s in unit_stems]
    stage_keys = {m.key for ms in stage_matches for m in ms}
    concept_tokens = sum(m.end - m.start for ms in stage_matches for m in ms)
    weights = np.array([max(len(s), 1) for s in unit_stems], dtype=np.float32)
    affinity = get_stage_model().answer_proba(vecs, weights)
    counts = {index.stage: len(stage_keys)}
    for stage, other in others.items():
        if stage != index.stage:
            counts[stage] = len({m.key for s in unit_stems for m in other.stage_matcher.find(s)})
    return AnswerFeatures(index.stage, criteria, len(stage_keys), concept_tokens, affinity, counts)


def _criterion(
    f: CriterionFeatures, p: OfflineParams, concepts_count: bool = True
) -> CriterionSignal:
    import numpy as np

    fit = f.pos + p.rel_weight * f.rel
    order = np.argsort(-fit)
    top1 = float(fit[order[0]])
    top2 = float(fit[order[1]]) if len(order) > 1 else top1
    sim = (1 - p.second_weight) * top1 + p.second_weight * top2
    sim_norm = min(max((sim - p.sim_lo) / (p.sim_hi - p.sim_lo), 0.0), 1.0)
    con = min(len(f.concepts), p.concept_sat) / p.concept_sat if concepts_count else 0.0
    best = int(order[0])
    penalty = p.neg_weight * max(0.0, float(f.neg[best]) - float(f.pos[best]) + p.neg_margin)
    strength = p.w_sim * sim_norm + (1 - p.w_sim) * con - penalty
    score = sum(strength >= t for t in p.thresholds)
    # Evidence: the sentence that fits the criterion best, concepts breaking near-ties.
    support = fit + 0.04 * np.minimum(np.asarray(f.unit_concepts, dtype=np.float32), 3)
    evidence = int(np.argmax(support)) if score > 0 else None
    return CriterionSignal(
        f.id, f.weight, int(score), strength, float(f.pos[best]), f.concepts, evidence
    )


def score(
    features: AnswerFeatures, prep: Prepared, params: OfflineParams = DEFAULT_PARAMS
) -> OfflineResult:
    """Per-criterion scores and the stage-level guard decisions for one answer."""
    stuffed = keyword_stuffing(prep.units, features.stage_concepts, features.concept_tokens)
    # Named but unexplained concepts earn nothing in a stuffed answer: similarity only.
    signals = [_criterion(c, params, concepts_count=not stuffed) for c in features.criteria]
    result = OfflineResult(signals=signals, flags=list(prep.flags))
    caps: list[float] = []
    if "gibberish" in prep.flags:
        caps.append(0.5)
    scales: list[float] = [1.0]
    if stuffed:
        result.flags.append("keyword_stuffing")
        caps.append(1.0)
        scales.append(params.stuffing_factor)
    if "injection" in prep.flags and thin(_content_units(features, prep)):
        caps.append(1.0)
    if off_stage(features, params, result):
        result.flags.append("off_stage")
        scales.append(params.offstage_factor)
    elif params.offstage_soft > 0:
        lead = max(-5, min(5, result.offstage_lead))
        z = result.offstage_margin + params.offstage_lead_weight * lead
        excess = max(0.0, z - params.offstage_soft_start)
        result.stage_factor = max(params.offstage_factor, 1.0 - params.offstage_soft * excess)
    result.cap = min(caps) if caps else None
    result.scale = min(scales)
    return result


def _content_units(features: AnswerFeatures, prep: Prepared) -> list[Unit]:
    """The units that name at least one of the stage's concepts: what is left of an answer
    with an injection must be a real answer without the asides around the attempt ("let's try
    something different", "I'm quite nervous") to keep its score."""
    return [
        u for i, u in enumerate(prep.units) if any(c.unit_concepts[i] for c in features.criteria)
    ]


def off_stage(features: AnswerFeatures, params: OfflineParams, result: OfflineResult) -> bool:
    if features.stage not in features.affinity:  # a stage the classifier does not know
        return False
    own = features.affinity[features.stage]
    others = {s: a for s, a in features.affinity.items() if s != features.stage}
    if not others:
        return False
    rival = max(others, key=lambda s: others[s])
    result.offstage_margin = others[rival] - own
    own_concepts = features.stage_concept_counts[features.stage]
    lead = max(
        (c for s, c in features.stage_concept_counts.items() if s != features.stage), default=0
    )
    lead -= own_concepts
    result.offstage_lead = lead
    if result.offstage_margin > params.offstage_margin and lead >= params.offstage_concept_lead:
        return True
    return result.offstage_margin > params.offstage_wide_margin and own_concepts <= 1
