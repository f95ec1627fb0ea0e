"""``interviewer serve``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="start the Gradio app",
        description="Start the Gradio app (candidate tab, history, coach tab).",
        epilog="example: interviewer serve --port 7860")
    p.add_argument("--host", help="bind address (default: settings, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: settings, 7860)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import InterviewerError

    raise InterviewerError("interviewer serve is not built yet")
