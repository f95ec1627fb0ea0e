"""Split a cleaned document into sections with a heading path and an explicit stage tag.

Markdown (and HTML converted to Markdown) has real headings; ``<!-- stage: X -->`` comments set
the stage for the whole file (before the first section heading) or for the section they sit in
(inherited by its subsections). Plain text and PDF text have no markup, so headings are inferred:
short capitalised lines without terminal punctuation that are followed by body text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_STAGE_TAG = re.compile(r"<!--\s*stage\s*:\s*([^>]*?)\s*-->", re.IGNORECASE)
_OTHER_COMMENT = re.compile(r"<!--(?!\s*stage\s*:).*?-->", re.DOTALL | re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*([-*•+▪◦]|\d+[.)])\s+")
_LEAD_SYMBOLS = re.compile(r"^[^\w(\[]+")
_STEP = re.compile(r"^(step|part|chapter|section|stage|phase)\s*\d+\b", re.IGNORECASE)
_MAX_HEADING_WORDS = 12


@dataclass
class _Heading:
    level: int
    text: str
    stage: str | None = None


@dataclass
class Section:
    path: tuple[str, ...]  # (document title, section, subsection, ...)
    body: str
    stage: str | None = None  # explicit tag (section, inherited, or file-level)
    _stack: list[_Heading] = field(default_factory=list, repr=False)

    @property
    def heading(self) -> str:
        return " > ".join(self.path)


@dataclass
class Document:
    title: str
    sections: list[Section]
    file_stage: str | None = None


def parse_document(
    text: str, kind: str, fallback_title: str, valid_stages: tuple[str, ...]
) -> Document:
    if kind in ("markdown", "html") or _looks_like_markdown(text):
        return _parse_markdown(text, fallback_title, valid_stages)
    return _parse_plain(text, fallback_title)


def _looks_like_markdown(text: str) -> bool:
    return sum(1 for line in text.split("\n") if _ATX.match(line)) >= 2


def _stage_from_tag(raw: str, valid: tuple[str, ...]) -> str | None:
    for part in re.split(r"[,\s]+", raw.strip().lower()):
        if part in valid:
            return part
    return None


def _parse_markdown(text: str, fallback_title: str, valid: tuple[str, ...]) -> Document:
    text = _OTHER_COMMENT.sub("", text)
    title: str | None = None
    file_stage: str | None = None
    stack: list[_Heading] = []
    sections: list[Section] = []
    body: list[str] = []
    in_fence = False

    def close() -> None:
        if body and any(line.strip() for line in body):
            sections.append(Section((), "\n".join(body).strip("\n"), None, list(stack)))
        body.clear()

    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            body.append(line)
            continue
        if in_fence:
            body.append(line)
            continue
        tags = _STAGE_TAG.findall(line)
        if tags:
            stage = next((s for t in tags if (s := _stage_from_tag(t, valid))), None)
            if stage:
                if stack:
                    stack[-1].stage = stage
                else:
                    file_stage = stage
            line = _STAGE_TAG.sub("", line)
            if not line.strip():
                continue
        m = _ATX.match(line)
        if not m:
            body.append(line)
            continue
        level, heading = len(m.group(1)), _strip_md(m.group(2))
        if level == 1 and title is None and not sections and not stack:
            title = heading
            continue
        close()
        while stack and stack[-1].level >= level:
            stack.pop()
        stack.append(_Heading(level, heading))
    close()

    doc_title = title or fallback_title
    for sec in sections:
        sec.path = (doc_title, *(h.text for h in sec._stack))
        sec.stage = next((h.stage for h in reversed(sec._stack) if h.stage), None) or file_stage
    return Document(doc_title, sections, file_stage)


def _strip_md(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text.strip()


# --- plain text ------------------------------------------------------------------------------


def heading_text(line: str) -> str | None:
    """The heading a plain-text line would be, or None if it does not look like one."""
    if _LIST_ITEM.match(line):
        return None
    s = _LEAD_SYMBOLS.sub("", line.strip()).strip()
    if not s or len(s) > 90:
        return None
    words = s.split()
    if len(words) > _MAX_HEADING_WORDS or s[-1] in ".,;:!?" or ". " in s:
        return None
    first = s.lstrip("([").strip()
    if not first or not first[0].isupper():
        return None
    if len(words) > 8:  # long headings must look like titles, not sentences
        long_words = [w for w in words if len(w) >= 4 and w[0].isalpha()]
        capitalised = sum(1 for w in long_words if w[0].isupper())
        if long_words and capitalised / len(long_words) < 0.5:
            return None
    return s


def _parse_plain(text: str, fallback_title: str) -> Document:
    lines = [ln for ln in text.split("\n")]
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    if not nonblank:
        return Document(fallback_title, [])
    cand = {i: h for i in nonblank if (h := heading_text(lines[i])) is not None}

    title = fallback_title
    start = 0
    first = nonblank[0]
    if first in cand:
        title = cand.pop(first)
        start = first + 1

    # A candidate is a heading only if body text follows it, directly or after a short chain of
    # further candidates ("Running Example" / "YouTube: Data Pipeline" / body).
    order = [i for i in nonblank if i >= start]
    next_of = dict(itertools.pairwise(order))
    headings: dict[int, str] = {}
    for i in order:
        if i not in cand:
            continue
        j, hops = next_of.get(i), 0
        while j is not None and j in cand and hops < 3:
            j, hops = next_of.get(j), hops + 1
        if j is not None and j not in cand:
            headings[i] = cand[i]

    has_steps = sum(1 for h in headings.values() if _STEP.match(h)) >= 2
    levels: dict[int, int] = {}
    prev: int | None = None
    for i in order:
        if i not in headings:
            prev = None
            continue
        h = headings[i]
        strong = bool(_STEP.match(h)) or (len(h.split()) >= 4 and _title_case(h))
        level = 2 if not has_steps or strong else 3
        if prev is not None:  # a heading straight after another one is its child
            level = max(level, levels[prev] + 1)
        levels[i] = level
        prev = i

    sections: list[Section] = []
    stack: list[_Heading] = []
    body: list[str] = []

    def close() -> None:
        if any(b.strip() for b in body):
            path = (title, *(h.text for h in stack))
            sections.append(Section(path, "\n".join(body).strip("\n")))
        body.clear()

    for i in range(start, len(lines)):
        if i in headings:
            close()
            while stack and stack[-1].level >= levels[i]:
                stack.pop()
            stack.append(_Heading(levels[i], headings[i]))
        else:
            body.append(lines[i])
    close()
    return Document(title, sections)


def _title_case(h: str) -> bool:
    long_words = [w for w in h.split() if len(w) >= 4 and w[0].isalpha()]
    return bool(long_words) and all(w[0].isupper() for w in long_words)
