"""Probes fit the problem family, and every hidden fact can be asked for in other words.

A fraud interview must not hear "items to score", and a chatbot interview must not be asked about
"the list coming back". The rubric's generic ``probes`` reach every problem, ``family_probes`` reach
the problems of one family, and a card's own ``probes`` reach that card only; these tests check
the words each problem can hear against vocabularies that belong to one family (or to one problem
within a family), allowing a word when the card itself uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.rubrics.loader import effective_rubric, load_problems, load_rubrics
from interviewer.rubrics.models import FAMILIES, Problem, Rubric

# Words that belong to one problem family's world. Regexes matched case-insensitively on word
# boundaries. Chosen to be exclusive: a word that two families use naturally ("candidate", "index",
# "merchant", "click", "label") is not in any list.
FAMILY_WORDS: dict[str, list[str]] = {
    "recommendation": [
        r"items?",
        r"catalogu?e?s?",
        r"feeds?",
        r"videos?",
        r"watch time",
        r"watch history",
        r"recommend\w*",
        r"recommender\w*",
        r"impressions?",
        r"home ?page",
        r"scroll\w*",
        r"subscri\w+",
        r"ads?",
        r"advertisers?",
        r"auctions?",
        r"friends?",
    ],
    "classification": [
        r"fraud\w*",
        r"payments?",
        r"transactions?",
        r"chargebacks?",
        r"cardholders?",
        r"moderat\w+",
        r"harmful",
        r"violat\w+",
        r"takedowns?",
        r"appeals?",
        r"hate speech",
        r"spam\w*",
    ],
    "search": [
        r"quer(y|ies)",
        r"documents?",
        r"search results?",
        r"searcher\w*",
        r"search box",
        r"relevance judge?ments?",
        r"navigational",
        r"reformulat\w+",
    ],
    "rag": [
        r"chatbots?",
        r"bots?",
        r"hallucinat\w+",
        r"passages?",
        r"llms?",
        r"language models?",
        r"prompts?",
        r"grounded",
        r"grounding",
        r"hand-?offs?",
        r"help (centre|center|articles?|content)",
    ],
}

# Words that belong to one problem inside a family: family probes are shared by every problem of
# the family, so "payments" must not reach the moderation interview, nor "videos" the
# people-you-may-know one.
PROBLEM_WORDS: dict[str, list[str]] = {
    "video-recommendations": [r"videos?", r"watch (time|history)", r"watched", r"channels?"],
    "feed-ranking": [r"feeds?", r"posts?", r"newsfeed"],
    "people-you-may-know": [r"connections?", r"invit\w+", r"members?"],
    "ads-click-prediction": [r"ads?", r"advertisers?", r"auctions?", r"bids?", r"campaigns?"],
    "fraud-detection": [
        r"fraud\w*",
        r"payments?",
        r"transactions?",
        r"chargebacks?",
        r"merchants?",
        r"cards?",
    ],
    "harmful-content-detection": [
        r"posts?",
        r"comments?",
        r"moderat\w+",
        r"hate speech",
        r"harmful",
    ],
    "semantic-document-search": [r"documents?", r"employees?", r"wiki\w*", r"intranet"],
    "visual-search": [r"images?", r"photos?", r"pictures?", r"crops?", r"camera"],
    "support-chatbot-rag": [],
}

ROOT = Path(__file__).resolve().parents[1] / "rubrics"


@pytest.fixture(scope="module")
def rubrics() -> dict[str, Rubric]:
    return load_rubrics(ROOT)


@pytest.fixture(scope="module")
def problems() -> dict[str, Problem]:
    return load_problems(ROOT)


def card_text(problem: Problem) -> str:
    """Everything the card says to or about the problem (not its asks or probes)."""
    parts = [problem.id.replace("-", " "), problem.title, problem.kind, problem.prompt]
    for fact in problem.facts:
        parts += [fact.answer, *fact.keywords]
    parts += problem.stage_notes.values()
    parts += problem.stage_questions.values()
    for override in problem.rubric_overrides.values():
        for extra in override.extra_concepts.values():
            parts += extra
    return " ".join(parts).lower()


def hits(words: list[str], text: str) -> list[str]:
    return [m.group(0) for w in words for m in re.finditer(rf"\b{w}\b", text, re.IGNORECASE)]


def reachable(
    problem: Problem, rubrics: dict[str, Rubric]
) -> Iterator[tuple[str, str, str, str]]:
    """(stage, criterion id, where it comes from, probe) for every probe this problem can hear."""
    family = problem.problem_family
    for stage, rubric in rubrics.items():
        for c in rubric.criteria:
            for p in problem.probes.get(stage, {}).get(c.id, []):
                yield stage, c.id, "card", p
            for p in c.family_probes.get(family, []):  # type: ignore[call-overload]
                yield stage, c.id, family, p
            for p in c.probes:
                yield stage, c.id, "generic", p


def test_vocabularies_name_known_families_and_problems(problems: dict[str, Problem]) -> None:
    assert set(FAMILY_WORDS) == set(FAMILIES)
    assert set(PROBLEM_WORDS) == set(problems)
    # Every family has at least one problem, so the family probes are exercised.
    assert {p.problem_family for p in problems.values()} == set(FAMILIES)


def test_probes_stay_inside_the_problem_family(
    rubrics: dict[str, Rubric], problems: dict[str, Problem]
) -> None:
    bad: list[str] = []
    for pid, problem in problems.items():
        own = card_text(problem)
        family = problem.problem_family
        for stage, cid, source, probe in reachable(problem, rubrics):
            for other, words in FAMILY_WORDS.items():
                if other == family:
                    continue
                foreign = [w for w in hits(words, probe) if not hits([re.escape(w)], own)]
                if foreign:
                    bad.append(f"{pid} {stage}.{cid} ({source}): {probe!r} names {other} {foreign}")
    assert not bad, "\n".join(bad)


def test_shared_probes_do_not_name_one_problems_things(
    rubrics: dict[str, Rubric], problems: dict[str, Problem]
) -> None:
    """Family and generic probes are shared, so they must not name one problem's things."""
    bad: list[str] = []
    for pid, problem in problems.items():
        own = card_text(problem)
        for stage, cid, source, probe in reachable(problem, rubrics):
            if source == "card":
                continue
            for other, words in PROBLEM_WORDS.items():
                if other == pid:
                    continue
                foreign = [w for w in hits(words, probe) if not hits([re.escape(w)], own)]
                if foreign:
                    bad.append(f"{pid} {stage}.{cid} ({source}): {probe!r} names {other} {foreign}")
    assert not bad, "\n".join(bad)


