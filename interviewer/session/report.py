"""The end-of-interview report, as data: the verdict (hire and level signals) from the stage
scores, one line per stage saying how its score follows from the criterion scores, the few
strengths and gaps that matter most for this problem, every wrong claim the interviewer caught
with its correction, and the full per-criterion detail.

Built from the stored grades and the interview's accumulated analysis (``state.covered``,
``state.claims``) only, no LLM, so it is deterministic and can be rebuilt at any time. The words
are in :mod:`interviewer.session.report_text`; the passages in
:mod:`interviewer.session.report_cite`.

Ranking: a criterion matters in proportion to its effective weight for this problem (the
rubric's weight with the problem card's overrides, relative to the stage's mean weight) times
its stage's share of the interview's time. A criterion the candidate covered anywhere in the
interview (``state.covered`` score >= 2, or its stage grade >= 2) is never a gap; a stage the
candidate never answered is one gap for the whole stage.
"""

from __future__ import annotations

import statistics
from typing import Any

from interviewer.rubrics.models import Criterion, Problem, Rubric
from interviewer.session.report_cite import Search, cite_gap, cite_stage, resolve_ref
from interviewer.session.report_text import stage_line, to_markdown
from interviewer.session.state import SessionState
from interviewer.stages import STAGE_IDS, get_stage

# (upper bound, label): overall < 1.5 strong no hire, < 2.25 no hire, < 2.75 lean hire,
# < 3.4 hire, else strong hire. The verdict comes from the stage scores as graded: no lifting.
HIRE_BANDS: tuple[tuple[float, str], ...] = (
    (1.5, "strong no hire"),
    (2.25, "no hire"),
    (2.75, "lean hire"),
    (3.4, "hire"),
    (99.0, "strong hire"),
)
STAFF_STAGES = ("requirements", "modeling", "monitoring")  # scope, trade-offs, operations
SOLID, PARTIAL = 3, 2  # criterion scores: solid 3-4, partial 2, below that a gap
MAX_STRENGTHS = 3
MIN_GAPS, MAX_GAPS = 3, 5
GAPS_PER_STAGE = 2  # so the list is not one stage's rubric pasted
EXTRA_GAP_SHARE = 0.6  # a 4th/5th gap only when it matters at least this much as the first
UNREACHED = 1.2  # a stage never answered outranks any one criterion of its stage

__all__ = ["Search", "build_report", "hire_signal", "level_signal", "to_markdown"]


def hire_signal(overall: float) -> str:
    for bound, label in HIRE_BANDS:
        if overall < bound:
            return label
    return HIRE_BANDS[-1][1]


def level_signal(overall: float, stages: dict[str, float]) -> tuple[str, str]:
    staff_min = min(stages.get(s, 0.0) for s in STAFF_STAGES)
    weak = [s for s, v in stages.items() if v < 1.5]
    if overall >= 3.0 and staff_min >= 3.0:
        return "staff", (
            "you were strong throughout, including scope, modelling trade-offs and monitoring"
        )
    if overall >= 2.25 and len(weak) <= 1:
        why = "you were solid across stages"
        if staff_min < 3.0:
            low = [get_stage(s).title for s in STAFF_STAGES if stages.get(s, 0.0) < 3.0]
            why += f"; staff level needs stronger {', '.join(low)}"
        return "senior", why
    if weak:
        names = ", ".join(get_stage(s).title for s in weak)
        return "junior", f"{len(weak)} of 8 stages scored below 1.5 ({names})"
    return "junior", "your overall score is below 2.25"


def _criteria(grade: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in (grade or {}).get("criteria", [])}


def _stage_weights(state: SessionState) -> dict[str, float]:
    """Each stage's share of the interview's time, relative to the mean (1.0 = average)."""
    budgets = {s: state.stages[s].budget_s or get_stage(s).minutes * 60.0 for s in STAGE_IDS}
    mean = statistics.fmean(budgets.values()) or 1.0
    return {s: b / mean for s, b in budgets.items()}


def _shows(criterion: Criterion, quote: str) -> bool:
    """A quote is kept only if it names one of the criterion's concepts: no quote is better
    than a nearby sentence that does not show the criterion."""
    if not quote.strip():
        return False
    from interviewer.grading.concepts import ConceptMatcher
    from interviewer.grading.text import stems

    return bool(ConceptMatcher(criterion.concepts).find(stems(quote)))


def _detail(
    sid: str, rubric: Rubric | None, state: SessionState, grade: dict[str, Any] | None
) -> list[dict[str, Any]]:
    crit = _criteria(grade)
    anywhere = state.covered.get(sid, {})
    mean_w = statistics.fmean(c.weight for c in rubric.criteria) if rubric else 1.0
    out = []
    for c in rubric.criteria if rubric else []:
        g = crit.get(c.id, {})
        cov = anywhere.get(c.id) or {}
        score = int(g.get("score", 0) or 0)
        best = max(score, int(cov.get("score", 0) or 0))
        quote = ""
        for candidate in (str(cov.get("quote") or ""), str(g.get("evidence") or "")):
            if _shows(c, candidate):
                quote = candidate
                break
        status = (
            "solid"
            if best >= SOLID
            else "partial"
            if best >= PARTIAL
            else "touched"
            if best == 1
            else "missing"
        )
        out.append(
            {
                "id": c.id,
                "title": c.title,
                "weight": c.weight,
                "importance": round(c.weight / mean_w, 3),
                "score": score,  # in this stage's grade
                "best_score": best,  # anywhere in the interview
                "status": status,
                "evidence": str(g.get("evidence") or ""),  # the grader's, as graded
                "quote": quote,  # shown to the candidate: names the criterion
                "covered_turn": cov.get("turn"),
                "advice": c.advice or "",
            }
        )
    return out


