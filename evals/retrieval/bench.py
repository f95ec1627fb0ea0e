"""Score retrieval on labelled queries: hit@1, hit@5 and MRR@10 per retrieval mode.

A result is a hit when its source file is the expected one and its heading path contains the
expected substring (case-insensitive); ``also`` in the YAML lists equally good sections.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interviewer.retrieval import Passage
from interviewer.retrieval.retriever import DEFAULT_MODE, MODES, Retriever

QUERIES_FILE = Path(__file__).with_name("queries.yaml")
DEPTH = 10  # MRR is computed over the top 10


@dataclass(frozen=True)
class Target:
    source: str
    heading: str

    def matches(self, p: Passage) -> bool:
        src = p.source.replace("\\", "/")
        return (src == self.source or src.endswith("/" + self.source)) and (
            self.heading.lower() in p.heading.lower()
        )


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    targets: tuple[Target, ...]


def load_queries(path: Path = QUERIES_FILE) -> list[LabelledQuery]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for row in data["queries"]:
        targets = [Target(row["source"], row["heading"])]
        targets += [Target(a["source"], a["heading"]) for a in row.get("also") or []]
        out.append(LabelledQuery(row["query"], tuple(targets)))
    return out


def first_hit_rank(query: LabelledQuery, passages: list[Passage]) -> int | None:
    for rank, p in enumerate(passages, 1):
        if any(t.matches(p) for t in query.targets):
            return rank
    return None


def score(queries: list[LabelledQuery], retriever: Retriever) -> dict[str, Any]:
    results = retriever.search_many([q.query for q in queries], k=DEPTH)
    ranks = [first_hit_rank(q, r) for q, r in zip(queries, results, strict=True)]
    n = len(queries)
    return {
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 3),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 3),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 3),
        "misses@5": [q.query for q, r in zip(queries, ranks, strict=True) if r is None or r > 5],
    }


def run(index_dir: Path | str | None = None, modes: tuple[str, ...] = MODES) -> dict[str, Any]:
    """Benchmark every mode. Without ``index_dir`` the corpus (settings.corpus_dir) is ingested
    into a fresh temporary index, so the figures do not depend on local index state."""
    from interviewer.ingest import ingest_paths
    from interviewer.settings import get_settings

    queries = load_queries()
    with tempfile.TemporaryDirectory(prefix="interviewer-retrieval-bench-") as tmp:
        index: Path | str = index_dir or tmp
        ingest: dict[str, Any] | None = None
        if index_dir is None:
            report = ingest_paths([get_settings().corpus_dir], index)
            ingest = {"files": report.files, "chunks": report.chunks, "errors": report.errors}
        out: dict[str, Any] = {
            "n_queries": len(queries),
            "default_mode": DEFAULT_MODE,
            "ingest": ingest,
            "modes": {},
        }
        for mode in modes:
            t = time.perf_counter()
            figures = score(queries, Retriever(index, mode=mode))
            figures["ms_per_query"] = round(1000 * (time.perf_counter() - t) / len(queries), 1)
            out["modes"][mode] = figures
    return out


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"retrieval benchmark: {result['n_queries']} queries "
        f"(default mode: {result['default_mode']})",
        f"{'mode':<8} {'hit@1':>6} {'hit@5':>6} {'MRR':>6} {'ms/q':>6}",
    ]
    for mode, f in result["modes"].items():
        lines.append(
            f"{mode:<8} {f['hit@1']:>6.3f} {f['hit@5']:>6.3f} {f['mrr']:>6.3f} "
            f"{f['ms_per_query']:>6.1f}"
        )
    return "\n".join(lines)
