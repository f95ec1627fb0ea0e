"""``interviewer grade``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "grade",
        help="grade one answer against a stage rubric",
        description="Grade an answer against the stage's rubric: per-criterion scores 0-4 "
        "with quoted evidence.",
        epilog='example: interviewer grade --stage data --answer "Labels are clicks..." --json\n'
        "         interviewer grade --batch answers.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stage", help="stage id (see: interviewer stages)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--answer", help="the answer text")
    src.add_argument(
        "--answer-file", metavar="F", help="read the answer from a file ('-' for stdin)"
    )
    src.add_argument(
        "--batch",
        metavar="FILE",
        help='JSON Lines {"stage","answer","problem"?}; one grade per line',
    )
    p.add_argument("--problem", help="problem id (applies its rubric overrides)")
    p.add_argument("--rubrics", metavar="DIR", help="rubrics directory (default: settings)")
    p.add_argument(
        "--llm", choices=["offline", "openai", "openai-compatible"], help="grader engine"
    )
    p.add_argument("--model", help="model name for LLM engines")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _read_text(name: str, what: str) -> str:
    from interviewer.errors import UserInputError

    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise UserInputError(f"cannot read {what} {name!r}: {exc.strerror or exc}") from None
    from interviewer.ingest.loaders import decode_text

    try:
        return decode_text(raw)
    except ValueError as exc:
        raise UserInputError(f"{what} {name!r} {exc}") from None


def _table(grade: Any) -> str:
    rows = [("criterion", "score", "evidence")]
    for c in grade.criteria:
        ev = " ".join(c.evidence.split())
        ev = (ev[:67] + "...") if len(ev) > 70 else ev
        rows.append((c.id, f"{c.score}/4", f'"{ev}"' if ev else "-"))
    width = max(len(r[0]) for r in rows)
    lines = [f"stage {grade.stage}: {grade.score:.1f} / 4   (engine: {grade.engine})", ""]
    lines += [f"  {r[0]:<{width}}  {r[1]:>5}  {r[2]}" for r in rows]
    lines.append("")
    lines.append("  missing: " + (", ".join(grade.missing) or "-"))
    if grade.flags:
        lines.append("  flags:   " + ", ".join(grade.flags))
    return "\n".join(lines)


class _Grader:
    """Everything a run shares: rubric dir, LLM, problem cache."""

    def __init__(self, args: argparse.Namespace) -> None:
        from interviewer.llm import get_llm

        self.rubrics = Path(args.rubrics) if args.rubrics else None
        if self.rubrics is not None and not self.rubrics.is_dir():
            from interviewer.errors import UserInputError

            raise UserInputError(f"--rubrics {args.rubrics!r} is not a directory")
        self.llm = get_llm(args.llm, args.model)
        self._problems: dict[str, Any] = {}

    def problem(self, problem_id: str | None) -> Any:
        from interviewer.rubrics.loader import get_problem

        if not problem_id:
            return None
        if problem_id not in self._problems:
            self._problems[problem_id] = get_problem(problem_id, self.rubrics)
        return self._problems[problem_id]

    def grade(self, stage: str, answer: str, problem_id: str | None, context: str = "") -> Any:
        from interviewer.grading import grade
        from interviewer.rubrics.loader import get_rubric
        from interviewer.stages import get_stage

        get_stage(stage)  # unknown stage: UnknownIdError before any model is loaded
        problem = self.problem(problem_id)
        rubric = get_rubric(stage, self.rubrics) if self.rubrics is not None else None
        return grade(
            stage,
            answer,
            problem,
            rubric=rubric,
            llm=self.llm,
            context=context,
            rubrics_dir=self.rubrics,
        )


def _batch(args: argparse.Namespace) -> int:
    import json

    from interviewer.errors import InterviewerError, UserInputError

    if args.stage or args.problem:
        raise UserInputError(
            "--batch takes stage and problem from each line, not from --stage/--problem"
        )
    lines = _read_text(args.batch, "--batch file").splitlines()
    grader = _Grader(args)
    bad = 0
    out = sys.stdout
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserInputError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(item, dict):
                raise UserInputError('each line must be a JSON object {"stage", "answer"}')
            stage, answer = item.get("stage"), item.get("answer")
            problem, context = item.get("problem"), item.get("context", "")
            if not isinstance(stage, str) or not stage:
                raise UserInputError('missing "stage" (a stage id)')
            if not isinstance(answer, str):
                raise UserInputError('missing "answer" (a string)')
            if problem is not None and not isinstance(problem, str):
                raise UserInputError('"problem" must be a problem id string')
            result = grader.grade(
                stage, answer, problem, context if isinstance(context, str) else ""
            )
            record: dict[str, Any] = {"line": n, **result.to_dict()}
        except InterviewerError as exc:
            bad += 1
            record = {"line": n, "error": str(exc)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    if bad:
        print(f"interviewer: error: {bad} bad line(s) in {args.batch!r}", file=sys.stderr)
    return 2 if bad else 0


def run(args: argparse.Namespace) -> int:
    import json

    from interviewer.errors import UserInputError
    from interviewer.stages import get_stage

    if args.batch is not None:
        return _batch(args)
    if not args.stage:
        raise UserInputError("give --stage ID (see: interviewer stages), or --batch FILE")
    get_stage(args.stage)  # fail fast, before loading anything heavy
    if args.answer is not None:
        answer = args.answer
    elif args.answer_file is not None:
        answer = _read_text(args.answer_file, "--answer-file")
    else:
        raise UserInputError("give the answer with --answer TEXT or --answer-file F")
    grader = _Grader(args)
    result = grader.grade(args.stage, answer, args.problem)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(_table(result))
    return 0
