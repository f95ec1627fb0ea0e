"""``interviewer chat``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "chat",
        help="a mock interview in the terminal",
        description="Run a mock interview in the terminal. With stdin not a terminal, each input "
        "line is one candidate message. "
        "Commands: /next (next stage), /end (finish and report), /help.",
        epilog="example: interviewer chat --problem video-recommendations --transcript t.json\n"
        "         interviewer chat --resume 3f2a9c",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--problem", help="problem id (default: random)")
    p.add_argument("--resume", metavar="ID", help="carry on a stored session")
    p.add_argument("--llm", choices=["offline", "openai", "openai-compatible"], help="engine")
    p.add_argument("--model", help="model name for LLM engines")
    p.add_argument("--transcript", metavar="FILE", help="write the transcript JSON here at the end")
    p.add_argument("--report", metavar="FILE", help="write the Markdown report here at the end")
    p.set_defaults(func=run)


HELP = """commands:
  /next   move on to the next stage
  /end    finish now and get the report (uncovered stages score 0)
  /help   this help
Anything else is your answer or question to the interviewer. End of input (Ctrl-D) also
finishes the interview with the report; Ctrl-C leaves it saved for --resume."""


def _label(turn: Any) -> str:
    stage = "Wrap-up" if turn.stage == "wrapup" else turn.stage.capitalize()
    return f"interviewer [{stage} · {turn.kind}]"


def _show(turns: list[Any], *, echo_candidate: bool = True) -> None:
    for t in turns:
        if t.role == "candidate":
            if echo_candidate:
                text = t.text if len(t.text) <= 300 else t.text[:300] + "…"
                print(f"you> {text}", flush=True)
            continue
        print(f"\n{_label(t)}:\n{t.text}\n", flush=True)


def _lines(interactive: bool) -> Any:
    """Candidate messages: prompted lines on a terminal, else raw stdin lines decoded leniently
    (binary garbage becomes replacement characters, never an exception)."""
    import sys

    if interactive:
        while True:
            try:
                yield input("you> ")
            except EOFError:
                return
    else:
        for raw in sys.stdin.buffer:
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _write_outputs(svc: Any, session_id: str, args: argparse.Namespace) -> None:
    import json
    from pathlib import Path

    from interviewer.errors import UserInputError

    for path, content in (
        (
            args.transcript,
            lambda: json.dumps(svc.transcript(session_id), indent=2, ensure_ascii=False),
        ),
        (args.report, lambda: svc.report_markdown(session_id)),
    ):
        if not path:
            continue
        try:
            Path(path).write_text(content() + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserInputError(f"cannot write {path!r}: {exc.strerror}") from None
        print(f"wrote {path}", flush=True)


def run(args: argparse.Namespace) -> int:
    import sys

    from interviewer.errors import SessionError, UserInputError
    from interviewer.session.service import InterviewService
    from interviewer.settings import get_settings

    if args.resume is not None and args.problem:
        raise UserInputError("use either --problem (a new interview) or --resume ID, not both")
    svc = InterviewService(llm_name=args.llm, model=args.model)
    interactive = sys.stdin.isatty()
    if args.resume is not None:  # "" (an unset $ID) is an unknown session, not a new one
        session_id = svc.resolve(args.resume)
        view = svc.get(session_id)
        print(
            f"session: {session_id} (resumed) — {view.problem_title} — engine {svc.llm.label}",
            flush=True,
        )
        _show(view.turns)
        if view.finished:
            _write_outputs(svc, session_id, args)
            return 0
    else:
        view = svc.start(args.problem)  # an unknown id: exit 2 with a suggestion
        session_id = view.id
        print(f"session: {session_id} — {view.problem_title} — engine {svc.llm.label}", flush=True)
        if interactive:
            print("(type /help for commands)", flush=True)
        _show(view.turns)

    limit = get_settings().max_answer_chars
    finished = False
    notice = _FallbackNotice(svc)
    notice.update()
    try:
        for line in _lines(interactive):
            command = line.strip().lower()
            if command == "/help":
                print(HELP, flush=True)
                continue
            if interactive and not command:
                continue
            if not interactive:
                echo = line if len(line) <= 300 else line[:300] + "…"
                print(f"you> {echo}", flush=True)
            if len(line) > limit:
                print(
                    f"(note: your message was {len(line)} characters; only the first {limit} "
                    "are kept)",
                    flush=True,
                )
            try:
                if command == "/next":
                    turns = svc.next_stage(session_id)
                elif command == "/end":
                    turns = svc.end(session_id)
                else:
                    turns = svc.respond(session_id, line)
            except SessionError as exc:
                print(f"({exc})", flush=True)
                finished = True
                break
            _show(turns, echo_candidate=False)
            notice.update()
            if any(t.kind == "report" for t in turns):
                finished = True
                break
        if not finished:
            _show(svc.end(session_id), echo_candidate=False)
            notice.update()
    except KeyboardInterrupt:
        print(f"\nsaved; carry on with: interviewer chat --resume {session_id}", file=sys.stderr)
        return 130
    _write_outputs(svc, session_id, args)
    return 0


class _FallbackNotice:
    """Print one line when the LLM stops answering (and when it is back), not on every turn."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self.shown = False

    def update(self) -> None:
        from interviewer.llm.resilience import fallback_notice

        text = fallback_notice(getattr(self.svc, "llm", None))
        if text and not self.shown:
            print(f"(note: {text})", flush=True)
        elif self.shown and not text:
            print("(note: the LLM is answering again.)", flush=True)
        self.shown = bool(text)
