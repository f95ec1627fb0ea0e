"""The end-of-interview report: per-stage and overall scores, hire and level signals, strengths
and gaps with the candidate's own words as evidence, and guide passages to study for each gap.

Built from the stored grades only (no LLM), so it is deterministic and can be rebuilt at any time.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from interviewer.rubrics.models import Problem, Rubric
from interviewer.session.state import SessionState
from interviewer.stages import STAGE_IDS, get_stage

# (upper bound, label): overall < 1.5 strong no hire, < 2.25 no hire, < 2.75 lean hire,
# < 3.4 hire, else strong hire.
HIRE_BANDS: tuple[tuple[float, str], ...] = (
    (1.5, "strong no hire"),
    (2.25, "no hire"),
    (2.75, "lean hire"),
    (3.4, "hire"),
    (99.0, "strong hire"),
)
STAFF_STAGES = ("requirements", "modeling", "monitoring")  # scope, trade-offs, operations
STRENGTH_MIN = 3
MAX_STRENGTHS = 8
MAX_GAPS_PER_STAGE = 3

Search = Callable[[str, int, str | None], list[Any]]


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
            "strong throughout, including requirements/scope, modelling trade-offs and monitoring"
        )
    if overall >= 2.25 and len(weak) <= 1:
        why = "solid across stages"
        if staff_min < 3.0:
            low = [s for s in STAFF_STAGES if stages.get(s, 0.0) < 3.0]
            why += f"; staff level needs stronger {', '.join(low)}"
        return "senior", why
    return "junior", (f"{len(weak)} stage(s) below 1.5" if weak else "overall score below 2.25")


def _criteria(grade: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in (grade or {}).get("criteria", [])}


def _cite(search: Search | None, query: str, stage: str, n: int) -> list[dict[str, Any]]:
    if search is None:
        return []
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for stage_filter in (stage, None):  # fall back to the whole corpus if the stage has nothing
        try:
            passages = search(query, n * 3, stage_filter)
        except Exception:  # a broken index must not cost the candidate their report
            return out
        for p in passages:
            key = (p.source, p.heading)
            if key in seen:
                continue
            seen.add(key)
            out.append({"source": p.source, "heading": p.heading, "score": round(p.score, 3)})
            if len(out) >= n:
                return out
    return out


def build_report(
    state: SessionState,
    problem: Problem,
    rubrics: dict[str, Rubric],
    *,
    search: Search | None,
    citations_per_gap: int = 2,
) -> dict[str, Any]:
    n_cite = max(1, min(3, citations_per_gap))
    stages: dict[str, float] = {}
    details: dict[str, Any] = {}
    strengths: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    for sid in STAGE_IDS:
        st = state.stages[sid]
        info = get_stage(sid)
        grade = st.grade
        covered = grade is not None and st.answered
        score = round(float(grade["score"]), 1) if covered and grade else 0.0
        stages[sid] = score
        rubric = rubrics.get(sid)
        crit = _criteria(grade)
        details[sid] = {
            "title": info.title,
            "score": score,
            "covered": covered,
            "elapsed_s": round(st.elapsed_s, 1),
            "budget_s": st.budget_s,
            "answers": len(st.answers),
            "followups": len(st.followups),
            "clarifications": list(st.clarifications),
            "criteria": [
                {
                    "id": c.id,
                    "title": c.title,
                    "score": crit.get(c.id, {}).get("score", 0),
                    "evidence": crit.get(c.id, {}).get("evidence", ""),
                }
                for c in (rubric.criteria if rubric else [])
            ],
        }
        if not covered:
            gaps.append(
                {
                    "stage": sid,
                    "criterion": None,
                    "title": f"{info.title}: not covered",
                    "missing": f"This stage was not covered. It asks for: {info.covers}.",
                    "quote": "",
                    "score": 0,
                    "citations": _cite(search, f"{info.title}: {info.covers}", sid, n_cite),
                }
            )
            continue
        if rubric is None:
            continue
        for c in rubric.criteria:
            g = crit.get(c.id)
            if g and g.get("score", 0) >= STRENGTH_MIN and g.get("evidence"):
                strengths.append(
                    {
                        "stage": sid,
                        "criterion": c.id,
                        "title": c.title,
                        "score": g["score"],
                        "quote": g["evidence"],
                        "_w": c.weight,
                    }
                )
        missing = [
            cid
            for cid in (grade or {}).get("missing", [])
            if cid in {c.id for c in rubric.criteria}
        ]
        by_id = {c.id: c for c in rubric.criteria}
        missing.sort(key=lambda cid: -by_id[cid].weight)
        for cid in missing[:MAX_GAPS_PER_STAGE]:
            c = by_id[cid]
            g = crit.get(cid, {})
            gaps.append(
                {
                    "stage": sid,
                    "criterion": cid,
                    "title": c.title,
                    "missing": c.description,
                    "quote": g.get("evidence", ""),
                    "score": g.get("score", 0),
                    "citations": _cite(search, f"{c.title}. {c.description}", sid, n_cite),
                }
            )
    strengths.sort(key=lambda s: (-s["score"] * s["_w"], STAGE_IDS.index(s["stage"])))
    for s in strengths:
        s.pop("_w")
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
        "stage_details": details,
        "strengths": strengths[:MAX_STRENGTHS],
        "gaps": gaps,
        "engine": state.engine,
        "prompt_versions": list(state.prompt_versions),
        "max_prompt_tokens": state.max_prompt_tokens,
    }


def _quote(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_markdown(report: dict[str, Any], *, problem_title: str, session_id: str) -> str:
    lines = [
        f"# Interview report: {problem_title}",
        "",
        f"Session `{session_id}`" + (" (ended early)" if report.get("ended_early") else ""),
        "",
        f"**Overall: {report['overall']:.2f} / 4** — hire signal: "
        f"**{report['hire_signal']}**, level signal: **{report['level_signal']}** "
        f"({report['level_rationale']}).",
        "",
        "| Stage | Score | Covered | Time (min, used / budget) |",
        "|---|---|---|---|",
    ]
    for d in report["stage_details"].values():
        lines.append(
            f"| {d['title']} | {d['score']:.1f} | {'yes' if d['covered'] else 'no'} | "
            f"{d['elapsed_s'] / 60:.1f} / {d['budget_s'] / 60:.0f} |"
        )
    lines += ["", "## Strengths", ""]
    if not report["strengths"]:
        lines.append("- None stood out yet; the gaps below are the place to start.")
    for s in report["strengths"]:
        lines.append(
            f"- **{s['title']}** ({get_stage(s['stage']).title}, {s['score']}/4): "
            f"you said “{_quote(s['quote'])}”"
        )
    lines += ["", "## Gaps and what to study", ""]
    if not report["gaps"]:
        lines.append("- No major gaps.")
    for g in report["gaps"]:
        stage_title = get_stage(g["stage"]).title
        lines.append(f"- **{g['title']}** ({stage_title}): {g['missing']}")
        if g["quote"]:
            lines.append(f"  - What you said: “{_quote(g['quote'])}”")
        for c in g["citations"]:
            lines.append(f"  - Read: `{c['source']}` — {c['heading']}")
    return "\n".join(lines) + "\n"
