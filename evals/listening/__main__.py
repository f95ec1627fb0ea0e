"""``python -m evals.listening``: replay the labelled interview moments, print the listening
metrics (and write one JSON line per moment with ``--out``).

Examples::

    python -m evals.listening                       # newest blind set, current policy
    python -m evals.listening --policy v1           # the earlier policy, same code
    python -m evals.listening --rows --only clarify # every clarify moment and what happened
    python -m evals.listening --json --out runs/l.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def build_parser() -> argparse.ArgumentParser:
    from evals.listening.moments import NEWEST, SETS

    p = argparse.ArgumentParser(
        prog="python -m evals.listening", description=__doc__.split("\n")[0]
    )
    p.add_argument("--set", default=NEWEST, help=f"moment set ({', '.join(SETS)}) or a .jsonl path")
    p.add_argument("--policy", choices=("v1", "v2"), help="listening policy (default: settings)")
    p.add_argument("--only", nargs="*", help="categories to run (default: all)")
    p.add_argument("--rows", action="store_true", help="print every moment's outcome")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--out", metavar="FILE", help="write per-moment JSON lines here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run_moments(
    moments: Sequence[Any], *, policy: str | None = None, progress: bool = True
) -> list[dict[str, Any]]:
    """Replay ``moments`` through a fresh offline service; one row per moment."""
    import tempfile

    from tqdm import tqdm

    from evals.listening.metrics import moment_checks
    from evals.listening.replay import Outcome, replay
    from evals.listening.vocab import foreign_words
    from interviewer.rubrics.loader import get_problem
    from interviewer.session.service import InterviewService
    from interviewer.settings import get_settings

    settings = get_settings()
    if policy is not None:
        settings = settings.model_copy(update={"listening_policy": policy})
    try:
        from interviewer.retrieval import ensure_index

        ensure_index()  # probes are picked with the guide index, as in the app
    except Exception as exc:  # without an index the policy still runs, probes in order
        print(f"note: no guide index ({exc}); probes keep their order", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="listening-") as tmp:
        svc = InterviewService(Path(tmp) / "s.db", "offline", settings=settings)
        for m in tqdm(moments, desc="moments", disable=not progress, unit="moment"):
            try:
                o = replay(svc, m)
            except Exception as exc:  # a crash is a finding, not the end of the run
                o = Outcome(m.id, m.category, "", error=f"{type(exc).__name__}: {exc}")
            problem = get_problem(m.problem)
            asked = " ".join(
                r.get("asked", "") or r["text"]
                for r in o.replies
                if r["subkind"] in ("probe", "challenge", "open", "reframe")
            )
            foreign = foreign_words(asked, problem)
            rows.append({**o.to_dict(), "foreign": foreign, "checks": moment_checks(m, o, foreign)})
    return rows


def _table(summary: dict[str, Any]) -> str:
    from evals.listening.metrics import TARGETS

    lines = [f"{'metric':<38} {'rate':>6} {'k/n':>9}  target"]
    for name, v in summary.items():
        if not isinstance(v, dict) or "rate" not in v:
            continue
        rate = "-" if v["rate"] is None else f"{v['rate']:.3f}"
        target = ""
        if name in TARGETS:
            op, t = TARGETS[name]
            ok = summary["targets_met"][name]
            target = f"{op} {t:g} {'ok' if ok else ('MISSED' if ok is False else '')}"
        lines.append(f"{name:<38} {rate:>6} {v['k']:>4}/{v['n']:<4}  {target}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from evals.listening.metrics import summarise
    from evals.listening.moments import load_set

    args = build_parser().parse_args(argv)
    try:
        moments = load_set(args.set)
    except (OSError, ValueError) as exc:  # a missing or unreadable file, a malformed line
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"error: cannot load moment set {args.set!r}: {reason}", file=sys.stderr)
        return 2
    if args.only:
        moments = [m for m in moments if m.category in set(args.only)]
    rows = run_moments(moments, policy=args.policy, progress=not args.no_progress)
    summary = summarise(rows)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if args.rows:
        for r in rows:
            failed = [k for k, v in r["checks"].items() if v is not None and _bad(k, v)]
            mark = "FAIL " + ",".join(failed) if failed else "ok"
            subs = "/".join(x["subkind"] for x in r["replies"])
            print(f"{r['id']:<8} {r['category']:<16} {r['intent']:<10} {subs:<28} {mark}")
    print(json.dumps(summary, indent=1) if args.json else _table(summary))
    return 0


def _bad(check: str, value: bool) -> bool:
    # For these a True is the failure; for the rest a False is.
    return value if check in ("probe_on_covered", "off_family", "false_challenge") else not value


if __name__ == "__main__":
    sys.exit(main())
