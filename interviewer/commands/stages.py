"""``interviewer stages``: the fixed interview stages."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "stages",
        help="list the interview stages",
        description="List the interview stages in order, with time budgets.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.stages import STAGES

    if args.json:
        print(
            json.dumps(
                [
                    {"id": s.id, "title": s.title, "minutes": s.minutes, "covers": s.covers}
                    for s in STAGES
                ],
                indent=2,
            )
        )
    else:
        for s in STAGES:
            print(f"{s.id:<13} {s.minutes:>2} min  {s.title}")
    return 0
