"""``interviewer sessions`` (list) and ``interviewer sessions migrate --to postgresql://…``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sessions",
        help="list stored interview sessions; copy them into PostgreSQL",
        description="List stored sessions, newest first (from INTERVIEWER_DATABASE_URL when "
        "set, else the SQLite file).",
        epilog="examples:\n  interviewer sessions --json\n"
        "  interviewer sessions migrate --to postgresql://app@db:5432/interviewer",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    m = actions.add_parser(
        "migrate",
        help="copy every session of a SQLite store into PostgreSQL (idempotent)",
        description="Copy every session, byte for byte, from the SQLite store (default: this "
        "install's sessions file) into another store. Run it again at any time: sessions "
        "already copied are left alone, sessions that went on in the source since are brought "
        "up to date, sessions that went on in the target are kept.",
    )
    m.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    m.add_argument(
        "--from",
        dest="source",
        metavar="PATH",
        help="the source store (default: INTERVIEWER_DB_PATH or DATA_DIR/sessions.db)",
    )
    m.add_argument("--json", action="store_true", help="print the counts as JSON")
    m.set_defaults(func=run_migrate)


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(args: argparse.Namespace) -> int:
    import json

    from interviewer.session.store import open_store
    from interviewer.settings import get_settings

    cfg = get_settings()
    with open_store(cfg.session_store, pool_size=2) as store:
        rows = store.summaries()
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


def run_migrate(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from interviewer.errors import UserInputError
    from interviewer.session.store import copy_sessions, is_database_url, open_store, redact_url
    from interviewer.settings import get_settings

    if not is_database_url(args.to.strip()):
        raise UserInputError(f"--to must be a postgresql://… URL, not {redact_url(args.to)!r}")
    source = args.source or str(get_settings().db_file)
    if not is_database_url(source) and not Path(source).is_file():
        # Opening a missing SQLite file would create an empty store: say so instead.
        raise UserInputError(f"no session store at {source!r} (give one with --from PATH)")
    with open_store(source, pool_size=2) as src, open_store(args.to.strip(), pool_size=2) as dst:
        show = (lambda i, n: None) if args.json or not sys.stderr.isatty() else _progress
        result = copy_sessions(src, dst, progress=show)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['sessions']} sessions from {result['from']} to {result['to']}: "
            f"{result['copied']} copied, {result['updated']} brought up to date, "
            f"{result['unchanged']} already there, {result['kept']} newer there (kept); "
            f"{result['turns']} turns in {result['seconds']} s"
        )
    return 0


def _progress(i: int, n: int) -> None:
    import sys

    print(f"\rcopying sessions: {i}/{n}", end="\n" if i == n else "", file=sys.stderr)
