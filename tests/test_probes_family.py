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

from evals.listening.vocab import FAMILY_WORDS, PROBLEM_WORDS, card_text, hits
from interviewer.rubrics.loader import effective_rubric, load_problems, load_rubrics
from interviewer.rubrics.models import FAMILIES, Problem, Rubric

ROOT = Path(__file__).resolve().parents[1] / "rubrics"


@pytest.fixture(scope="module")
def rubrics() -> dict[str, Rubric]:
    return load_rubrics(ROOT)


@pytest.fixture(scope="module")
def problems() -> dict[str, Problem]:
    return load_problems(ROOT)


def reachable(problem: Problem, rubrics: dict[str, Rubric]) -> Iterator[tuple[str, str, str, str]]:
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


def test_challenges_stay_inside_the_problem_family(problems: dict[str, Problem]) -> None:
    """A wrong claim is taken up in the problem's own world: the challenges a problem's
    interview can ask (catalogue entries for its family) name no other family's things."""
    from interviewer.rubrics.misconceptions import load_misconceptions

    catalogue = load_misconceptions(ROOT)
    bad: list[str] = []
    for pid, problem in problems.items():
        own = card_text(problem)
        for m in catalogue.values():
            if problem.problem_family not in m.families:
                continue
            for other, words in FAMILY_WORDS.items():
                if other == problem.problem_family:
                    continue
                text = m.challenge_for(problem.problem_family)
                foreign = [w for w in hits(words, text) if not hits([re.escape(w)], own)]
                if foreign:
                    bad.append(f"{pid} {m.id}: {text!r} names {other} {foreign}")
            # ... nor another problem's things within the family (no payments in moderation)
            for other_pid, words in PROBLEM_WORDS.items():
                if other_pid == pid:
                    continue
                text = m.challenge_for(problem.problem_family)
                foreign = [w for w in hits(words, text) if not hits([re.escape(w)], own)]
                if foreign:
                    bad.append(f"{pid} {m.id}: {text!r} names {other_pid}'s {foreign}")
    assert not bad, "\n".join(bad)
