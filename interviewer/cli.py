"""The ``interviewer`` console script.

Each subcommand lives in ``interviewer/commands/<name>.py`` with ``register(subparsers)``; the
modules import only argparse at load time so ``interviewer --help`` stays fast, and pull heavy
libraries (torch, chromadb, gradio) inside their ``run`` functions.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from interviewer import __version__

COMMANDS = (
    "ingest",
    "search",
    "grade",
    "stages",
    "problems",
    "rubrics",
    "chat",
    "sessions",
    "serve",
    "eval",
    "bench",
    "voice",
)

EPILOG = """\
examples:
  interviewer chat --problem video-recommendations      # a terminal interview (offline engine)
  interviewer serve --port 7860                          # the Gradio app
  interviewer ingest corpus/ --json                      # (re)build the guide index
  interviewer search "point-in-time correctness" -k 3    # ask the index
  interviewer grade --stage data --answer "We log clicks as implicit labels..." --json
  interviewer rubrics validate rubrics/                  # check coach-edited YAML
  interviewer voice transcribe answer.wav --stage data   # speech to text, offline
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interviewer",
        description="Mock interviewer for ML system design interviews.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"interviewer.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from interviewer.errors import InterviewerError
    from interviewer.runtime import configure_offline

    configure_offline()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        code = args.func(args)
        return int(code or 0)
    except InterviewerError as exc:
        print(f"interviewer: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interviewer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if os.environ.get("INTERVIEWER_DEBUG"):
            raise
        print(
            f"interviewer: internal error: {type(exc).__name__}: {exc} "
            "(set INTERVIEWER_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
