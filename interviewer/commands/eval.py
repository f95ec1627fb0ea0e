"""``interviewer eval``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="compare interviewer variants offline",
        description="Run simulated candidates against interviewer variants and write JSONL "
        "records and an HTML report comparing them against the first (baseline) variant.",
        epilog="example: interviewer eval --variants evals/variants/baseline.yaml "
        "evals/variants/budget1.yaml --repeat 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--variants",
        nargs="+",
        metavar="YAML",
        help="variant files (or shipped names: baseline, budget1, fake-llm-v1, "
        "fake-llm-v2); the first is the baseline (default: baseline)",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per case (default 1)")
    p.add_argument("--problems", nargs="*", help="problem ids (default: all)")
    p.add_argument("--personas", nargs="*", help="persona names (default: all)")
    p.add_argument("--out", metavar="DIR", help="output directory (default: evals/out/<timestamp>)")
    p.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    p.add_argument(
        "--suite",
        choices=["interview", "grading", "retrieval", "listening", "all"],
        default="interview",
        help="which eval to run (default interview)",
    )
    p.add_argument(
        "--judge",
        metavar="LLM[:MODEL]",
        help="also rate each interview with this LLM (optional LLM judge; e.g. "
        "openai:gpt-4o-mini, or eval-fake:fake-v1 for a smoke test)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    import time
    from pathlib import Path

    from interviewer.errors import UserInputError

    if args.repeat < 1:
        raise UserInputError(f"bad --repeat {args.repeat!r}: expected 1 or more")
    if args.workers < 1:
        raise UserInputError(f"bad --workers {args.workers!r}: expected 1 or more")
    from evals.run import check_personas, check_problems, default_personas, run_eval
    from evals.variants import VARIANTS_DIR, load_variants

    paths = args.variants or [str(VARIANTS_DIR / "baseline.yaml")]
    variants = load_variants(paths)
    judge = None
    if args.judge:  # built now, so an unknown provider or a missing key fails before any work
        from evals import fakes
        from interviewer.llm import get_llm

        fakes.register()
        name, _, model = args.judge.partition(":")
        judge = get_llm(name, model or None)
    personas = check_personas(args.personas) if args.personas else default_personas()
    problems = check_problems(args.problems)
    out = Path(args.out) if args.out else Path("evals/out") / time.strftime("%Y%m%d-%H%M%S")
    if out.exists() and not out.is_dir():
        raise UserInputError(f"bad --out {str(out)!r}: exists and is not a directory")
    result = run_eval(
        variants,
        personas=personas,
        problems=problems,
        repeat=args.repeat,
        out_dir=out,
        workers=args.workers,
        suite=args.suite,
        judge=judge,
        progress=not args.no_progress,
    )
    summary = result["summary"]
    if args.json:
        print(
            json.dumps(
                {k: v for k, v in summary.items() if k != "by_persona"}, indent=2, default=str
            )
        )
    else:
        from evals.aggregate import SPECS, fmt

        names = [v.name for v in variants]
        if summary.get("variants"):
            width = max(len(s.label) for s in SPECS)
            print(f"{'metric':<{width}}  " + "  ".join(f"{n:>14}" for n in names))
            for s in SPECS:
                cells = [fmt(summary["variants"][n][s.key]["value"], s.fmt) for n in names]
                print(f"{s.label:<{width}}  " + "  ".join(f"{c:>14}" for c in cells))
        for name, res in summary["meta"]["suites"].items():
            print(f"suite {name}: {json.dumps(res, default=str)[:600]}")
        if summary.get("errors"):
            print(
                f"{len(summary['errors'])} interview(s) failed (see summary.json)", file=sys.stderr
            )
    for kind, path in result["paths"].items():
        print(f"{kind}: {path}", file=sys.stderr)
    return 1 if summary.get("errors") else 0
