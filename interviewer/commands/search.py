"""``interviewer search``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("search", help="search the guide index",
        description="Search the guide index; results best first.",
        epilog='example: interviewer search "point-in-time correctness" -k 3 --json',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", nargs="?", help="the query (omit with --batch)")
    p.add_argument("--index", metavar="DIR", help="index directory (default: settings)")
    p.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--stage", help="only passages about this stage")
    p.add_argument("--batch", metavar="FILE", help="one query per line ('-' for stdin); prints JSON Lines")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer search is not built yet")
