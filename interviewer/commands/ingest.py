"""``interviewer ingest``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("ingest", help="add guide files to the vector index",
        description="Ingest .md/.txt/.html/.pdf files or folders into the vector index. "
        "Idempotent: unchanged files are skipped by content hash; changed files replace their chunks.",
        epilog="example: interviewer ingest corpus/ ../notes/guide.pdf --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--index", metavar="DIR", help="index directory (default: settings)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer ingest is not built yet")
