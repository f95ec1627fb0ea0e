"""The deterministic grader: rubric concepts + sentence-embedding similarity, per criterion.

Two steps so thresholds can be tuned without re-embedding: :func:`extract` turns an answer into
parameter-free signals (one batched embedding call), :func:`score` maps them to 0-4 scores and
stage-level guard decisions with :class:`OfflineParams` (tuned on the dev + test splits of
``evals/grading/labelled.jsonl``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from interviewer.grading.commitment import commitment, is_question
from interviewer.grading.guards import Prepared, thin
from interviewer.grading.index import RubricIndex
from interviewer.grading.stage_model import get_stage_model
from interviewer.grading.text import Unit, note_label, stems, tokens

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
    # Stuffing: criterion scores are multiplied by 1 - (1 - stuffing_factor) * the share of
    # the stage's concept words sitting in units that commit to nothing.
    stuffing_factor: float = 0.4
    # One short answer cannot cover a stage: fewer than short_units committing units or
    # short_words words in them caps the stage score at short_cap.
    short_units: int = 3
    short_words: int = 50
    short_cap: float = 2.5
    # Credit by meaning: a committing unit that names none of a criterion's concepts counts as
    # meaning_credit concepts when it is at least meaning_sim close to the criterion's
    # references and at least meaning_rel closer to them than to the stage's average criterion
    # (a note under its own label: "quality: zero-result rate, reformulation rate"), and closer
    # to the strong references than to the weak exemplars. Once per criterion, scaled by the
    # unit's commitment, and only for the criterion the unit is closest to (one unit's meaning
    # credits one criterion).
    meaning_credit: float = 1.0
    meaning_sim: float = 0.40
    meaning_rel: float = 0.05


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
    # concept -> the highest commitment of a unit naming it (0, 0.5 or 1)
    concept_commit: dict[str, float] = field(default_factory=dict)


@dataclass
class AnswerFeatures:
    stage: str
    criteria: list[CriterionFeatures]
    stage_concepts: int
    concept_tokens: int
    affinity: dict[str, float]  # stage -> probability that the answer is about it (stage_model)
    stage_concept_counts: dict[str, int]
    commit: list[float] = field(default_factory=list)  # per unit, see commitment.py
    questions: list[bool] = field(default_factory=list)  # per unit: it asks
    stuffing: float = 0.0  # share of the stage's concept words in units that commit to nothing


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
    cap_reason: str = ""  # why the stage may not score above ``cap``, for the explanation


def embed_units(prep: Prepared) -> np.ndarray:
    from interviewer.embeddings import get_embedder

    # Cached per sentence: each turn re-grades the stage's merged answer, so all but the newest
    # sentences were embedded on an earlier turn.
    return get_embedder().embed_cached([u.full for u in prep.units])


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
    unit_stems = [stems(u.full) for u in prep.units]
    unit_tokens = [tokens(u.full) for u in prep.units]
    stage_matches = [index.stage_matcher.find(s) for s in unit_stems]
    counts = {index.stage: len({m.key for ms in stage_matches for m in ms})}
    # Rubric words of any stage are not problem-specific items (commitment.specific_words).
    rubric_words: list[set[str]] = [
        {toks[i] for m in ms for i in range(m.start, m.end)}
        for toks, ms in zip(unit_tokens, stage_matches, strict=True)
    ]
    unit_keys: list[set[tuple[str, ...]]] = [{m.key for m in ms} for ms in stage_matches]
    for stage, other in others.items():
        if stage == index.stage:
            continue
        keys: set[tuple[str, ...]] = set()
        for j, s in enumerate(unit_stems):
            for m in other.stage_matcher.find(s):
                keys.add(m.key)
                unit_keys[j].add(m.key)
                rubric_words[j].update(unit_tokens[j][m.start : m.end])
        counts[stage] = len(keys)
    commit = [
        commitment(u, len(k), words, asking_counts=index.questions_are_answers)
        for u, k, words in zip(prep.units, unit_keys, rubric_words, strict=True)
    ]
    criteria: list[CriterionFeatures] = []
    pos_all = [
        (vecs @ c.pos.T).max(axis=1) if len(c.pos) else np.zeros(len(vecs)) for c in index.criteria
    ]
    # What a sentence shares with every criterion (the problem's domain, the stage's topic) is
    # not evidence for any one of them: ``rel`` keeps what is specific to the criterion.
    baseline = np.mean(pos_all, axis=0)
    labelled = _labelled_topics(prep, index)
    for c, pos in zip(index.criteria, pos_all, strict=True):
        neg = (vecs @ c.neg.T).max(axis=1) if len(c.neg) else np.zeros(len(vecs))
        per_unit = [
            {**c.matcher.distinct(s), **labelled[j].get(c.id, {})} for j, s in enumerate(unit_stems)
        ]
        distinct: dict[tuple[str, ...], str] = {}
        best: dict[str, float] = {}
        for d, k in zip(per_unit, commit, strict=True):
            distinct.update(d)
            for concept in d.values():
                best[concept] = max(best.get(concept, 0.0), k)
        criteria.append(
            CriterionFeatures(
                c.id,
                c.weight,
                pos,
                pos - baseline,
                neg,
                [len(d) for d in per_unit],
                list(distinct.values()),
                best,
            )
        )
    concept_words = [sum(m.end - m.start for m in ms) for ms in stage_matches]
    total = sum(concept_words)
    loose = sum(w * (1 - k) for w, k in zip(concept_words, commit, strict=True))
    weights = np.array([max(len(s), 1) for s in unit_stems], dtype=np.float32)
    affinity = get_stage_model().answer_proba(vecs, weights)
    return AnswerFeatures(
        index.stage,
        criteria,
        counts[index.stage],
        total,
        affinity,
        counts,
        commit,
        [is_question(u) for u in prep.units],
        loose / total if total else 0.0,
    )


# The word a note label leaves out: "online:" is "online metrics:", "loss:" is "loss function:".
_KIND_WORDS = frozenset(stems("metric metrics features sources function budget cadence store"))
_label_maps: dict[int, tuple[RubricIndex, dict[tuple[str, ...], dict[str, dict]]]] = {}


def _label_map(index: RubricIndex) -> dict[tuple[str, ...], dict[str, dict[tuple[str, ...], str]]]:
    """Per label (stems), the criteria whose concept it makes with a kind word, built once per
    rubric index (the grader's hot path reads it for every labelled note line)."""
    hit = _label_maps.get(id(index))
    if hit is not None and hit[0] is index:
        return hit[1]
    out: dict[tuple[str, ...], dict[str, dict[tuple[str, ...], str]]] = {}
    for c in index.criteria:
        for concept in c.matcher.concepts:
            key = tuple(stems(concept))
            if len(key) >= 2 and key[-1] in _KIND_WORDS:
                out.setdefault(key[:-1], {}).setdefault(c.id, {key: concept})
    if len(_label_maps) > 256:
        _label_maps.clear()
    _label_maps[id(index)] = (index, out)
    return out


def _labelled_topics(
    prep: Prepared, index: RubricIndex
) -> list[dict[str, dict[tuple[str, ...], str]]]:
    """Per unit, the criterion concepts its note label abbreviates: "online: dwell > 30s,
    reformulation rate" is about online metrics the way "online metrics: ..." is. A label of one
    or two words stands for the concept it makes with a kind word ("online" + "metric"), when
    such a concept belongs to one criterion of this stage only; an ambiguous label stands for
    nothing."""
    labels = _label_map(index)
    out: list[dict[str, dict[tuple[str, ...], str]]] = []
    for u in prep.units:
        found: dict[str, dict[tuple[str, ...], str]] = {}
        # Every line of the unit (hard-wrapped note lines are read as one unit) and its parent.
        for line in [*u.text.splitlines(), u.parent]:
            label = tuple(stems(note_label(line)))
            means = labels.get(label, {}) if 1 <= len(label) <= 2 else {}
            if len(means) == 1:
                for cid, concept_of in means.items():
                    found.setdefault(cid, {}).update(concept_of)
        out.append(found)
    return out


# A unit that names none of a criterion's concepts may still be quoted for it, when it is this
# close to the criterion's references (cosine, MiniLM).
EVIDENCE_SIM = 0.55


def _criterion(
    f: CriterionFeatures, p: OfflineParams, commit: np.ndarray, nearest: np.ndarray
) -> CriterionSignal:
    """``nearest``: per unit, whether this is the stage criterion it is closest to in meaning
    (a unit's meaning credits one criterion; a unit that names several credits each)."""
    import numpy as np

    fit = f.pos + p.rel_weight * f.rel
    # Only what commits to something counts: a unit that commits to nothing cannot lift the
    # similarity above the floor, one that commits to a little lifts it half way.
    fit = np.where(fit > p.sim_lo, p.sim_lo + commit * (fit - p.sim_lo), fit)
    order = np.argsort(-fit)
    top1 = float(fit[order[0]])
    top2 = float(fit[order[1]]) if len(order) > 1 else top1
    sim = (1 - p.second_weight) * top1 + p.second_weight * top2
    sim_norm = min(max((sim - p.sim_lo) / (p.sim_hi - p.sim_lo), 0.0), 1.0)
    named = np.asarray(f.unit_concepts, dtype=np.float32)
    meant = nearest & (commit > 0) & (named == 0) & (f.pos >= p.meaning_sim)
    # ... and closer to the strong references than to the weak exemplars ("I'd check the
    # accuracy" means offline metrics, the way the rubric's weak answers do).
    meant &= (f.rel >= p.meaning_rel) & (f.pos > f.neg)
    meaning = p.meaning_credit * float(commit[meant].max()) if meant.any() else 0.0
    credited = sum(f.concept_commit.get(c, 0.0) for c in f.concepts) + meaning
    con = min(credited, p.concept_sat) / p.concept_sat
    best = int(order[0])
    penalty = p.neg_weight * max(0.0, float(f.neg[best]) - float(f.pos[best]) + p.neg_margin)
    strength = p.w_sim * sim_norm + (1 - p.w_sim) * con - penalty
    score = sum(strength >= t for t in p.thresholds)
    # Evidence shows the criterion: a committing unit that names one of its concepts, or one
    # close to its references in meaning; the best such unit, concepts breaking near-ties.
    close = f.pos >= EVIDENCE_SIM
    if meaning > 0:
        close = close | meant
    eligible = (commit > 0) & ((named > 0) | close)
    support = np.where(eligible, fit + 0.04 * np.minimum(named, 3), -np.inf)
    evidence = int(np.argmax(support)) if score > 0 and eligible.any() else None
    return CriterionSignal(
        f.id, f.weight, int(score), strength, float(f.pos[best]), f.concepts, evidence
    )


def _one_quote_per_unit(signals: list[CriterionSignal], features: AnswerFeatures) -> None:
    """A unit supports several criteria only when it names each: where one unit is quoted by
    similarity alone for several criteria, only the closest keeps it."""
    by_id = {c.id: c for c in features.criteria}
    claims: dict[int, list[CriterionSignal]] = {}
    for sig in signals:
        if sig.evidence_unit is not None and not by_id[sig.id].unit_concepts[sig.evidence_unit]:
            claims.setdefault(sig.evidence_unit, []).append(sig)
    for unit, sigs in claims.items():
        named_elsewhere = any(
            s.evidence_unit == unit and by_id[s.id].unit_concepts[unit] for s in signals
        )
        keep = None if named_elsewhere else max(sigs, key=lambda s: by_id[s.id].pos[unit])
        for sig in sigs:
            if sig is not keep:
                sig.evidence_unit = None


def score(
    features: AnswerFeatures, prep: Prepared, params: OfflineParams = DEFAULT_PARAMS
) -> OfflineResult:
    """Per-criterion scores and the stage-level guard decisions for one answer."""
    import numpy as np

    commit = np.asarray(features.commit, dtype=np.float32)
    pos = np.stack([c.pos for c in features.criteria])  # (criteria, units)
    nearest = pos.argmax(axis=0)
    signals = [_criterion(c, params, commit, nearest == i) for i, c in enumerate(features.criteria)]
    _one_quote_per_unit(signals, features)
    result = OfflineResult(signals=signals, flags=list(prep.flags))
    caps: list[tuple[float, str]] = []
    if "gibberish" in prep.flags:
        caps.append((0.5, "gibberish"))
    # Where clarifying questions are the answer (Rubric.questions_are_answers) they commit;
    # elsewhere a message that only asks is not an answer.
    asks_only = features.questions and all(features.questions) and not commit.any()
    if asks_only:
        # Only asks ("Which metrics do you want me to talk about?"): not an answer.
        result.flags.append("question")
        caps.append((0.0, "a question, not an answer"))
    committing = [u for u, k in zip(prep.units, features.commit, strict=True) if k > 0]
    if (
        len(committing) < params.short_units
        or sum(u.words for u in committing) < params.short_words
    ):
        caps.append((params.short_cap, "one short answer cannot cover a stage"))
    scales: list[float] = [1.0]
    # Stuffing scales, never cliffs: concepts named in units that commit to nothing already
    # earn nothing; the rest of the score shrinks with the share of such concept words.
    if features.stage_concepts >= 4 and features.stuffing > 0:
        scales.append(1.0 - (1.0 - params.stuffing_factor) * features.stuffing)
        if features.stuffing >= 0.5:
            result.flags.append("keyword_stuffing")
    if "injection" in prep.flags and thin(_content_units(features, prep)):
        caps.append((1.0, "an attempt to instruct the grader with little real answer left"))
    off_stage(features, params, result)
    lead = max(-5, min(5, result.offstage_lead))
    z = result.offstage_margin + params.offstage_lead_weight * lead
    excess = max(0.0, z - params.offstage_soft_start)
    result.stage_factor = max(params.offstage_factor, 1.0 - params.offstage_soft * excess)
    if result.stage_factor <= 0.5:
        result.flags.append("off_stage")
    if caps:
        result.cap, result.cap_reason = min(caps)
    result.scale = min(scales)
    return result


def _content_units(features: AnswerFeatures, prep: Prepared) -> list[Unit]:
    """The units that name at least one of the stage's concepts: what is left of an answer
    with an injection must be a real answer without the asides around the attempt ("let's try
    something different", "I'm quite nervous") to keep its score."""
    return [
        u for i, u in enumerate(prep.units) if any(c.unit_concepts[i] for c in features.criteria)
    ]


def off_stage(features: AnswerFeatures, params: OfflineParams, result: OfflineResult) -> None:
    """Record how far the answer leans to another stage: the stage classifier's probability
    margin of the best other stage and its concept lead. The stage score shrinks in proportion
    (``score``); an answer the classifier splits between two stages keeps partial credit."""
    if features.stage not in features.affinity:  # a stage the classifier does not know
        return
    own = features.affinity[features.stage]
    others = {s: a for s, a in features.affinity.items() if s != features.stage}
    if not others:
        return
    rival = max(others, key=lambda s: others[s])
    result.offstage_margin = others[rival] - own
    own_concepts = features.stage_concept_counts[features.stage]
    lead = max(
        (c for s, c in features.stage_concept_counts.items() if s != features.stage), default=0
    )
    result.offstage_lead = lead - own_concepts
