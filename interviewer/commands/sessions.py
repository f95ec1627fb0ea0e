"""``interviewer sessions``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sessions",
        help="list stored interview sessions",
        description="List stored sessions, newest first.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(args: argparse.Namespace) -> int:
    import json

    from interviewer.session.store import SessionStore
    from interviewer.settings import get_settings

    rows = SessionStore(get_settings().db_file).summaries()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "problem": r.problem_id,
                        "stage": r.stage,
                        "finished": r.finished,
                        "updated": _iso(r.updated),
                        "user": r.user,
                        "title": r.problem_title,
                        "turns": r.turns,
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return 0
    if not rows:
        print("no sessions yet; start one with: interviewer chat")
        return 0
    print(f"{'id':<14} {'problem':<28} {'stage':<13} {'finished':<9} updated")
    for r in rows:
        print(
            f"{r.id:<14} {r.problem_id:<28} {r.stage:<13} {'yes' if r.finished else 'no':<9} "
            f"{_iso(r.updated)}"
        )
    return 0