def test_every_criterion_has_probes_for_every_family(rubrics: dict[str, Rubric]) -> None:
    for stage, rubric in rubrics.items():
        for c in rubric.criteria:
            assert set(c.family_probes) == set(FAMILIES), f"{stage}.{c.id}"
            for family, probes in c.family_probes.items():
                assert 1 <= len(probes) <= 2, f"{stage}.{c.id}.{family}"


def test_no_probe_reveals_the_rubric(
    rubrics: dict[str, Rubric], problems: dict[str, Problem]
) -> None:
    """No probe a problem can hear names a concept of its stage (with the card's extra concepts),
    or a criterion's title, and each asks one thing."""
    bad: list[str] = []
    for pid, problem in problems.items():
        for stage, cid, source, probe in reachable(problem, rubrics):
            rubric = effective_rubric(rubrics[stage], problem)
            low = probe.lower()
            leaked = [
                k
                for c in rubric.criteria
                for k in c.concepts
                if re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", low)
            ]
            titles = [c.title for c in rubric.criteria if c.title.lower() in low]
            if leaked or titles:
                bad.append(f"{pid} {stage}.{cid} ({source}): {probe!r} names {leaked + titles}")
            # One question ("Walk me through ..." is a question too), never a list of them.
            if probe.count("?") > 1 or ("?" in probe and not probe.rstrip().endswith("?")):
                bad.append(f"{pid} {stage}.{cid} ({source}): {probe!r} is not one question")
    assert not bad, "\n".join(sorted(set(bad)))


def test_probes_are_not_repeated(rubrics: dict[str, Rubric]) -> None:
    seen: dict[str, str] = {}
    for stage, rubric in rubrics.items():
        for c in rubric.criteria:
            for p in [*c.probes, *(q for ps in c.family_probes.values() for q in ps)]:
                key = re.sub(r"\W+", " ", p.lower()).strip()
                assert key not in seen, f"{stage}.{c.id}: {p!r} repeats {seen[key]}"
                seen[key] = f"{stage}.{c.id}"


def test_every_fact_can_be_asked_for_in_other_words(problems: dict[str, Problem]) -> None:
    bad: list[str] = []
    for pid, problem in problems.items():
        seen: set[str] = set()
        for fact in problem.facts:
            if len(fact.asks) < 3:
                bad.append(f"{pid}.{fact.id}: {len(fact.asks)} asks, want >= 3")
            for ask in fact.asks:
                kws = [
                    k
                    for k in fact.keywords
                    if re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", ask.lower())
                ]
                if len(kws) > 1:
                    bad.append(f"{pid}.{fact.id}: {ask!r} repeats keywords {kws}")
                if not ask.rstrip().endswith("?"):
                    bad.append(f"{pid}.{fact.id}: {ask!r} is not a question")
                key = ask.lower().strip()
                if key in seen:
                    bad.append(f"{pid}.{fact.id}: {ask!r} is used for two facts")
                seen.add(key)
    assert not bad, "\n".join(bad)
