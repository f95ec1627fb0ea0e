"""``interviewer eval``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="compare interviewer variants offline",
        description="Run simulated candidates against interviewer variants and write JSONL records "
        "and an HTML report comparing them against the first (baseline) variant.",
        epilog="example: interviewer eval --variants evals/variants/baseline.yaml evals/variants/budget1.yaml --repeat 3",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", nargs="+", metavar="YAML", help="variant files; the first is the baseline")
    p.add_argument("--repeat", type=int, default=1, help="runs per case (default 1)")
    p.add_argument("--problems", nargs="*", help="problem ids (default: all)")
    p.add_argument("--personas", nargs="*", help="persona names (default: all)")
    p.add_argument("--out", metavar="DIR", help="output directory (default: evals/out/<timestamp>)")
    p.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    p.add_argument("--suite", choices=["interview", "grading", "retrieval", "all"], default="interview",
                   help="which eval to run (default interview)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer eval is not built yet")
