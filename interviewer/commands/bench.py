"""``interviewer bench``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "bench",
        help="measure engine speed and memory",
        description="Benchmark turn overhead, grading, ingest, app cold start, memory and "
        "prompt tokens; ratios against raw baselines measured in the same run.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from evals.bench import run_bench, table

    def say(msg: str) -> None:
        print(f"bench: {msg}…", file=sys.stderr, flush=True)

    result = run_bench(quick=args.quick, progress=say)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0
