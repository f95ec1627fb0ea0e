"""Answer analysis: what each candidate message shows, accumulated over the whole interview.

Per message: which rubric criteria it covers, in the current stage and every later one (with
the quote that shows it), and which wrong claims from the misconception catalogue it makes.
The session keeps the union (``SessionState.covered`` and ``SessionState.claims``), so what the
candidate covered while framing the problem is not probed again in evaluation, and the report
can list every claim the interviewer took up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.grading.concepts import ConceptMatcher
from interviewer.grading.text import stems
from interviewer.rubrics.misconceptions import Misconception
from interviewer.rubrics.models import Problem, Rubric
from interviewer.session.claims import ClaimHit, detect
from interviewer.stages import STAGE_IDS

COVERED_MIN = 2  # a criterion scoring at least this in one message is covered for good


def is_covered(criterion: dict[str, Any]) -> bool:
    """Covered for the interviewer's purposes: scored at least COVERED_MIN, or named and
    committed to with a quote that shows it (the grader only quotes a unit that names the
    criterion). Probing a criterion the candidate has just spoken to, however briefly, is asking
    them to repeat themselves; the grade still says how well they covered it."""
    score = int(criterion.get("score", 0) or 0)
    return score >= COVERED_MIN or (score >= 1 and bool(str(criterion.get("evidence") or "")))


@dataclass(frozen=True)
class Evidence:
    score: int
    quote: str


@dataclass
class MessageAnalysis:
    covered: dict[str, dict[str, Evidence]] = field(default_factory=dict)  # stage -> criterion
    claims: list[ClaimHit] = field(default_factory=list)
    grades: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-message stage grades


def later_stages(stage: str) -> list[str]:
    """The stages after ``stage`` (coverage of a closed stage changes no decision; the
    current stage's coverage comes from its merged grade)."""
    if stage not in STAGE_IDS:
        return []
    return list(STAGE_IDS[STAGE_IDS.index(stage) + 1 :])


_matchers: dict[int, tuple[Rubric, ConceptMatcher]] = {}


def mentions(stem_seq: list[str], rubric: Rubric) -> bool:
    """Whether the text names any concept of ``rubric``: evidence for a criterion needs one,
    so a stage whose concepts are absent cannot be covered by this message (and is not graded)."""
    hit = _matchers.get(id(rubric))
    if hit is None or hit[0] is not rubric:
        if len(_matchers) > 512:
            _matchers.clear()
        hit = (rubric, ConceptMatcher(k for c in rubric.criteria for k in c.concepts))
        _matchers[id(rubric)] = hit
    return bool(hit[1].find(stem_seq))


def analyse(
    text: str,
    *,
    stage: str,
    problem: Problem,
    rubrics: dict[str, Rubric],
    catalogue: Sequence[Misconception],
    grade_all: Any,
    detect_claims: bool = True,
    cross_stage: bool = True,
) -> MessageAnalysis:
    """Analyse one answer given in ``stage``. ``grade_all`` is grading.grade_all (injected so
    the evals can swap the grader)."""
    out = MessageAnalysis()
    stages = later_stages(stage) if cross_stage else []
    if stages and text.strip():
        seq = stems(text)
        stages = [s for s in stages if s in rubrics and mentions(seq, rubrics[s])]
    if text.strip() and stages:
        grades = grade_all(text, problem, stages, rubrics={s: rubrics[s] for s in stages})
        for s, g in grades.items():
            d = g.to_dict() if hasattr(g, "to_dict") else dict(g)
            out.grades[s] = d
            for c in d.get("criteria", []):
                if is_covered(c):
                    quote = str(c.get("evidence") or "")
                    out.covered.setdefault(s, {})[c["id"]] = Evidence(int(c["score"]), quote)
    if detect_claims and catalogue:
        out.claims = detect(text, catalogue, problem.problem_family, stage=stage)
    return out


def from_grade(stage: str, grade: dict[str, Any] | None) -> dict[str, dict[str, Evidence]]:
    """The current stage's coverage as shown by its merged grade."""
    if not grade:
        return {}
    found = {
        c["id"]: Evidence(int(c["score"]), str(c.get("evidence") or ""))
        for c in grade.get("criteria", [])
        if is_covered(c)
    }
    return {stage: found} if found else {}


def merge_covered(
    covered: dict[str, dict[str, dict[str, Any]]],
    analysis: MessageAnalysis,
    turn: int,
) -> dict[str, dict[str, dict[str, Any]]]:
    """The session's coverage with this message's added (a higher score replaces a lower)."""
    out = {s: dict(v) for s, v in covered.items()}
    for s, by_id in analysis.covered.items():
        bucket = out.setdefault(s, {})
        for cid, ev in by_id.items():
            old = bucket.get(cid)
            if old is None or ev.score > int(old.get("score", 0)):
                bucket[cid] = {"score": ev.score, "quote": ev.quote, "turn": turn}
    return out


def covered_ids(covered: dict[str, dict[str, dict[str, Any]]], stage: str) -> set[str]:
    return set(covered.get(stage, {}))


def new_claims(
    claims: list[dict[str, Any]], analysis: MessageAnalysis, stage: str, turn: int
) -> list[dict[str, Any]]:
    """Claims of this message not already on record (one record per misconception)."""
    known = {c["id"] for c in claims}
    return [
        {"id": h.misconception, "stage": stage, "quote": h.quote, "turn": turn, "taken_up": False}
        for h in analysis.claims
        if h.misconception not in known
    ]
