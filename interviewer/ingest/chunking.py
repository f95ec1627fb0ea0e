"""Token-aware chunking along headings.

Chunks never cross a section boundary, aim at ~200 tokens (at most ~320), break between
paragraphs, then lines, then sentences, and only cut inside a sentence when one sentence alone is
too long. Consecutive chunks of a section overlap by ~40 tokens of whole sentences so a fact that
straddles a break is still found.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from interviewer import tokens
from interviewer.ingest.stage_infer import infer_stage
from interviewer.ingest.structure import Document, Section

TARGET_TOKENS = 200
MAX_TOKENS = 320
OVERLAP_TOKENS = 40
# A section shorter than this that is followed by one of its own subsections is folded into
# that subsection as a lead-in rather than becoming a tiny chunk of its own.
_SMALL_SECTION_TOKENS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Chunk:
    source: str
    index: int
    text: str  # the passage as stored and shown
    heading: str  # "Doc title > Section > Subsection"
    stage: str | None
    file_sha256: str
    n_tokens: int

    @property
    def id(self) -> str:
        key = f"{self.source}\x00{self.index}\x00{self.text}".encode()
        return hashlib.sha256(key).hexdigest()[:32]

    @property
    def embed_text(self) -> str:
        # The heading path carries the topic that a short passage often only implies.
        return f"{self.heading}\n{self.text}"


@dataclass
class _Unit:
    text: str
    n: int
    sep: str  # joiner placed before this unit
    overlap: bool = False


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _units(body: str) -> list[_Unit]:
    """Pieces no larger than MAX_TOKENS, as coarse as possible."""
    out: list[_Unit] = []
    for para in re.split(r"\n\s*\n", body):
        para = para.strip("\n")
        if not para.strip():
            continue
        n = tokens.count_tokens(para)
        if n <= MAX_TOKENS:
            out.append(_Unit(para, n, "\n\n"))
            continue
        first_line = True
        for line in para.split("\n"):
            if not line.strip():
                continue
            sep = "\n\n" if first_line else "\n"
            first_line = False
            ln = tokens.count_tokens(line)
            if ln <= MAX_TOKENS:
                out.append(_Unit(line, ln, sep))
                continue
            for j, sent in enumerate(split_sentences(line)):
                for k, piece in enumerate(_token_windows(sent)):
                    out.append(
                        _Unit(piece, tokens.count_tokens(piece), sep if j == 0 and k == 0 else " ")
                    )
    return out


def _token_windows(text: str) -> list[str]:
    ids = tokens.encode(text)
    if len(ids) <= MAX_TOKENS:
        return [text]
    return [
        tokens.decode(ids[i : i + TARGET_TOKENS]).strip() for i in range(0, len(ids), TARGET_TOKENS)
    ]


def _overlap_tail(units: list[_Unit]) -> list[_Unit]:
    """Whole trailing sentences of the previous chunk, about OVERLAP_TOKENS in all."""
    sentences = split_sentences(units[-1].text) if units else []
    picked: list[str] = []
    total = 0
    for sent in reversed(sentences):
        n = tokens.count_tokens(sent)
        if total + n > OVERLAP_TOKENS and (picked or n > OVERLAP_TOKENS * 1.5):
            break
        picked.insert(0, sent)
        total += n
    if not picked or (len(picked) == len(sentences) and len(units) == 1):
        return []
    return [_Unit(" ".join(picked), total, "", overlap=True)]


def _pack(units: list[_Unit]) -> list[str]:
    chunks: list[str] = []
    cur: list[_Unit] = []

    def size() -> int:
        return sum(u.n for u in cur)

    def emit() -> None:
        if any(not u.overlap for u in cur):
            text = "".join((u.sep if i else "") + u.text for i, u in enumerate(cur))
            chunks.append(text.strip())

    for u in units:
        if cur and size() + u.n > TARGET_TOKENS:
            if size() < TARGET_TOKENS * 0.6 and size() + u.n <= MAX_TOKENS:
                cur.append(u)  # a small chunk would be a weak passage: stretch towards max
                continue
            emit()
            cur = _overlap_tail(cur)
            if size() + u.n > MAX_TOKENS:
                cur = []
        cur.append(u)
    if cur:
        emit()
    return chunks


def _merge_small_sections(sections: list[Section]) -> list[Section]:
    out: list[Section] = []
    carry: Section | None = None
    for i, sec in enumerate(sections):
        if carry is not None:
            sec = Section(sec.path, carry.body + "\n\n" + sec.body, sec.stage or carry.stage)
            carry = None
        nxt = sections[i + 1] if i + 1 < len(sections) else None
        is_parent = (
            nxt is not None
            and len(nxt.path) > len(sec.path)
            and nxt.path[: len(sec.path)] == sec.path
        )
        if is_parent and tokens.count_tokens(sec.body) < _SMALL_SECTION_TOKENS:
            carry = sec
            continue
        out.append(sec)
    return out


def chunk_document(doc: Document, source: str, file_sha256: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    for sec in _merge_small_sections(doc.sections):
        stage = sec.stage or infer_stage(" > ".join(sec.path[1:]), sec.body)
        for text in _pack(_units(sec.body)):
            chunks.append(
                Chunk(
                    source,
                    len(chunks),
                    text,
                    sec.heading,
                    stage,
                    file_sha256,
                    tokens.count_tokens(text),
                )
            )
    return chunks
