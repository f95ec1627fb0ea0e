"""Score the report's citation choice on the blind labelled set ``citations.jsonl``.

Each row is (problem, stage, criterion) -> ``relevant``: passages as ``file.md#Heading`` that a
candidate with that gap should read. The set was committed before any retrieval ran on it. For
every row the report's own choice is made (the passage a gap in the report would cite) and
scored:

- ``hit@1``: the chosen passage's file and leaf heading are in ``relevant``;
- ``cross_family``: the share of chosen passages from another problem family's domain file
  (a fraud gap sent to two-tower material).

``--legacy`` scores the choice the report made before issue 11 (the first passage of a
stage-filtered search for the criterion's title and description), for the before/after note.

```
.venv/bin/python -m evals.retrieval.citations [--index DIR] [--legacy] [--json]
```
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.retrieval.domains import file_name, fit

LABELS_FILE = Path(__file__).with_name("citations.jsonl")

# (search, problem, rubric criterion, stage) -> {"source", "heading", ...} or None
Chooser = Callable[[Any, Any, Any, str], dict[str, Any] | None]


@dataclass(frozen=True)
class Row:
    id: str
    problem: str
    stage: str
    criterion: str
    relevant: tuple[str, ...]


def load_rows(path: Path = LABELS_FILE) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(
                Row(d["id"], d["problem"], d["stage"], d["criterion"], tuple(d["relevant"]))
            )
    return rows


def label(source: str, heading: str) -> str:
    """``file.md#Leaf heading`` for a passage (its heading path's last part)."""
    return f"{file_name(source)}#{heading.split(' > ')[-1].strip()}"


def is_hit(choice: dict[str, Any] | None, relevant: tuple[str, ...]) -> bool:
    if not choice:
        return False
    got = label(choice["source"], choice["heading"]).lower()
    return got in {r.lower() for r in relevant}


def legacy_choice(search: Any, problem: Any, criterion: Any, stage: str) -> dict[str, Any] | None:
    """What the report cited first before issue 11."""
    for stage_filter in (stage, None):
        passages = search(f"{criterion.title}. {criterion.description}", 6, stage_filter)
        if passages:
            p = passages[0]
            return {"source": p.source, "heading": p.heading}
    return None


def report_choice(search: Any, problem: Any, criterion: Any, stage: str) -> dict[str, Any] | None:
    from interviewer.session.report_cite import cite_gap

    found = cite_gap(search, problem, criterion, stage, n=1)
    return found[0] if found else None


def score(rows: list[Row], search: Any, chooser: Chooser) -> dict[str, Any]:
    from interviewer.rubrics.loader import effective_rubric, load_problems, load_rubrics

    problems, rubrics = load_problems(), load_rubrics()
    hits = cross = 0
    per_family: dict[str, list[int]] = {}
    misses = []
    for row in rows:
        problem = problems[row.problem]
        criterion = effective_rubric(rubrics[row.stage], problem).criterion(row.criterion)
        choice = chooser(search, problem, criterion, row.stage)
        hit = is_hit(choice, row.relevant)
        hits += hit
        family = problem.problem_family
        per_family.setdefault(family, []).append(int(hit))
        if choice and fit(choice["source"], family) == 0:
            cross += 1
        if not hit:
            got = label(choice["source"], choice["heading"]) if choice else None
            misses.append({"id": row.id, "got": got, "relevant": list(row.relevant)})
    n = len(rows)
    return {
        "n": n,
        "hit@1": round(hits / n, 3),
        "cross_family": round(cross / n, 3),
        "hit@1_by_family": {f: round(sum(v) / len(v), 3) for f, v in sorted(per_family.items())},
        "misses": misses,
    }


def run(index_dir: Path | str | None = None, *, legacy: bool = False) -> dict[str, Any]:
    """Without ``index_dir`` the corpus is ingested into a fresh temporary index."""
    from interviewer.ingest import ingest_paths
    from interviewer.retrieval.retriever import Retriever
    from interviewer.settings import get_settings

    rows = load_rows()
    with tempfile.TemporaryDirectory(prefix="interviewer-citations-") as tmp:
        index: Path | str = index_dir or tmp
        if index_dir is None:
            ingest_paths([get_settings().corpus_dir], index)
        retriever = Retriever(index)

        def search(query: str, k: int, stage: str | None) -> list[Any]:
            return list(retriever.search(query, k=k, stage=stage))

        out = score(rows, search, legacy_choice if legacy else report_choice)
    out["chooser"] = "legacy" if legacy else "report"
    return out


def main(argv: list[str] | None = None) -> int:
    from interviewer.runtime import configure_offline

    configure_offline()
    parser = argparse.ArgumentParser(
        prog="python -m evals.retrieval.citations",
        description="Report citations on the labelled set: hit@1 and cross-family share.",
    )
    parser.add_argument("--index", help="use this index instead of ingesting corpus/ afresh")
    parser.add_argument("--legacy", action="store_true", help="score the pre-issue-11 choice")
    parser.add_argument("--json", action="store_true", help="print the full JSON (with misses)")
    args = parser.parse_args(argv)
    result = run(args.index, legacy=args.legacy)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"citations ({result['chooser']}): n={result['n']} hit@1={result['hit@1']:.3f} "
            f"cross-family={result['cross_family']:.3f} by family={result['hit@1_by_family']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
