"""``python -m evals.retrieval [--index DIR]``: print the benchmark table, then its JSON."""

from __future__ import annotations

import argparse
import json
import sys

from interviewer.runtime import configure_offline


def main(argv: list[str] | None = None) -> int:
    configure_offline()
    parser = argparse.ArgumentParser(
        prog="python -m evals.retrieval", description="Retrieval benchmark (hit@1, hit@5, MRR)."
    )
    parser.add_argument("--index", help="use this index instead of ingesting corpus/ afresh")
    args = parser.parse_args(argv)

    from evals.retrieval.bench import format_table, run

    result = run(args.index)
    print(format_table(result))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
