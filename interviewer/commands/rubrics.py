"""``interviewer rubrics``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("rubrics", help="validate or export rubrics",
        description="Work with the coach-edited rubric and problem YAML files.",
        epilog="example: interviewer rubrics validate rubrics/\n         interviewer rubrics schema --out rubrics/schema",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    rs = p.add_subparsers(dest="rubrics_command", metavar="ACTION", required=True)
    v = rs.add_parser("validate", help="validate rubric and problem YAML; exit 2 with file:line: message")
    v.add_argument("dir", nargs="?", help="rubrics directory (default: settings)")
    s = rs.add_parser("schema", help="write JSON schemas for editors")
    s.add_argument("--out", metavar="DIR", help="output directory (default: <rubrics>/schema)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer rubrics is not built yet")
