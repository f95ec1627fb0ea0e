"""How the app lays out a finished report: verdict and chart first, sections collapsible, the
cited guide passages openable in a side panel. Pure functions over the report Markdown (whose
content :mod:`interviewer.session.report` owns: nothing here rewrites what it says).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from interviewer.stages import STAGES

# "Read: `corpus/01-requirements.md` — Clarifying Requirements and Scope > Scale, latency ..."
_CITATION = re.compile(r"`(?P<source>[^`\n]+?\.(?:md|txt|html|pdf))`\s*[—–-]\s*(?P<path>[^\n]+)")


@dataclass(frozen=True)
class Citation:
    number: int
    source: str  # the file as the report names it (corpus/…md)
    path: str  # heading path, "Document title > Section"

    @property
    def heading(self) -> str:
        return self.path.split(">")[-1].strip()

    @property
    def label(self) -> str:
        return f"[{self.number}] {self.heading} ({Path(self.source).name})"


def citations(report_md: str) -> list[Citation]:
    """Every distinct guide passage the report cites, numbered in reading order."""
    out: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for m in _CITATION.finditer(report_md or ""):
        key = (m["source"].strip(), m["path"].strip().rstrip("."))
        if key not in seen:
            seen.add(key)
            out.append(Citation(len(out) + 1, *key))
    return out


def _number_citations(text: str, cites: list[Citation]) -> str:
    numbers = {(c.source, c.path): c.number for c in cites}

    def mark(m: re.Match[str]) -> str:
        n = numbers.get((m["source"].strip(), m["path"].strip().rstrip(".")))
        return f"{m.group(0)} **[{n}]**" if n else m.group(0)

    return _CITATION.sub(mark, text)


def split_report(report_md: str) -> tuple[str, list[tuple[str, str]]]:
    """(lead, [(heading, body)]): the lead is everything before the first ``## `` heading
    (title, verdict, score table); the sections follow in the report's order."""
    parts = re.split(r"(?m)^## +", report_md or "")
    lead = parts[0].strip()
    sections = []
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        sections.append((heading.strip(), body.strip()))
    return lead, sections


def report_body_markdown(report_md: str) -> str:
    """The sections after the verdict, each a collapsible ``<details>`` block; citations
    numbered so the side panel's list matches what the candidate reads."""
    _, sections = split_report(report_md)
    cites = citations(report_md)
    blocks = []
    for heading, body in sections:
        # Sections open, except one that folds its own detail (the per-criterion tables).
        is_open = "" if "<details" in body else " open"
        blocks.append(
            f"<details class='report-section'{is_open}><summary>{html.escape(heading)}"
            f"</summary>\n\n{_number_citations(body, cites)}\n\n</details>"
        )
    return "\n\n".join(blocks)


def verdict_markdown(report_md: str) -> str:
    lead, _ = split_report(report_md)
    return lead


def chart_alt_text(scores: Mapping[str, float]) -> str:
    """The chart's content as words (the chart's alt text and a caption screen readers read)."""
    parts = []
    for stage in STAGES:
        value = scores.get(stage.id)
        parts.append(
            f"{stage.title} {value:.1f}" if value is not None else f"{stage.title} not covered"
        )
    return "Score per stage, 0 to 4: " + "; ".join(parts) + "."


# ------------------------------------------------------------------------------ passages


def _source_file(source: str, corpus_dir: Path) -> Path | None:
    """The cited file inside the corpus folder (never outside it)."""
    name = Path(source).name
    root = corpus_dir.resolve()
    candidate = (root / name).resolve()
    if candidate.parent != root or not candidate.is_file():
        return None
    return candidate


@lru_cache(maxsize=256)
def _sections(path: Path, mtime: float) -> dict[str, str]:
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8", errors="replace"), flags=re.S)
    out: dict[str, str] = {}
    current, lines = "", cast(list[str], [])
    for line in text.splitlines():
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            if current:
                out.setdefault(current.lower(), "\n".join(lines).strip())
            current, lines = m.group(1).strip(), [line]
        else:
            lines.append(line)
    if current:
        out.setdefault(current.lower(), "\n".join(lines).strip())
    return out


def passage_markdown(citation: Citation | None, corpus_dir: Path) -> str:
    """The cited passage's text (its section of the guide), for the side panel."""
    if citation is None:
        return "_Pick a citation to read the passage here._"
    path = _source_file(citation.source, corpus_dir)
    if path is None:
        return f"_The passage `{citation.source}` is not available on this server._"
    sections = _sections(path, path.stat().st_mtime)
    body = sections.get(citation.heading.lower())
    if body is None:
        return f"_No section “{html.escape(citation.heading)}” in `{citation.source}`._"
    return f"**[{citation.number}] {citation.source}**\n\n{body}"


def find_citation(report_md: str, choice: Any) -> Citation | None:
    for c in citations(report_md):
        if str(choice) in (str(c.number), c.label):
            return c
    return None
