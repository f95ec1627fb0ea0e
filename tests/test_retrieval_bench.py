"""The retrieval benchmark: its labels point at real corpus sections, and hybrid retrieval
keeps beating dense retrieval on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.retrieval.bench import load_queries, run
from interviewer.ingest.pipeline import _fallback_title
from interviewer.ingest.structure import parse_document
from interviewer.settings import PROJECT_ROOT
from interviewer.stages import STAGE_IDS

CORPUS = PROJECT_ROOT / "corpus"
needs_corpus = pytest.mark.skipif(
    len(list(CORPUS.glob("*.md"))) < 15, reason="corpus/ is not written yet"
)


def _headings(path: Path) -> list[str]:
    doc = parse_document(
        path.read_text(encoding="utf-8"), "markdown", _fallback_title(path.name), STAGE_IDS
    )
    return [s.heading.lower() for s in doc.sections]


@needs_corpus
def test_labels_point_at_existing_sections_and_are_not_heading_copies() -> None:
    queries = load_queries()
    assert len(queries) >= 40
    for q in queries:
        for t in q.targets:
            path = CORPUS / t.source
            assert path.exists(), f"{q.query!r}: no corpus file {t.source}"
            heads = _headings(path)
            matching = [h for h in heads if t.heading.lower() in h]
            assert matching, f"{q.query!r}: no heading in {t.source} contains {t.heading!r}"
            # the substring must pick a section, not every chunk via the document title
            assert len(matching) < len(heads), f"{t.heading!r} matches all of {t.source}"
            section = matching[0].split(" > ")[-1]
            assert q.query.lower().strip("?. ") != section, f"{q.query!r} copies a heading"


@needs_corpus
@pytest.mark.slow
def test_hybrid_beats_dense_on_the_benchmark() -> None:
    result = run()
    dense, hybrid = result["modes"]["dense"], result["modes"]["hybrid"]
    assert result["ingest"]["errors"] == []
    assert hybrid["mrr"] >= dense["mrr"] and hybrid["hit@1"] >= dense["hit@1"]
    assert hybrid["hit@5"] >= 0.85 and hybrid["mrr"] >= 0.8, result
