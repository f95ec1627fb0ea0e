"""The report in words: Markdown that speaks to the candidate ("you").

Order: verdict, then the chart (a table with one line per stage saying how its score follows
from the criterion scores), what you did well, what to work on (each with one passage to read),
claims to revisit, and the full per-criterion detail folded in ``<details>`` blocks. The app
(ui/report_view.py) splits this at ``## `` headings and reads citations in the form
``Read: `source.md` — Heading path``; keep both.
"""

from __future__ import annotations

import re
from typing import Any

from interviewer.stages import get_stage

BAR_CELLS = 8  # the text chart: 8 cells for 0-4, half a point each


def _quote(text: str, limit: int = 300) -> str:
    """The candidate's words on one line, cut at a word boundary (never inside "e.g.")."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:(") + "…"


def _md(text: str) -> str:
    """Candidate text inside Markdown: no tables broken, no HTML injected."""
    return text.replace("|", "\\|").replace("<", "&lt;")


def stage_line(grade: dict[str, Any] | None, criteria: list[dict[str, Any]]) -> str:
    """How a stage's score follows from its criterion scores: the grader's own explanation
    when it gives one, else the same counts from the criterion scores."""
    if grade is None:
        return "not reached"
    explain = str(grade.get("explain") or "").strip()
    if explain:
        return explain
    n = len(criteria)
    solid = sum(c["score"] >= 3 for c in criteria)
    partial = sum(c["score"] == 2 for c in criteria)
    return f"{solid} of {n} criteria solid, {partial} partial"


def _bar(score: float) -> str:
    full = max(0, min(BAR_CELLS, round(score * BAR_CELLS / 4)))
    return "█" * full + "░" * (BAR_CELLS - full)


def _citation_lines(cites: list[dict[str, Any]], indent: str = "  ") -> list[str]:
    out = []
    for c in cites:
        out.append(f"{indent}- Read: `{c['source']}` — {c['heading']}")
        if c.get("excerpt"):
            out.append(f"{indent}  > {_md(c['excerpt'])}")
    return out


def _verdict(report: dict[str, Any]) -> str:
    hire = str(report["hire_signal"])
    return (
        f"**Verdict: {hire[:1].upper() + hire[1:]}, {report['level_signal']} level** · "
        f"overall {report['overall']:.1f} / 4. On level: {report['level_rationale']}."
    )


def to_markdown(report: dict[str, Any], *, problem_title: str, session_id: str) -> str:
    details: dict[str, Any] = report["stage_details"]
    lines = [
        f"# Interview report: {problem_title}",
        "",
        f"Session `{session_id}`" + (" (ended early)" if report.get("ended_early") else ""),
        "",
        _verdict(report),
        "",
        "| Stage | Score | | How the score was reached |",
        "|---|---|---|---|",
    ]
    for d in details.values():
        score = f"{d['score']:.1f}" if d["covered"] else "—"
        line = d.get("line") or ("" if d["covered"] else "not reached")
        lines.append(f"| {d['title']} | {score} | {_bar(d['score'])} | {_md(line)} |")

    lines += ["", "## Strengths", ""]
    if not report["strengths"]:
        lines.append("- Nothing reached a solid level yet; start with the points below.")
    for s in report["strengths"]:
        stage = get_stage(s["stage"]).title
        said = f": you said “{_md(_quote(s['quote']))}”" if s.get("quote") else "."
        lines.append(f"- **{s['title']}** ({stage}, {s['score']}/4){said}")

    lines += ["", "## What to work on next", ""]
    if not report["gaps"]:
        lines.append("- No important gaps: keep practising on other problems.")
    for g in report["gaps"]:
        stage = get_stage(g["stage"]).title
        where = stage if g["criterion"] else "stage"
        lines.append(f"- **{g['title']}** ({where}): {g['advice']}")
        lines += _citation_lines((g.get("citations") or [])[:1])  # one passage to read

    claims = report.get("claims") or []
    lines += ["", "## Claims to revisit", ""]
    if not claims:
        lines.append("- None: the interviewer caught no claim from its list of common mistakes.")
    for c in claims:
        stage = get_stage(c["stage"]).title if c.get("stage") else ""
        head = f"- You said “{_md(_quote(c['quote']))}”" + (f" ({stage})" if stage else "")
        lines.append(head + (f". {c['correction']}" if c.get("correction") else "."))
        if c.get("citation"):
            lines += _citation_lines([c["citation"]])

    lines += ["", "## Every criterion in detail", ""]
    for d in details.values():
        summary = f"{d['title']}: " + (f"{d['score']:.1f} / 4" if d["covered"] else "not reached")
        minutes = f"{d['elapsed_s'] / 60:.1f} of {d['budget_s'] / 60:.0f} min"
        lines += [
            f"<details><summary>{summary} ({minutes})</summary>",
            "",
            "| Criterion | Score | Your words | What a strong answer adds |",
            "|---|---|---|---|",
        ]
        for c in d["criteria"]:
            score = f"{c['best_score']}/4 {c['status']}"
            quote = f"“{_md(_quote(c['quote'], 160))}”" if c["quote"] else ""
            lines.append(f"| {c['title']} | {score} | {quote} | {_md(c['advice'])} |")
        lines += ["", "</details>", ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"
