"""Guide passages for the report: one to read per gap, one per wrong claim.

A gap's passage is retrieved with the problem's domain: the query names the criterion (title
and description), the problem and its card's note for the stage, and the family's hint words
(``FAMILY_HINTS``); a few passages are retrieved within the stage and over the whole corpus (a
passage found by both keeps its better score), another family's domain file is set aside (used
only if nothing else was found), and among the passages scoring within ``MARGIN`` of the best,
``rank_for_family`` puts the family's own domain file first. The best is kept. (Ranking the
whole pool domain-first was measured worse: a domain passage about another topic beat the
stage file that answers the gap.) A fraud gap so lands in classification/risk material and the
chatbot's in RAG material, never in two-tower material. Scored on
``evals/retrieval/citations.jsonl`` (``python -m evals.retrieval.citations``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from interviewer.retrieval.domains import FAMILY_HINTS, file_name, fit, rank_for_family
from interviewer.rubrics.models import Criterion, Problem

Search = Callable[[str, int, str | None], list[Any]]
POOL = 6  # passages retrieved per search before re-ranking for the family
MARGIN = 0.03  # score gap within which the own domain file is preferred
EXCERPT_CHARS = 240


def _excerpt(text: str) -> str:
    """The passage's opening words as plain text (no table rules, bold or heading marks)."""
    text = re.sub(r"-{3,}|[|*#`>]+", " ", str(text or ""))
    text = " ".join(text.split())
    if len(text) <= EXCERPT_CHARS:
        return text
    cut = text[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def as_citation(p: Any) -> dict[str, Any]:
    return {
        "source": str(p.source),
        "heading": str(p.heading),
        "score": round(float(p.score), 3),
        "excerpt": _excerpt(getattr(p, "text", "")),
    }


def _pool(search: Search, query: str, stage: str | None) -> list[Any]:
    """Passages for ``query`` within the stage, then over the whole corpus (domain files hold
    a family's material for every stage), best first, without repeats."""
    best: dict[tuple[str, str], Any] = {}
    for stage_filter in (stage, None) if stage else (None,):
        try:
            passages = search(query, POOL, stage_filter)
        except Exception:  # a broken index must not cost the candidate their report
            break
        for p in passages:
            key = (str(p.source), str(p.heading))
            if key not in best or p.score > best[key].score:
                best[key] = p
    return sorted(best.values(), key=lambda p: -float(p.score))


def gap_query(problem: Problem, criterion: Criterion, stage: str) -> str:
    what = criterion.description  # not the advice: citations must not move when it is reworded
    hint = FAMILY_HINTS.get(problem.problem_family, "")
    notes: dict[str, str] = {str(k): v for k, v in problem.stage_notes.items()}
    note = notes.get(stage, "")  # where this problem changes what good looks like
    return f"{criterion.title}. {what} {problem.title}: {note} {hint}".strip()


def choose(passages: list[Any], family: str, n: int) -> list[dict[str, Any]]:
    """``passages`` best first -> the ``n`` to cite."""
    fitting = [p for p in passages if fit(str(p.source), family) > 0]
    others = [p for p in passages if fit(str(p.source), family) == 0]
    if not fitting:
        return [as_citation(p) for p in others[:n]]
    top = float(fitting[0].score)
    near = [p for p in fitting if float(p.score) >= top - MARGIN]
    rest = [p for p in fitting if float(p.score) < top - MARGIN]
    ranked = rank_for_family(near, family) + rest
    return [as_citation(p) for p in ranked[:n]]


def cite_gap(
    search: Search | None, problem: Problem, criterion: Criterion, stage: str, n: int = 1
) -> list[dict[str, Any]]:
    if search is None:
        return []
    pool = _pool(search, gap_query(problem, criterion, stage), stage)
    return choose(pool, problem.problem_family, n)


def cite_stage(
    search: Search | None, problem: Problem, stage: str, query: str, n: int = 1
) -> list[dict[str, Any]]:
    """A passage for a stage the candidate did not reach."""
    if search is None:
        return []
    hint = FAMILY_HINTS.get(problem.problem_family, "")
    pool = _pool(search, f"{query} {problem.title}. {hint}", stage)
    return choose(pool, problem.problem_family, n)


def resolve_ref(search: Search | None, ref: str) -> dict[str, Any]:
    """A catalogue citation (``file.md#Heading``) as a report citation: the indexed passage
    with that file and heading when the index has it, else the reference itself."""
    name, _, heading = ref.partition("#")
    fallback = {"source": f"corpus/{name}", "heading": heading, "score": 0.0, "excerpt": ""}
    if search is None:
        return fallback
    try:
        passages = search(f"{heading}", 20, None)
    except Exception:
        return fallback
    for p in passages:
        leaf = str(p.heading).split(" > ")[-1].strip().lower()
        if file_name(str(p.source)) == name and leaf == heading.strip().lower():
            return as_citation(p)
    return fallback


__all__ = ["Search", "as_citation", "cite_gap", "cite_stage", "fit", "gap_query", "resolve_ref"]
