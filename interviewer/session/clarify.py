"""Answer clarifying questions from the problem's hidden facts, and only from them.

Each question is split into parts ("how many users and what latency?" is two), and each part is
matched to facts by keyword hits plus sentence-embedding similarity to the fact's keywords and
answer. The scoring is deterministic (ties break by the fact's order in the card), so the same
question gets the same answer every time. When nothing matches well the candidate is asked to
state an assumption: the interviewer never invents a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from interviewer.rubrics.models import Fact, Problem

MAX_FACTS = 3
# Accept a fact on keyword evidence plus some semantic agreement, or on strong semantics alone.
KW_MIN_SIM = 0.22
SEMANTIC_ONLY_SIM = 0.50
# ... or on meaning alone when one fact is the clear winner: this close, and this far ahead of
# the next fact.
CLEAR_SIM = 0.40
CLEAR_MARGIN = 0.06
# Where one question holds several: a question mark, a semicolon, a line, or "and"/","/"also"
# before another question word ("how many users and what latency?"). A plain "and" joins a
# noun phrase ("conversations between customers and agents") and is not a split.
_PART_SPLIT = re.compile(
    r"\?|;|\n|(?:,|\band also\b|\band\b|\balso\b|\bor\b)\s*(?=(?:what|how|who|which|where"
    r"|when|why|is|are|do|does|did|can|could|will|would|any)\b)",
    re.I,
)
_STOP_TEXT = (
    "a an the of to in on for and or is are do does we you i it what how many much "
    "there any our your be can will would should which"
)
_STOP = frozenset(_STOP_TEXT.split())

NOT_SPECIFIED = (
    "That isn't something I'll pin down for you. Make a reasonable assumption, state "
    "it out loud, and carry on with it."
)


@dataclass(frozen=True)
class FactMatch:
    fact: Fact
    score: float
    keyword_hits: tuple[str, ...]
    similarity: float
    distinctive: bool = False  # a keyword hit that only this fact of the card uses


@lru_cache(maxsize=4096)
def _kw_pattern(keyword: str) -> re.Pattern[str]:
    # Whole words, tolerant of a plural "s" and of hyphen/space variants ("cold-start").
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", keyword.strip().lower()) if p]
    if parts and len(parts[-1]) > 3 and parts[-1].endswith("s") and not parts[-1].endswith("ss"):
        parts[-1] = parts[-1][:-1]  # "wrong answers" also finds "a wrong answer"
    return re.compile(r"\b" + r"[\s\-]+".join(parts) + r"s?\b", re.I)


def keyword_hits(text: str, fact: Fact) -> list[str]:
    return [k for k in fact.keywords if _kw_pattern(k).search(text)]


# A keyword the card also uses elsewhere (in its prompt or in another fact: "advertisers",
# "videos", "how many", "model") says little about which fact is asked for; it counts this much.
SHARED_KEYWORD_WEIGHT = 0.25


def _kw_score(hits: list[str] | tuple[str, ...], shared: frozenset[str] = frozenset()) -> float:
    # Multi-word keywords ("watch time") are stronger evidence than single words ("new").
    return sum(
        (1.0 + 0.5 * (len(k.split()) - 1)) * (SHARED_KEYWORD_WEIGHT if k in shared else 1.0)
        for k in hits
    )


_shared_cache: dict[int, tuple[Problem, tuple[frozenset[str], ...]]] = {}


def shared_keywords(problem: Problem) -> tuple[frozenset[str], ...]:
    """Per fact, its keywords that also appear in the problem's prompt or another fact's texts
    (so they do not single this fact out)."""
    hit = _shared_cache.get(id(problem))
    if hit is not None and hit[0] is problem:
        return hit[1]
    texts = [" ".join(fact_texts(f)) for f in problem.facts]
    out = []
    for i, fact in enumerate(problem.facts):
        elsewhere = " ".join([problem.prompt, *texts[:i], *texts[i + 1 :]])
        out.append(frozenset(k for k in fact.keywords if _kw_pattern(k).search(elsewhere)))
    if len(_shared_cache) > 256:  # problems reloaded many times in one process
        _shared_cache.clear()
    _shared_cache[id(problem)] = (problem, tuple(out))
    return tuple(out)


def fact_texts(fact: Fact) -> list[str]:
    """What a question about ``fact`` is compared with: its topic and keywords, each sentence
    of its answer, and the questions coaches wrote for it in other words (``asks``)."""
    answer = [t.strip() for t in re.split(r"(?<=[.!?])\s+", fact.answer.strip()) if t.strip()]
    return [f"{fact.topic}: {', '.join(fact.keywords)}", *answer, *fact.asks]


def split_parts(question: str) -> list[str]:
    parts = [p.strip() for p in _PART_SPLIT.split(question)]
    parts = [
        p
        for p in parts
        if len([w for w in re.findall(r"[a-z0-9]+", p.lower()) if w not in _STOP]) >= 1
    ]
    return parts or [question]


def rank_facts(question: str, problem: Problem) -> list[FactMatch]:
    """All facts scored against ``question``, best first (ties: card order)."""
    import numpy as np

    from interviewer.embeddings import get_embedder

    emb = get_embedder()
    q = emb.embed_cached([question[:1000]])[0]
    groups = [fact_texts(f) for f in problem.facts]
    mat = emb.embed_cached([t for g in groups for t in g])
    flat = mat @ q
    sims, pos = [], 0
    for g in groups:
        sims.append(float(flat[pos : pos + len(g)].max()))
        pos += len(g)
    out = []
    shared = shared_keywords(problem)
    for i, fact in enumerate(problem.facts):
        hits = keyword_hits(question, fact)
        sim = float(np.round(sims[i], 4))  # rounding keeps ties stable across BLAS builds
        bonus = 0.12 * min(_kw_score(hits, shared[i]), 3.0)
        own = any(k not in shared[i] for k in hits)
        out.append(FactMatch(fact, sim + bonus, tuple(hits), sim, own))
    order = sorted(range(len(out)), key=lambda i: (-out[i].score, i))
    return [out[i] for i in order]


def _accepted(m: FactMatch, runner_up: FactMatch | None = None) -> bool:
    keyword_ok = m.distinctive and m.similarity >= KW_MIN_SIM
    clear = m.similarity >= CLEAR_SIM and (
        runner_up is None or m.similarity - runner_up.similarity >= CLEAR_MARGIN
    )
    return keyword_ok or m.similarity >= SEMANTIC_ONLY_SIM or clear


def match_facts(questions: list[str] | tuple[str, ...], problem: Problem) -> list[Fact]:
    """The facts that answer ``questions`` (each part's best accepted fact), at most MAX_FACTS."""
    chosen: list[Fact] = []
    for question in questions:
        parts = split_parts(question)
        if len(parts) > 1:
            parts = [question, *parts]  # the whole question first: it has the most context
        for part in parts:
            ranked = rank_facts(part, problem)
            best = ranked[0] if ranked else None
            second = max(ranked[1:], key=lambda m: m.similarity, default=None)
            if best is not None and _accepted(best, second) and best.fact not in chosen:
                chosen.append(best.fact)
            if len(chosen) >= MAX_FACTS:
                return chosen
    return chosen


def offline_answer(facts: list[Fact]) -> str:
    if not facts:
        return NOT_SPECIFIED
    return " ".join(f.answer.strip() for f in facts)
