"""Grading an answer against a stage rubric: per-criterion 0-4 scores with quoted evidence.

``grade`` runs the text guards, the offline grader (always: it is the fallback and the signal
the LLM is fused with), optionally the LLM grader, then the deterministic caps on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from interviewer.grading.types import MAX_SCORE, CriterionGrade, StageGrade

if TYPE_CHECKING:
    from interviewer.grading.offline import OfflineParams
    from interviewer.llm.base import LLM
    from interviewer.rubrics.models import Problem, Rubric

__all__ = ["MAX_SCORE", "CriterionGrade", "StageGrade", "grade", "grade_all", "warm_up"]


def _fallback_reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def grade(
    stage: str,
    answer: str,
    problem: Problem | None = None,
    *,
    rubric: Rubric | None = None,
    llm: LLM | None = None,
    context: str = "",
    llm_weight: float | None = None,
    params: OfflineParams | None = None,
    rubrics_dir: Path | None = None,
    prompt_version: int | None = None,
) -> StageGrade:
    """Grade ``answer`` for ``stage``. ``rubric`` defaults to the stage rubric in
    ``rubrics_dir`` (default: settings); ``problem`` applies its rubric overrides; ``llm`` (not
    offline) adds the LLM grader, fused with weight ``llm_weight`` (default 0.6); ``context``
    is the interviewer's question, shown to the LLM; ``prompt_version`` pins the grade prompt
    (default: the latest). Provider failures fall back to offline."""
    from interviewer.errors import GradingError, ProviderError
    from interviewer.grading import fusion, guards, offline
    from interviewer.grading.calibration import load_calibration
    from interviewer.grading.index import rubric_index, stage_indexes
    from interviewer.rubrics.loader import effective_rubric, get_rubric
    from interviewer.settings import get_settings
    from interviewer.stages import get_stage

    get_stage(stage)  # UnknownIdError with a suggestion
    base = rubric if rubric is not None else get_rubric(stage, rubrics_dir)
    if base.stage != stage:
        raise GradingError(f"rubric is for stage {base.stage!r}, not {stage!r}")
    eff = effective_rubric(base, problem)
    weights = {c.id: c.weight for c in eff.criteria}
    settings = get_settings()
    prep = guards.prepare(
        answer if isinstance(answer, str) else str(answer), settings.max_answer_chars
    )

    if not prep.units:  # empty, or nothing but instructions to the grader
        zero = [CriterionGrade(c.id, 0, "", "nothing to grade") for c in eff.criteria]
        flags = prep.flags or ["empty"]
        return fusion.stage_grade(stage, zero, weights, flags, "offline")

    features = offline.extract(prep, rubric_index(eff), stage_indexes(rubrics_dir))
    result = offline.score(features, prep, params or offline.DEFAULT_PARAMS)
    criteria = fusion.offline_criteria(prep, result)
    engine = "offline"
    fused = False
    # Skip the call when the guards already settle it: nothing a model says could lift it.
    settled = bool({"gibberish", "keyword_stuffing", "question"} & set(result.flags))
    if llm is not None and not llm.offline and not settled:
        from interviewer.grading.llm_grader import llm_grade

        try:
            graded = llm_grade(llm, eff, prep, problem, context, prompt_version)
        except ProviderError as exc:
            engine = f"offline (fallback: {_fallback_reason(exc)})"
        else:
            weight = fusion.DEFAULT_LLM_WEIGHT if llm_weight is None else llm_weight
            criteria = fusion.fuse(criteria, graded.verdicts, weight)
            engine = "llm+offline"
            fused = True
    criteria = fusion.apply_guards(criteria, result, prep)
    # The calibration was fitted on the offline grader's scores; fused LLM scores are on the
    # label scale already, so they are not remapped.
    calibration = None if fused else load_calibration()
    return fusion.stage_grade(
        stage,
        criteria,
        weights,
        result.flags,
        engine,
        result.cap,
        factor=result.stage_factor,
        calibration=calibration,
        cap_reason=result.cap_reason,
    )


def grade_all(
    answer: str,
    problem: Problem | None = None,
    stages: Sequence[str] | None = None,
    *,
    rubrics: dict[str, Rubric] | None = None,
) -> dict[str, StageGrade]:
    """The offline grade of ``answer`` under each of ``stages`` (default: all eight), as
    :func:`grade` gives it, for the session's "covered anywhere in the interview" analysis.
    ``rubrics`` maps stage ids to rubrics (default: the configured stage rubrics)."""
    from interviewer.grading import fusion, guards, offline
    from interviewer.grading.calibration import load_calibration
    from interviewer.grading.index import rubric_index, stage_indexes
    from interviewer.rubrics.loader import effective_rubric, get_rubric
    from interviewer.settings import get_settings
    from interviewer.stages import STAGE_IDS, get_stage

    wanted = list(STAGE_IDS) if stages is None else list(stages)
    rubrics = rubrics or {}
    for stage in wanted:
        get_stage(stage)  # UnknownIdError with a suggestion
    # Prepared once, embedded once: every stage reuses the units and their vectors.
    prep = guards.prepare(
        answer if isinstance(answer, str) else str(answer), get_settings().max_answer_chars
    )
    vecs = offline.embed_units(prep) if prep.units else None
    others = stage_indexes()
    calibration = load_calibration()
    out: dict[str, StageGrade] = {}
    for stage in wanted:
        eff = effective_rubric(rubrics.get(stage) or get_rubric(stage), problem)
        weights = {c.id: c.weight for c in eff.criteria}
        if vecs is None:
            zero = [CriterionGrade(c.id, 0, "", "nothing to grade") for c in eff.criteria]
            out[stage] = fusion.stage_grade(
                stage, zero, weights, prep.flags or ["empty"], "offline"
            )
            continue
        features = offline.extract(prep, rubric_index(eff), others, vecs)
        result = offline.score(features, prep, offline.DEFAULT_PARAMS)
        criteria = fusion.apply_guards(fusion.offline_criteria(prep, result), result, prep)
        out[stage] = fusion.stage_grade(
            stage,
            criteria,
            weights,
            result.flags,
            "offline",
            result.cap,
            factor=result.stage_factor,
            calibration=calibration,
            cap_reason=result.cap_reason,
        )
    return out


def warm_up(rubrics_dir: Path | None = None) -> None:
    """Load the embedding model and index every stage rubric (≈ seconds, once per process)."""
    from interviewer.grading.index import stage_indexes

    stage_indexes(rubrics_dir)
    from interviewer.embeddings import get_embedder

    get_embedder().embed(["warm up"])
