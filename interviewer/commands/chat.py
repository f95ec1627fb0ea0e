"""``interviewer chat``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("chat", help="a mock interview in the terminal",
        description="Run a mock interview in the terminal. With stdin not a terminal, each input line "
        "is one candidate message. Commands: /next (next stage), /end (finish and report), /help.",
        epilog="example: interviewer chat --problem video-recommendations --transcript t.json\n"
               "         interviewer chat --resume 3f2a9c",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--problem", help="problem id (default: random)")
    p.add_argument("--resume", metavar="ID", help="carry on a stored session")
    p.add_argument("--llm", choices=["offline", "openai", "openai-compatible"], help="engine")
    p.add_argument("--model", help="model name for LLM engines")
    p.add_argument("--transcript", metavar="FILE", help="write the transcript JSON here at the end")
    p.add_argument("--report", metavar="FILE", help="write the Markdown report here at the end")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer chat is not built yet")
