"""Stage-aware recognition: the words a stage (and a problem) makes likely, as a Whisper hint.

tiny.en hears "charge of backs" for "chargebacks" and "recoil" for "recall" with no context.
The hint is the stage's rubric concepts (distinctive ones first, one per criterion in turn, so
every criterion is represented) plus the problem's title and the rarer words of its prompt
and facts. It only biases recognition; the candidate never sees it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

PROBLEM_TERMS = 16  # of which the problem card's own words
MAX_TERMS = 48  # Whisper keeps at most 223 prompt tokens; ~48 short terms stay well inside
_WORD = re.compile(r"[a-z][a-z\-]+")


def _common() -> frozenset[str]:
    from interviewer.grading.vocab import COMMON_WORDS

    return frozenset(COMMON_WORDS)


def _distinctive(term: str, common: frozenset[str]) -> bool:
    words = _WORD.findall(term.lower())
    return bool(words) and any(len(w) >= 4 and w not in common for w in words)


def _clean(term: str) -> str:
    # Concepts may be written as patterns ("map@k", "a/b test"); keep them readable.
    return re.sub(r"\s+", " ", re.sub(r"[\\^$*+?{}\[\]|()]", " ", term)).strip()


def stage_terms(
    stage: str, problem: str | None = None, rubrics_dir: Path | None = None
) -> list[str]:
    """The hint's terms for ``stage`` (a stage id) and optionally ``problem`` (a problem id)."""
    from interviewer.rubrics.loader import get_problem, get_rubric
    from interviewer.stages import STAGE_IDS

    if stage not in STAGE_IDS:
        from interviewer.errors import UnknownIdError

        raise UnknownIdError("stage", stage, STAGE_IDS)
    common = _common()
    terms: list[str] = []
    seen: set[str] = set()

    def add(term: str) -> None:
        t = _clean(term)
        if t and t.lower() not in seen and len(terms) < MAX_TERMS:
            seen.add(t.lower())
            terms.append(t)

    if problem:
        card = get_problem(problem, rubrics_dir / "problems" if rubrics_dir else None)
        add(card.title)
        # The card's own words first (at most PROBLEM_TERMS, so the stage keeps its share):
        # its extra concepts for this stage, then the distinctive words its text repeats
        # ("chargebacks", "merchant") among its fact keywords and prose.
        override = next((o for s, o in card.rubric_overrides.items() if s == stage), None)
        if override is not None:
            for extra in override.extra_concepts.values():
                for c in extra:
                    add(c)
        text = " ".join([card.prompt, *(f.answer for f in card.facts)]).lower()
        words = [w for w in _WORD.findall(text) if len(w) >= 5 and w not in common]
        keywords = {k.lower() for f in card.facts for k in f.keywords if _distinctive(k, common)}
        ranked = sorted(
            set(words),
            key=lambda w: (w not in keywords, -words.count(w), words.index(w)),
        )
        for w in ranked:
            if len(terms) >= PROBLEM_TERMS:
                break
            add(w)
    rubric = get_rubric(stage, rubrics_dir)
    queues = [[c for c in crit.concepts if _distinctive(c, common)] for crit in rubric.criteria]
    while any(queues) and len(terms) < MAX_TERMS:
        for q in queues:
            if q:
                add(q.pop(0))
    return terms


@lru_cache(maxsize=256)
def _cached_prompt(stage: str, problem: str | None, rubrics_dir: str | None) -> str:
    from interviewer.stages import get_stage

    terms = stage_terms(stage, problem, Path(rubrics_dir) if rubrics_dir else None)
    return (
        f"ML system design interview, {get_stage(stage).title.lower()}: " + ", ".join(terms) + "."
    )


def stage_prompt(
    stage: str | None, problem: str | None = None, rubrics_dir: Path | None = None
) -> str:
    """The recognition hint for a stage ("" without a stage, or for the wrap-up)."""
    if not stage or stage == "wrapup":
        return ""
    return _cached_prompt(stage, problem or None, str(rubrics_dir) if rubrics_dir else None)
