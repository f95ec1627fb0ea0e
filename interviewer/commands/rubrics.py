"""``interviewer rubrics``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rubrics",
        help="validate or export rubrics",
        description="Work with the coach-edited rubric and problem YAML files.",
        epilog="example: interviewer rubrics validate rubrics/\n"
        "         interviewer rubrics schema --out rubrics/schema",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rs = p.add_subparsers(dest="rubrics_command", metavar="ACTION", required=True)
    v = rs.add_parser(
        "validate", help="validate rubric and problem YAML; exit 2 with file:line: message"
    )
    v.add_argument("dir", nargs="?", help="rubrics directory (default: settings)")
    s = rs.add_parser("schema", help="write JSON schemas for editors")
    s.add_argument("--out", metavar="DIR", help="output directory (default: <rubrics>/schema)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.rubrics_command == "schema":
        return _schema(args.out)
    return _validate(args.dir)


def _validate(target: str | None) -> int:
    """Problems go to stdout as ``file:line: message`` (like a linter); the count to stderr."""
    from pathlib import Path

    from interviewer.errors import RubricError, UserInputError
    from interviewer.rubrics.loader import check_dir

    if target is not None and not Path(target).exists():
        raise UserInputError(f"no such directory: {target!r}")
    try:
        report = check_dir(target)
        errors, n_rubrics, n_problems = report.errors, len(report.rubrics), len(report.problems)
    except RubricError as exc:  # a single unreadable file
        errors, n_rubrics, n_problems = exc.messages, 0, 0
    if errors:
        for line in errors:
            print(line)
        print(f"interviewer: {len(errors)} error(s)", file=sys.stderr)
        return 2
    print(f"ok: {n_rubrics} rubrics, {n_problems} problems")
    return 0


def _schema(out: str | None) -> int:
    from pathlib import Path

    from interviewer.rubrics.schema import write_schemas
    from interviewer.settings import get_settings

    out_dir = Path(out) if out else get_settings().rubrics_dir / "schema"
    try:
        written = write_schemas(out_dir)
    except OSError as exc:
        from interviewer.errors import UserInputError

        raise UserInputError(
            f"cannot write schemas to {str(out_dir)!r}: {exc.strerror or exc}"
        ) from None
    for path in written:
        print(path)
    return 0
