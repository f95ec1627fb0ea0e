"""The end-of-interview report built from a hand-made state: what it ranks, quotes and cites.

No index and no grader: grades are written by hand and the guide search is a stand-in that
returns passages from whatever files the test wants, so the family ranking is checked exactly.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from interviewer.retrieval.domains import fit
from interviewer.retrieval.retriever import Passage
from interviewer.rubrics.loader import effective_rubric, get_problem, load_rubrics
from interviewer.rubrics.misconceptions import load_misconceptions
from interviewer.session import state as st
from interviewer.session.report import build_report
from interviewer.session.report_cite import choose, resolve_ref
from interviewer.session.report_text import to_markdown
from interviewer.stages import STAGE_IDS


def _grade(
    stage: str,
    scores: dict[str, int],
    evidence: dict[str, str] | None = None,
    score: float = 2.0,
    explain: str = "",
) -> dict[str, Any]:
    rubric = load_rubrics()[stage]
    criteria = [
        {"id": c.id, "score": scores.get(c.id, 0), "evidence": (evidence or {}).get(c.id, "")}
        for c in rubric.criteria
    ]
    out = {
        "stage": stage,
        "score": score,
        "criteria": criteria,
        "missing": [c["id"] for c in criteria if c["score"] <= 1],
    }
    if explain:
        out["explain"] = explain
    return out


class FakeSearch:
    """Every query gets an other-family domain passage on top, then the fraud domain file and a
    generic stage file: the report must never cite the first."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str | None]] = []

    def __call__(self, query: str, k: int, stage: str | None) -> list[Any]:
        self.calls.append((query, k, stage))
        if k >= 20:  # resolving a catalogue reference by its heading
            name, heading = "06-evaluation.md", query
            return [Passage("text of it", f"corpus/{name}", f"Doc > {heading}", None, 0.5)]
        return [
            Passage("two towers", "corpus/embeddings-and-ann.md", "E > Two towers", stage, 0.9),
            Passage("risk", "corpus/classification-and-moderation.md", "C > Risk", stage, 0.88),
            Passage("generic", f"corpus/0-{stage}.md", "G > Generic", stage, 0.8),
        ]


def _state(ended_early: bool = False) -> st.SessionState:
    s = st.new_session(
        "s1",
        user="u",
        problem_id="fraud-detection",
        problem_title="Payment fraud detection",
        engine="offline",
        now=0.0,
    )
    reached = STAGE_IDS[:2] if ended_early else STAGE_IDS
    for sid in reached:
        s.stages[sid].answers.append("an answer")
        s.stages[sid].grade = _grade(sid, {})
    s.stages["requirements"].grade = _grade(
        "requirements",
        {"business_objective": 4, "latency_and_freshness": 3, "scale": 2},
        {
            "business_objective": "The goal is to cut fraud losses, keeping false declines low.",
            "latency_and_freshness": "1% of users for a week.",  # does not show the criterion
        },
        score=2.1,
        explain="2 of 7 criteria solid (3-4), 1 partial (2); weighted mean 1.4 -> 1.4",
    )
    # covered later in the interview: not a gap, and its quote is the one shown
    s.covered = {
        "data": {
            "label_quality": {
                "score": 3,
                "turn": 9,
                "quote": "Chargebacks are delayed labels that come weeks later.",
            }
        }
    }
    s.claims = [
        {
            "id": "accuracy_on_rare_positives",
            "stage": "evaluation",
            "turn": 12,
            "quote": "We'll measure the fraud model by its accuracy.",
            "taken_up": True,
        }
    ]
    s.ended_early = ended_early
    return s


@pytest.fixture
def report() -> dict[str, Any]:
    problem = get_problem("fraud-detection")
    rubrics = {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}
    return build_report(_state(), problem, rubrics, search=FakeSearch())


def test_keeps_the_keys_readers_use(report: dict[str, Any]) -> None:
    for key in (
        "overall",
        "stages",
        "covered",
        "hire_signal",
        "level_signal",
        "level_rationale",
        "stage_details",
        "strengths",
        "gaps",
        "claims",
        "stage_lines",
        "engine",
    ):
        assert key in report
    assert set(report["stages"]) == set(STAGE_IDS)
    json.dumps(report)  # stored as JSON


