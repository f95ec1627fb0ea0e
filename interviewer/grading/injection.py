"""Prompt-injection detection, shared by grading and the chat: text in an answer that tries to
instruct, flatter or fish whoever (or whatever) grades it.

Two parts. Markup a spoken or typed answer never contains is set aside whole by pattern:
chat-template blocks (``<|im_start|>``, ``<<SYS>>``, ``[INST]``/``[SYSTEM]`` pairs, tags named for
a system or grader), JSON objects carrying a message role or grader settings, and hidden HTML
comments. Everything else is judged by meaning, not wording: every sentence, and the
parenthetical, bracketed and clause pieces inside it, goes through a small learned classifier
(``injection_model.py``, trained on project text only). A sentence whose attempt sits in
brackets loses only the brackets; otherwise the sentence is set aside.

This is the second line of defence. The first is by construction: text that commits to nothing
(addressed to the grader, a request, a plea) earns no credit (``commitment.py``), so a missed
attempt costs nothing but its own words. The phrase rules that grew over eleven held-out rounds
are retired. False positives are measured on every sentence of the corpus and rubrics and on the
labelled honest answers (``python -m evals.grading``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from interviewer.grading.text import sentence_spans

# Delimited instruction blocks: chat-template markup, [SYSTEM]/[INST] pairs and tags named for a
# system, grader or directive. The whole block is set aside; an unclosed block runs to the end.
_BLOCK = re.compile(
    r"""
      \[\s*(system|inst|admin|developer|instructions?)\b[^\]\n]{0,60}\].*?
        (?:\[\s*/\s*\1\b[^\]\n]{0,60}\]|\Z)
    | <\|im_start\|>.*?(?:<\|im_end\|>|\Z)
    | <\|(?:system|user|assistant)\|>
    | <<\s*sys\s*>>.*?(?:<<\s*/\s*sys\s*>>|\Z)
    | <\s*([a-z_-]*(?:system|grader|grading|instruction|directive|admin|evaluator|scor)[a-z_-]*)
        \b[^>]*>.*?(?:<\s*/\s*\2\s*>|\Z)
    """,
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
# JSON objects (one level of nesting) that carry a message role or grading settings: a chat
# message or a "grader config" pasted into an answer. Example events ({"user_id": 17, ...},
# {"fraud_score": 0.9}) name none of these keys.
_JSON_OBJECT = re.compile(r"\{(?:[^{}]|\{[^{}]{0,600}\}){1,1200}\}")
_JSON_GRADER_KEY = re.compile(
    r'"[a-z_ -]{0,30}(?:role|system|instruction|rubric|directive|override|grader|grading|scorer'
    r'|policy|stage_score|carry_over|min_score|max_score|criteri)[a-z_ -]{0,30}"\s*:',
    re.IGNORECASE,
)
# Hidden text: an HTML comment is invisible to a person reading the answer and is never part of
# what a candidate says, so all of it is set aside.
_HIDDEN = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


# Pieces of a sentence judged on their own: an attempt tucked into brackets or a trailing clause
# is diluted in the whole sentence's meaning.
_BRACKETED = re.compile(r"\([^()]{12,600}\)|\[[^\[\]]{12,600}\]")
_CLAUSE = re.compile(r",\s+(?:and|but|so|because)\s+|\s+(?:--|—|–)\s+|;\s+|:\s+")
_MIN_PIECE_WORDS = 4


def markup_spans(text: str) -> list[tuple[int, int]]:
    """Spans of pure markup: template blocks, role or grader-settings JSON, HTML comments."""
    spans = [(m.start(), m.end()) for m in _BLOCK.finditer(text)]
    spans += [(m.start(), m.end()) for m in _HIDDEN.finditer(text)]
    spans += [
        (m.start(), m.end())
        for m in _JSON_OBJECT.finditer(text)
        if _JSON_GRADER_KEY.search(m.group())
    ]
    return _merge(spans)


def _pieces(text: str, a: int, b: int) -> list[tuple[int, int, bool]]:
    """(start, end, bracketed) of the sentence text[a:b] and of the pieces inside it."""
    out = [(a, b, False)]
    seg = text[a:b]
    for m in _BRACKETED.finditer(seg):
        out.append((a + m.start(), a + m.end(), True))
    pos = 0
    for m in _CLAUSE.finditer(seg):
        out.append((a + pos, a + m.start(), False))
        pos = m.end()
    if pos:
        out.append((a + pos, b, False))
    return [
        (s, e, br)
        for s, e, br in dict.fromkeys(out)
        if (s, e) == (a, b) or len(text[s:e].split()) >= _MIN_PIECE_WORDS
    ]


# Fewer words than this say nothing to anyone (a table rule, a bare "Yes."); the detector
# is not asked about them.
_MIN_WORDS = 2
_WORD = re.compile(r"[^\W\d_]{2,}")


def _attempts(texts: Sequence[str]) -> list[bool]:
    """The learned detector on each text (one embedding call for all of them)."""
    judged = [i for i, t in enumerate(texts) if len(_WORD.findall(t)) >= _MIN_WORDS]
    out = [False] * len(texts)
    if not judged:
        return out
    from interviewer.embeddings import get_embedder
    from interviewer.grading.injection_model import get_injection_model

    vecs = get_embedder().embed_cached([" ".join(texts[i].split()) for i in judged])
    for i, f in zip(judged, get_injection_model().flags(vecs), strict=True):
        out[i] = bool(f)
    return out


def _masked(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with its markup blocks blanked to line breaks (every offset kept), and the
    blocks."""
    blocks = markup_spans(text)
    masked = text
    for a, b in blocks:
        masked = masked[:a] + "\n" * (b - a) + masked[b:]
    return masked, blocks


def judged_pieces(text: str) -> list[str]:
    """What the learned detector is asked about in ``text`` (markup blocks set aside): every
    sentence and the bracketed and clause pieces inside it, whitespace-normalised."""
    masked, _ = _masked(text)
    out = [
        " ".join(masked[s:e].split())
        for a, b in sentence_spans(masked)
        for s, e, _ in _pieces(masked, a, b)
    ]
    return [t for t in dict.fromkeys(out) if len(_WORD.findall(t)) >= _MIN_WORDS]


def injection_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """(``text`` with markup blocks blanked to line breaks, spans that try to instruct the
    grader): the blocks, and the sentences (or bracketed pieces) the detector flags. Blanking
    keeps every offset, so units split from the masked text are still spans of ``text``."""
    masked, blocks = _masked(text)
    sentences = sentence_spans(masked)
    pieces = [(i, p) for i, (a, b) in enumerate(sentences) for p in _pieces(masked, a, b)]
    hits = _attempts([masked[s:e] for _, (s, e, _) in pieces])
    found: list[tuple[int, int]] = list(blocks)
    by_sentence: dict[int, list[tuple[int, int, bool]]] = {}
    for (i, piece), hit in zip(pieces, hits, strict=True):
        if hit:
            by_sentence.setdefault(i, []).append(piece)
    for i, flagged in by_sentence.items():
        whole = [p for p in flagged if not p[2]]
        if whole:  # the sentence or one of its clauses: the sentence goes
            found.append(sentences[i])
        else:  # only bracketed pieces: they go, the sentence around them stays
            found += [(s, e) for s, e, _ in flagged]
    return masked, _merge(found)


def is_injection(text: str) -> bool:
    """Does ``text`` try to instruct, flatter or fish whoever grades it?"""
    return bool(injection_spans(text)[1])


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
