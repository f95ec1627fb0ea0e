"""``interviewer problems``."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "problems",
        help="list the interview problems",
        description="List the problem bank (ids and titles).",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.rubrics.loader import load_problems

    problems = load_problems()
    rows = [{"id": p.id, "title": p.title, "kind": p.kind} for p in problems.values()]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max((len(r["id"]) for r in rows), default=0)
    kind_width = max((len(r["kind"]) for r in rows), default=0)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['kind']:<{kind_width}}  {r['title']}")
    return 0
