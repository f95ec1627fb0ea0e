"""``interviewer bench``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure engine speed and memory",
        description="Benchmark turn overhead, grading, ingest, app cold start, memory and prompt tokens.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer bench is not built yet")
