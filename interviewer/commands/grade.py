"""``interviewer grade``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("grade", help="grade one answer against a stage rubric",
        description="Grade an answer against the stage's rubric: per-criterion scores 0-4 with quoted evidence.",
        epilog='example: interviewer grade --stage data --answer "Labels are clicks..." --json\n'
               '         interviewer grade --batch answers.jsonl',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", help="stage id (see: interviewer stages)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--answer", help="the answer text")
    src.add_argument("--answer-file", metavar="F", help="read the answer from a file ('-' for stdin)")
    src.add_argument("--batch", metavar="FILE", help='JSON Lines {"stage","answer","problem"?}; one grade per line')
    p.add_argument("--problem", help="problem id (applies its rubric overrides)")
    p.add_argument("--rubrics", metavar="DIR", help="rubrics directory (default: settings)")
    p.add_argument("--llm", choices=["offline", "openai", "openai-compatible"], help="grader engine")
    p.add_argument("--model", help="model name for LLM engines")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer grade is not built yet")
