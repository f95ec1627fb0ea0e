"""Grounding follow-ups: the guide passage for a target in this problem's domain, the probe
that fits it best, and the candidate's own words to refer to.

The RAG index feeds the interviewer here, not only the report: for a probe target the passage
is retrieved once per (problem, stage, criterion) and cached; offline it picks which of the
reachable probes fits best, and an LLM gets it (bounded, never to be quoted) to write its own
follow-up. Nothing here builds the index: without one, probes keep their preference order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from interviewer.retrieval.domains import FAMILY_HINTS, rank_for_family
from interviewer.rubrics.models import Criterion, Problem

Search = Callable[[str, int, str | None], list[Any]]
PASSAGE_K = 6
QUOTE_MIN_SIM = 0.30  # a unit of the answer must be at least this close to the target to be cited

_lock = threading.Lock()
_passages: dict[tuple[str, str, str, int], Any] = {}


def target_query(problem: Problem, criterion: Criterion) -> str:
    return (
        f"{criterion.title}. {criterion.description[:240]} "
        f"{FAMILY_HINTS.get(problem.problem_family, '')} {problem.title}"
    )


def target_passage(
    search: Search | None, problem: Problem, stage: str, criterion: Criterion
) -> Any | None:
    """The best passage for ``criterion`` in this problem's family (cached), or None."""
    if search is None:
        return None
    key = (problem.id, stage, criterion.id, id(search))
    with _lock:
        if key in _passages:
            return _passages[key]
    try:
        found = list(search(target_query(problem, criterion), PASSAGE_K, stage)) or list(
            search(target_query(problem, criterion), PASSAGE_K, None)
        )
    except Exception:  # a broken index must not break a turn: probes keep their order
        found = []
    ranked = rank_for_family(found, problem.problem_family)
    best = ranked[0] if ranked else None
    with _lock:
        if len(_passages) > 4096:
            _passages.clear()
        _passages[key] = best
    return best


def passage_text(passage: Any) -> str:
    if passage is None:
        return ""
    if isinstance(passage, dict):
        return str(passage.get("text", ""))
    return str(getattr(passage, "text", ""))


PASSAGE_CHARS = 1500  # how much of a target's passage is compared with the probes


def pick_probe(options: list[str], passage: Any | None) -> str | None:
    """Among the most preferred probes (the card's or the family's come first in ``options``),
    the one closest to the target's passage; the first one when there is no passage."""
    if not options:
        return None
    text = passage_text(passage)
    if not text or len(options) == 1:
        return options[0]
    from interviewer.embeddings import get_embedder

    emb = get_embedder()
    vecs = emb.embed_cached(options)
    ref = emb.embed_cached([text[:PASSAGE_CHARS]])[0]
    sims = vecs @ ref
    return options[int(sims.argmax())]


def target_reference(rubric: Any, criterion_id: str) -> str:
    """What a probe's target is about (its title and description), to find the candidate's
    words it follows up on; "" when there is no target."""
    if rubric is None or not criterion_id:
        return ""
    for c in rubric.criteria:
        if c.id == criterion_id:
            return f"{c.title}. {c.description}"
    return ""


def grounding_quote(answer: str, question: str) -> str:
    """The unit of the candidate's last answer that the follow-up refers to: the one closest
    to ``question`` (the target's description), "" if none is close enough to cite. The
    answer's units were embedded by the grader and the target's text once per process."""
    from interviewer.grading.text import split_units

    units = [u.text for u in split_units(answer) if len(u.text.split()) >= 3]
    if not units or not question:
        return ""
    from interviewer.embeddings import get_embedder

    emb = get_embedder()
    sims = emb.embed_cached(units) @ emb.embed_cached([question])[0]
    best = int(sims.argmax())
    return units[best] if float(sims[best]) >= QUOTE_MIN_SIM else ""


FACT_GIVEN_SIM = 0.5  # a probe this close to a fact already told asks for what they know


def asks_for_given_fact(probes: list[str], facts: list[Any]) -> list[bool]:
    """For each probe, whether it asks for something a revealed fact already told the
    candidate ("how busy does it get at its worst?" after the Black Friday peak was given)."""
    if not probes or not facts:
        return [False] * len(probes)
    from interviewer.embeddings import get_embedder

    emb = get_embedder()
    texts = [t for f in facts for t in (f.answer, *f.asks)]
    sims = emb.embed_cached(probes) @ emb.embed_cached(texts).T
    return [bool(row.max() >= FACT_GIVEN_SIM) for row in sims]


def warm_texts(problem: Problem, rubrics: list[Any], catalogue: list[Any]) -> list[str]:
    """Every text a turn of this problem's interview may embed besides the candidate's words:
    reachable probes, target descriptions, the family's claim wordings, the facts. Embedding
    them once when the interview starts keeps a turn to one model call (the answer)."""
    from interviewer.session.machine import probe_options

    texts: list[str] = []
    for rubric in rubrics:
        for c in rubric.criteria:
            texts.append(f"{c.title}. {c.description}")
            texts += probe_options(problem, rubric.stage, c)
    for m in catalogue:
        if problem.problem_family in m.families:
            texts += m.says
    from interviewer.session.clarify import fact_texts

    for f in problem.facts:
        texts += fact_texts(f)
    return list(dict.fromkeys(texts))


def warm_passages(
    search: Search | None,
    problem: Problem,
    rubrics: list[Any],
    stop: Callable[[], bool] = lambda: False,
) -> list[str]:
    """Retrieve (and cache) every target's passage for this problem; returns the passage texts
    a probe is compared with, to embed like ``warm_texts``. Without this the first probe on a
    target searches the index and embeds its passage inside the candidate's turn. ``stop``
    ends the walk (the process is exiting) with nothing to embed."""
    out: list[str] = []
    for rubric in rubrics:
        for c in rubric.criteria:
            if stop():
                return []
            text = passage_text(target_passage(search, problem, rubric.stage, c))
            if text:
                out.append(text[:PASSAGE_CHARS])
    return list(dict.fromkeys(out))
