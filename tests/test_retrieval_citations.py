"""The labelled set for report citations is well formed, and the scorer's matching is exact."""

from __future__ import annotations

import re
from pathlib import Path

from evals.retrieval.citations import is_hit, label, load_rows
from interviewer.rubrics.loader import load_problems, load_rubrics

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _headings() -> set[str]:
    out = set()
    for path in CORPUS.glob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^#{1,6}\s+(.*)$", line)
            if m:
                out.add(f"{path.name}#{m.group(1).strip()}")
    return out


def test_every_row_names_a_real_problem_criterion_and_passage() -> None:
    rows = load_rows()
    assert len(rows) == 122 and len({r.id for r in rows}) == 122
    problems, rubrics, headings = load_problems(), load_rubrics(), _headings()
    for row in rows:
        assert row.problem in problems, row.id
        rubrics[row.stage].criterion(row.criterion)
        assert row.relevant and set(row.relevant) <= headings, row.id


def test_hit_matches_file_and_leaf_heading() -> None:
    choice = {
        "source": "corpus/03-data.md",
        "heading": "Data: Sources > Label delay, noise and bias",
    }
    assert label(choice["source"], choice["heading"]) == "03-data.md#Label delay, noise and bias"
    assert is_hit(choice, ("03-data.md#label delay, noise and bias",))
    assert not is_hit(choice, ("04-features.md#Label delay, noise and bias",))
    assert not is_hit(None, ("03-data.md#Label delay, noise and bias",))
