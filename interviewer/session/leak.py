"""Leak guard: interviewer text must not give away rubric content, unasked hidden facts or scores.

Checked before any interviewer text is emitted. Overlap is measured in word n-grams against
the rubric's descriptions, level descriptors and exemplars, and against the answers of facts the
candidate has not asked about; a run of several concepts from the stage's concept lists also
counts. LLM phrasing that fails the check is replaced by the offline phrasing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from interviewer.rubrics.models import Problem, Rubric

NGRAM = 5
MAX_CONCEPTS = 3  # this many distinct rubric concepts the candidate did not use is a list
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SCORE = re.compile(
    r"\b[0-4](?:\.\d)?\s*(?:/|out of)\s*4\b|\b(?:your|the) (?:score|grade)\b"
    r"|\b(?:strong |lean )?(?:no )?hire\b",
    re.I,
)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    toks = tokens(text)
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


# Keyed by object identity (pydantic models holding lists are not hashable); the rubric is kept
# in the value so its id cannot be reused while cached. The loader returns the same objects
# until a file changes.
_cache: dict[tuple[int, int], tuple[Rubric, frozenset[tuple[str, ...]]]] = {}
_lock = threading.Lock()


def _rubric_ngrams(rubric: Rubric, n: int = NGRAM) -> frozenset[tuple[str, ...]]:
    key = (id(rubric), n)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] is rubric:
        return hit[1]
    grams: set[tuple[str, ...]] = set()
    for c in rubric.criteria:
        for text in (c.description, *c.levels.values(), *c.exemplars.strong, *c.exemplars.weak):
            grams |= ngrams(text, n)
    frozen = frozenset(grams)
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (rubric, frozen)
    return frozen


def rubric_ngrams(rubrics: Iterable[Rubric], n: int = NGRAM) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for r in rubrics:
        out |= _rubric_ngrams(r, n)
    return out


@dataclass(frozen=True)
class LeakCheck:
    ok: bool
    reason: str = ""


def check(
    text: str,
    *,
    rubrics: Iterable[Rubric],
    stage_rubric: Rubric | None,
    problem: Problem | None,
    revealed: Iterable[str] = (),
    allowed: str = "",
    candidate_text: str = "",
) -> LeakCheck:
    """``allowed`` is text the interviewer may say verbatim (the chosen question/probe and any
    facts being revealed); ``candidate_text`` is what the candidate said (echoing it is fine)."""
    free = ngrams(allowed) | ngrams(candidate_text)
    grams = ngrams(text) - free
    if grams & rubric_ngrams(rubrics):
        return LeakCheck(False, "rubric text")
    if problem is not None:
        shown = set(revealed)
        for fact in problem.facts:
            if fact.id not in shown and grams & ngrams(fact.answer):
                return LeakCheck(False, f"hidden fact {fact.id}")
    if stage_rubric is not None:
        low = " ".join(tokens(text))
        ok_words = " ".join(tokens(allowed + " " + candidate_text))
        used = {
            k
            for c in stage_rubric.criteria
            for k in c.concepts
            if len(tokens(k)) and _has(low, k) and not _has(ok_words, k)
        }
        if len(used) >= MAX_CONCEPTS:
            return LeakCheck(False, f"concept list ({len(used)} rubric concepts)")
    if _SCORE.search(text) and not _SCORE.search(allowed):
        return LeakCheck(False, "score or hire signal")
    return LeakCheck(True)


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    # Compiled once per rubric concept: each check looks for ~130 of them, more than re's cache.
    needle = " ".join(tokens(phrase))
    return re.compile(r"\b" + re.escape(needle) + r"\b") if needle else None


def _has(haystack: str, phrase: str) -> bool:
    pattern = _phrase_pattern(phrase)
    return pattern is not None and pattern.search(haystack) is not None


PASSAGE_NGRAM = 4


def copies(text: str, source: str, free: str = "") -> bool:
    """Whether ``text`` reuses a run of PASSAGE_NGRAM words from ``source`` (a guide passage
    the LLM was given as background) that is not also in ``free`` (the question, the
    candidate's words)."""
    grams = ngrams(text, PASSAGE_NGRAM) - ngrams(free, PASSAGE_NGRAM)
    return bool(grams & ngrams(source, PASSAGE_NGRAM))
