"""``interviewer ingest``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ingest",
        help="add guide files to the vector index",
        description="Ingest .md/.txt/.html/.pdf files or folders into the vector index. "
        "Idempotent: unchanged files are skipped by content hash; changed files replace their "
        "chunks; files deleted from a re-ingested folder are dropped. Bad files are reported "
        "one per line (exit 2) and the others are still ingested.",
        epilog="example: interviewer ingest corpus/ ../notes/guide.pdf --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--index", metavar="DIR", help="index directory (default: settings)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from interviewer.ingest.pipeline import ingest_paths

    show_progress = not args.no_progress and (not args.json or sys.stderr.isatty())
    report = ingest_paths(args.paths, args.index, progress=show_progress)
    for err in report.errors:
        print(f"interviewer: skipped {err}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        parts = [
            f"{report.files} file(s), {report.chunks} chunks",
            f"{report.added} added",
            f"{report.skipped} unchanged file(s) skipped",
        ]
        if report.updated_files:
            parts.append(f"{report.updated_files} changed file(s) replaced")
        if report.removed:
            parts.append(f"{report.removed} stale chunks removed")
        if report.deleted_files:
            parts.append(f"{len(report.deleted_files)} deleted file(s) dropped")
        if report.errors:
            parts.append(f"{len(report.errors)} bad file(s)")
        print(f"ingested {', '.join(parts)} in {report.seconds:.1f} s -> {report.index}")
    return 2 if report.errors else 0