def _claims(state: SessionState, search: Search | None) -> list[dict[str, Any]]:
    if not state.claims:
        return []
    try:
        from interviewer.rubrics.misconceptions import load_misconceptions

        catalogue = load_misconceptions()
    except Exception:  # a broken catalogue file must not cost the candidate their report
        catalogue = {}
    out = []
    for claim in state.claims:
        m = catalogue.get(str(claim.get("id")))
        out.append(
            {
                "id": claim.get("id"),
                "stage": claim.get("stage"),
                "quote": str(claim.get("quote") or ""),
                "turn": claim.get("turn"),
                "taken_up": bool(claim.get("taken_up")),
                "claim": m.claim if m else "",
                "correction": m.correction if m else "",
                "cite": m.cite if m else "",
                "citation": resolve_ref(search, m.cite) if m else None,
            }
        )
    return out


def build_report(
    state: SessionState,
    problem: Problem,
    rubrics: dict[str, Rubric],
    *,
    search: Search | None,
    citations_per_gap: int = 1,
) -> dict[str, Any]:
    """``rubrics``: the stage rubrics as they apply to ``problem`` (effective weights)."""
    n_cite = max(1, min(3, citations_per_gap))
    family = problem.problem_family
    stage_w = _stage_weights(state)
    stages: dict[str, float] = {}
    details: dict[str, Any] = {}
    strengths: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    for sid in STAGE_IDS:
        st = state.stages[sid]
        info = get_stage(sid)
        grade = st.grade
        covered = grade is not None and st.answered
        score = round(float(grade["score"]), 1) if covered and grade else 0.0
        stages[sid] = score
        rubric = rubrics.get(sid)
        criteria = _detail(sid, rubric, state, grade if covered else None)
        details[sid] = {
            "title": info.title,
            "score": score,
            "covered": covered,
            "line": stage_line(grade if covered else None, criteria),
            "elapsed_s": round(st.elapsed_s, 1),
            "budget_s": st.budget_s,
            "answers": len(st.answers),
            "followups": len(st.followups),
            "clarifications": list(st.clarifications),
            "criteria": criteria,
        }
        if not covered and not any(c["best_score"] >= PARTIAL for c in criteria):
            candidates.append(
                {
                    "stage": sid,
                    "criterion": None,
                    "title": f"{info.title}: not reached",
                    "advice": f"A strong answer to this stage covers {info.covers}.",
                    "score": 0,
                    "priority": round(UNREACHED * stage_w[sid], 3),
                }
            )
            continue
        by_id = {c.id: c for c in rubric.criteria} if rubric else {}
        for d in criteria:
            weight = d["importance"] * stage_w[sid]
            if d["best_score"] >= SOLID:
                strengths.append(
                    {
                        "stage": sid,
                        "criterion": d["id"],
                        "title": d["title"],
                        "score": d["best_score"],
                        "quote": d["quote"],
                        "priority": round(d["best_score"] * weight, 3),
                    }
                )
            elif d["best_score"] < PARTIAL:
                c = by_id[d["id"]]
                candidates.append(
                    {
                        "stage": sid,
                        "criterion": d["id"],
                        "title": d["title"],
                        "advice": c.advice or c.description,
                        "score": d["best_score"],
                        "priority": round(weight * (3 - d["best_score"]) / 3, 3),
                    }
                )
    strengths.sort(key=lambda s: (-s["priority"], STAGE_IDS.index(s["stage"])))
    gaps = _pick_gaps(candidates)
    for g in gaps:
        if g["criterion"]:
            c = rubrics[g["stage"]].criterion(g["criterion"])
            g["citations"] = cite_gap(search, problem, c, g["stage"], n_cite)
        else:
            info = get_stage(g["stage"])
            g["citations"] = cite_stage(
                search, problem, g["stage"], f"{info.title}: {info.covers}", n_cite
            )
        g["missing"] = g["advice"]  # the pre-issue-11 key, kept for readers of old reports
        g["quote"] = ""
    overall = round(statistics.fmean(stages.values()), 2)
    level, why = level_signal(overall, stages)
    return {
        "overall": overall,
        "max_score": 4,
        "stages": stages,
        "covered": {s: details[s]["covered"] for s in STAGE_IDS},
        "hire_signal": hire_signal(overall),
        "level_signal": level,
        "level_rationale": why,
        "ended_early": state.ended_early,
        "family": family,
        "stage_lines": {s: details[s]["line"] for s in STAGE_IDS},
        "stage_details": details,
        "strengths": strengths[:MAX_STRENGTHS],
        "gaps": gaps,
        "claims": _claims(state, search),
        "engine": state.engine,
        "prompt_versions": list(state.prompt_versions),
        "max_prompt_tokens": state.max_prompt_tokens,
    }


def _pick_gaps(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ranked = sorted(candidates, key=lambda g: (-g["priority"], STAGE_IDS.index(g["stage"])))
    out: list[dict[str, Any]] = []
    per_stage: dict[str, int] = {}
    for g in ranked:
        if len(out) >= MAX_GAPS:
            break
        if per_stage.get(g["stage"], 0) >= GAPS_PER_STAGE:
            continue
        if len(out) >= MIN_GAPS and g["priority"] < EXTRA_GAP_SHARE * out[0]["priority"]:
            break
        per_stage[g["stage"]] = per_stage.get(g["stage"], 0) + 1
        out.append(g)
    return out