def test_gaps_are_few_ranked_and_never_covered(report: dict[str, Any]) -> None:
    gaps = report["gaps"]
    assert 3 <= len(gaps) <= 5
    assert all(g["criterion"] != "label_quality" for g in gaps)  # covered in another message
    priorities = [g["priority"] for g in gaps]
    assert priorities == sorted(priorities, reverse=True)
    for g in gaps:
        assert g["advice"] and not g["advice"].startswith("The candidate")
        assert len(g["citations"]) >= 1
        assert all(fit(c["source"], "classification") > 0 for c in g["citations"])
    # the fraud domain passage wins over the generic one it nearly ties with
    assert gaps[0]["citations"][0]["source"].endswith("classification-and-moderation.md")


def test_strengths_quote_only_what_shows_the_criterion(report: dict[str, Any]) -> None:
    by_id = {s["criterion"]: s for s in report["strengths"]}
    assert by_id["business_objective"]["quote"].startswith("The goal is to cut fraud losses")
    assert (
        by_id["label_quality"]["quote"] == "Chargebacks are delayed labels that come weeks later."
    )
    assert by_id["latency_and_freshness"]["quote"] == ""  # "1% of users" shows no latency


def test_stage_line_uses_the_graders_explanation(report: dict[str, Any]) -> None:
    assert report["stage_lines"]["requirements"].startswith("2 of 7 criteria solid")
    assert report["stage_lines"]["framing"] == "0 of 6 criteria solid, 0 partial"


def test_claims_carry_correction_and_passage(report: dict[str, Any]) -> None:
    (claim,) = report["claims"]
    m = load_misconceptions()["accuracy_on_rare_positives"]
    assert claim["correction"] == m.correction
    heading = m.cite.split("#", 1)[1]
    assert claim["citation"]["heading"].endswith(heading)


def test_markdown_speaks_to_the_candidate(report: dict[str, Any]) -> None:
    md = to_markdown(report, problem_title="Payment fraud detection", session_id="s1")
    assert md.startswith("# Interview report")
    lead = md.split("\n## ")[0]
    assert "Verdict:" in lead and "| Stage |" in lead
    assert "The candidate" not in md
    assert "## Claims to revisit" in md and "accuracy" in md
    assert md.count("<details>") == 8 and md.count("</details>") == 8
    assert "Read: `corpus/classification-and-moderation.md` — C > Risk" in md
    assert "embeddings-and-ann" not in md


def test_unreached_stages_are_one_gap_each() -> None:
    problem = get_problem("fraud-detection")
    rubrics = {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}
    report = build_report(_state(ended_early=True), problem, rubrics, search=None)
    whole = [g for g in report["gaps"] if g["criterion"] is None]
    assert whole and all(g["title"].endswith("not reached") for g in whole)
    assert all(not g["citations"] for g in report["gaps"])  # no index: no citations, no crash
    assert report["stage_lines"]["monitoring"] == "not reached"


def test_other_family_domain_only_when_nothing_else() -> None:
    other = Passage("x", "corpus/nlp-and-llm-rag.md", "R > Chunking", None, 0.9)
    generic = Passage("y", "corpus/03-data.md", "D > Labels", None, 0.5)
    assert choose([other, generic], "classification", 1)[0]["source"] == "corpus/03-data.md"
    assert choose([other], "classification", 1)[0]["source"] == "corpus/nlp-and-llm-rag.md"


def test_catalogue_reference_without_index() -> None:
    ref = resolve_ref(None, "03-data.md#Label delay, noise and bias")
    assert ref["source"] == "corpus/03-data.md" and ref["heading"] == "Label delay, noise and bias"


def test_every_criterion_has_advice_in_the_second_person() -> None:
    for rubric in load_rubrics().values():
        for c in rubric.criteria:
            assert c.advice, c.id
            assert "the candidate" not in c.advice.lower(), c.id
            assert c.advice.count(". ") == 0 and c.advice.endswith("."), c.id  # one sentence
