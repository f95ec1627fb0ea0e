"""``python -m evals.listening.honest``: does the misconception catalogue stay quiet on honest text?

Runs claims detection (as the interviewer does, meaning path included) over
- the on-stage answers of the grading tuning sets (``evals/grading/holdout1..14.jsonl``,
  ``kind`` on_stage, label >= 3: good answers written by experts), with the problem's family;
- every paragraph of the corpus, with every family (the guide is expert text).

and prints how many units each entry fires on (aim: near zero; an entry that fires on expert
text needs a tighter detector). ``corpus/common-mistakes.md`` names the mistakes on purpose
and is reported apart. The held-out grading sets (holdout15 and later) are never read.

    python -m evals.listening.honest            # counts per entry
    python -m evals.listening.honest --show     # and every unit that fired
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUNING_SETS = tuple(f"holdout{i}.jsonl" for i in range(1, 15))  # never holdout15 and later
MISTAKES_FILE = "common-mistakes.md"


def graded_answers() -> list[tuple[str, str, str]]:
    """(id, problem, answer) of the tuning sets' on-stage answers labelled 3 or more."""
    out: list[tuple[str, str, str]] = []
    for name in TUNING_SETS:
        for line in (ROOT / "evals" / "grading" / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("kind") == "on_stage" and int(row.get("label", 0)) >= 3:
                out.append((str(row["id"]), str(row["problem"]), str(row["answer"])))
    return out


def corpus_paragraphs() -> list[tuple[str, str]]:
    """(file, paragraph) of every corpus file, headings and HTML comments left out."""
    out: list[tuple[str, str]] = []
    for path in sorted((ROOT / "corpus").glob("*.md")):
        text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
        for para in re.split(r"\n\s*\n", text):
            para = para.strip()
            if para and not para.startswith("#"):
                out.append((path.name, para))
    return out


def run(show: bool = False) -> dict[str, Counter[str]]:
    from interviewer.rubrics.loader import get_problem
    from interviewer.rubrics.misconceptions import scan
    from interviewer.rubrics.models import FAMILIES
    from interviewer.session.claims import detect

    catalogue, errors = scan(ROOT / "rubrics" / "misconceptions", ROOT / "corpus")
    if errors:
        raise SystemExit("\n".join(errors))
    entries = list(catalogue.values())
    counts: dict[str, Counter[str]] = {
        "answers": Counter(),
        "corpus": Counter(),
        "mistakes": Counter(),
    }
    units = {"answers": 0, "corpus": 0, "mistakes": 0}
    for rid, problem, answer in graded_answers():
        units["answers"] += 1
        for h in detect(answer, entries, get_problem(problem).problem_family):
            counts["answers"][h.misconception] += 1
            if show:
                print(f"answers  {h.misconception:40s} {h.how:7s} {rid}: {h.quote}")
    for name, para in corpus_paragraphs():
        bucket = "mistakes" if name == MISTAKES_FILE else "corpus"
        units[bucket] += 1
        fired = {h.misconception: h for f in FAMILIES for h in detect(para, entries, f)}
        for mid, h in fired.items():
            counts[bucket][mid] += 1
            if show:
                print(f"{bucket:8s} {mid:40s} {h.how:7s} {name}: {h.quote}")
    for bucket, c in counts.items():
        total = sum(c.values())
        print(f"== {bucket}: {total} hits over {units[bucket]} texts")
        for mid, n in c.most_common():
            print(f"   {n:3d}  {mid}")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.listening.honest", description=__doc__)
    p.add_argument("--show", action="store_true", help="print every unit that fired")
    args = p.parse_args(argv)
    run(show=args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
