"""``interviewer search``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "search",
        help="search the guide index",
        description="Search the guide index; results best first.",
        epilog='example: interviewer search "point-in-time correctness" -k 3 --json',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", nargs="?", help="the query (omit with --batch)")
    p.add_argument("--index", metavar="DIR", help="index directory (default: settings)")
    p.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--stage", help="only passages about this stage")
    p.add_argument(
        "--batch", metavar="FILE", help="one query per line ('-' for stdin); prints JSON Lines"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from interviewer.errors import UnknownIdError, UserInputError
    from interviewer.stages import STAGE_IDS

    if args.stage is not None and args.stage not in STAGE_IDS:
        raise UnknownIdError("stage", args.stage, STAGE_IDS)
    if args.k < 1:
        raise UserInputError(f"-k must be at least 1, got {args.k}")
    if args.batch is not None and args.query:
        raise UserInputError("give either a QUERY or --batch FILE, not both")
    if args.batch is None and not (args.query or "").strip():
        raise UserInputError("give a QUERY (or --batch FILE with one query per line)")
    queries = _read_batch(args.batch) if args.batch is not None else [args.query.strip()]

    retriever = _open_retriever(args.index)
    results = retriever.search_many(queries, k=args.k, stage=args.stage)
    if args.batch is not None:
        for query, passages in zip(queries, results, strict=True):
            row = {"query": query, "results": [p.to_dict() for p in passages]}
            print(json.dumps(row, ensure_ascii=False))
    elif args.json:
        print(json.dumps([p.to_dict() for p in results[0]], indent=2, ensure_ascii=False))
    else:
        _print_listing(results[0], sys.stdout)
    return 0


def _read_batch(name: str) -> list[str]:
    import sys
    from pathlib import Path

    from interviewer.errors import UserInputError

    if name == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            raise UserInputError(
                f"cannot read --batch file {name!r}: {exc.strerror or exc}"
            ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserInputError(f"--batch file {name!r} is not valid UTF-8") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _open_retriever(index: str | None) -> Any:
    from interviewer.errors import UserInputError
    from interviewer.retrieval import get_retriever
    from interviewer.retrieval.store import describe_index, index_exists

    where = f" --index {index}" if index is not None else ""
    hint = f"index at {describe_index(index)} is empty; run interviewer ingest corpus/{where}"
    if not index_exists(index):
        raise UserInputError(hint)
    retriever = get_retriever(index)
    if retriever.count() == 0:
        raise UserInputError(hint)
    return retriever


def _print_listing(passages: list[Any], out: Any) -> None:
    import textwrap

    if not passages:
        print("no passages found", file=out)
        return
    for n, p in enumerate(passages, 1):
        stage = f"  [{p.stage}]" if p.stage else ""
        print(f"{n}. {p.score:.3f}  {p.source}{stage}", file=out)
        print(f"   {p.heading}", file=out)
        body = " ".join(p.text.split())
        short = textwrap.shorten(body, width=400, placeholder=" …")
        print(textwrap.indent(textwrap.fill(short, width=96), "   "), file=out)
        print(file=out)
