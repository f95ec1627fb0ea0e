"""``python -m evals.demos [NAME...]``: replay scripted candidates (strong / average / weak, three
problem families) as full interviews and print them as the terminal chat shows them.

Each script (``evals/demos/*.yaml``) lists what the candidate says per stage; the runner answers
in whatever stage the interviewer is in (the next unused line for that stage, then ``/next``),
so the interview runs exactly as the policy leads it. Transcripts are written with ``--out``.

Examples::

    python -m evals.demos                         # all three, printed
    python -m evals.demos weak-chatbot --out runs/ # one, with its transcript JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def load_script(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def run_demo(name: str, svc: Any, echo: bool = True) -> dict[str, Any]:
    """One full interview of the script ``name``; returns the transcript JSON."""
    script = load_script(name)
    lines = {stage: list(msgs) for stage, msgs in script["stages"].items()}
    view = svc.start(script["problem"])
    sid = view.id

    def show(turns: Sequence[Any]) -> None:
        for t in turns:
            if echo and t.role == "interviewer":
                meta = t.meta
                tag = meta.get("subkind", t.kind)
                extra = meta.get("target") or meta.get("misconception") or ""
                extra = extra or ",".join(meta.get("facts", []))
                print(f"\ninterviewer [{t.stage} · {tag}{' → ' + extra if extra else ''}]:")
                print(t.text)

    show(view.turns)
    for _ in range(60):  # a bound: every stage ends within a few messages
        view = svc.get(sid)
        if view.finished:
            break
        pending = lines.get(view.stage, [])
        message = pending.pop(0) if pending else "/next"
        if echo:
            print(f"\nyou> {message.strip()}")
        show(svc.respond(sid, message))
    transcript: dict[str, Any] = svc.transcript(sid, full=True)
    return transcript


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.demos", description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", help="scripts (default: all in evals/demos)")
    p.add_argument("--out", metavar="DIR", help="write each transcript as DIR/NAME.json")
    p.add_argument("--quiet", action="store_true", help="print only the scores")
    args = p.parse_args(argv)
    from interviewer.session.service import InterviewService

    names = args.names or sorted(f.stem for f in HERE.glob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="demos-") as tmp:
        svc = InterviewService(Path(tmp) / "s.db", "offline")
        for name in names:
            if not args.quiet:
                print(f"\n{'=' * 30} {name} {'=' * 30}")
            t = run_demo(name, svc, echo=not args.quiet)
            report = t.get("report") or {}
            stages = report.get("stages", {})
            print(
                f"\n{name}: overall {report.get('overall')} · {report.get('hire_signal', '')} · "
                + " ".join(f"{s[:4]} {v}" for s, v in stages.items())
            )
            if args.out:
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{name}.json").write_text(json.dumps(t, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
