"""``interviewer problems``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("problems", help="list the interview problems",
        description="List the problem bank (ids and titles).")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer problems is not built yet")
