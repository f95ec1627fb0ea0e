"""Deterministic interview metrics, computed from a transcript (turn dicts) and the problem.

These are the eval's own measurements: leakage is checked here independently of the engine's
leak guard (an engine grading its own homework would always pass), and follow-up targeting is
checked against the simulated candidate's ground truth, not against the engine's grades.

Turn dicts have the DESIGN transcript keys (role, stage, kind, text) plus the engine's
metadata (``target`` on probes, ``subkind``, ``engine``).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from interviewer.rubrics.models import Fact, Problem, Rubric
from interviewer.stages import STAGE_IDS

NGRAM = 6
MAX_CONCEPTS = 3  # this many unused rubric concepts in one interviewer turn reads as a list
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SCORE = re.compile(
    r"\b[0-4](?:\.\d)?\s*(?:/|out of)\s*4\b|\b(?:your|the) (?:score|grade) "
    r"(?:is|was)\b|\b(?:strong |lean )?(?:no )?hire\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

Turn = dict[str, Any]


# ---------------------------------------------------------------------------- text helpers
def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    toks = tokens(text)
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def numbers(text: str) -> list[str]:
    return [x.replace(",", "") for x in _NUMBER.findall(text)]


def _has_phrase(haystack_tokens: str, phrase: str) -> bool:
    needle = " ".join(tokens(phrase))
    return (
        bool(needle) and re.search(r"\b" + re.escape(needle) + r"s?\b", haystack_tokens) is not None
    )


def rubric_secret_texts(rubric: Rubric) -> list[str]:
    """What the candidate must never hear: descriptions, level descriptors, exemplars."""
    out: list[str] = []
    for c in rubric.criteria:
        out += [c.description, *c.levels.values(), *c.exemplars.strong, *c.exemplars.weak]
    return out


def asked_facts(questions: Iterable[str], problem: Problem) -> set[str]:
    """Facts a candidate question asks about: a fact keyword (or its topic) in a question."""
    text = " ".join(" ".join(tokens(q)) for q in questions)
    out = set()
    for f in problem.facts:
        if any(_has_phrase(text, k) for k in (*f.keywords, f.topic)):
            out.add(f.id)
    return out


def candidate_questions(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip().endswith("?")]


# ---------------------------------------------------------------------------- leakage
@dataclass(frozen=True)
class Leak:
    turn: int  # index into the transcript's turns
    kind: str  # rubric | concepts | fact | score
    detail: str


def _wording_texts() -> list[str]:
    """The interviewer's own offline phrasing, every template with each stage name filled in:
    authored text it may say verbatim ("...and move on to the data" is a transition, not the
    weak exemplar that happens to share the words)."""
    from interviewer.session.wording import load_wording

    w = load_wording()
    names = list(w.stage_names.values())
    out = [*w.plain_questions.values()]
    for options in w.templates.values():
        for t in options:
            out += [t.replace("{to}", n).replace("{stage}", n) for n in names]
    return out


def find_leaks(
    turns: Sequence[Turn],
    problem: Problem,
    rubrics: dict[str, Rubric],
    *,
    n: int = NGRAM,
    extra_asked: Iterable[str] = (),
) -> list[Leak]:
    """Interviewer turns (before the report) that give away rubric text, a list of rubric
    concepts the candidate did not use, a hidden fact nobody asked about, or a score."""
    secret: set[tuple[str, ...]] = set()
    for r in rubrics.values():
        for secret_text in rubric_secret_texts(r):
            secret |= ngrams(secret_text, n)
    # What the interviewer may say verbatim: the problem, its openers, every probe.
    base_allowed = [problem.prompt, *problem.stage_questions.values()]
    base_allowed += [p for r in rubrics.values() for c in r.criteria for p in c.probes]
    base_allowed += _wording_texts()
    allowed_grams: set[tuple[str, ...]] = set()
    for allowed_text in base_allowed:
        allowed_grams |= ngrams(allowed_text, n)
    facts: dict[str, Fact] = {f.id: f for f in problem.facts}
    fact_grams = {fid: ngrams(f.answer, n) for fid, f in facts.items()}
    asked: set[str] = set(extra_asked)
    said: list[str] = []
    leaks: list[Leak] = []
    for i, t in enumerate(turns):
        text = str(t.get("text", ""))
        if t.get("role") == "candidate":
            said.append(text)
            asked |= asked_facts(candidate_questions(text), problem)
            allowed_grams |= ngrams(text, n)
            continue
        if t.get("kind") == "report":
            continue
        opened = [str(x) for x in (t.get("asked"),) if x]
        revealed = [facts[f].answer for f in asked if f in facts]
        free = allowed_grams | {g for s in opened + revealed for g in ngrams(s, n)}
        grams = ngrams(text, n) - free
        hit = grams & secret
        if hit:
            leaks.append(Leak(i, "rubric", " ".join(sorted(hit)[0])))
        for fid, fg in fact_grams.items():
            if fid not in asked and grams & fg:
                leaks.append(Leak(i, "fact", fid))
        rubric = rubrics.get(str(t.get("stage")))
        if rubric is not None:
            low = " ".join(tokens(text))
            ok = " ".join(tokens(" ".join([*base_allowed, *opened, *revealed, *said])))
            used = {
                k.lower()
                for c in rubric.criteria
                for k in c.concepts
                if _has_phrase(low, k) and not _has_phrase(ok, k)
            }
            if len(used) >= MAX_CONCEPTS:
                leaks.append(Leak(i, "concepts", ", ".join(sorted(used))))
        if _SCORE.search(text):
            leaks.append(Leak(i, "score", _SCORE.search(text).group(0)))  # type: ignore[union-attr]
    return leaks


# ---------------------------------------------------------------------------- the others
def stage_coverage(turns: Sequence[Turn]) -> float:
    """Share of the 8 stages in which the interviewer asked at least the opening question."""
    reached = {
        t.get("stage")
        for t in turns
        if t.get("role") == "interviewer" and t.get("kind") in ("question", "followup")
    }
    return sum(s in reached for s in STAGE_IDS) / len(STAGE_IDS)


def turns_per_stage(turns: Sequence[Turn]) -> dict[str, int]:
    """Candidate messages per stage (the wrap-up included)."""
    out: dict[str, int] = {}
    for t in turns:
        if t.get("role") == "candidate":
            out[str(t.get("stage"))] = out.get(str(t.get("stage")), 0) + 1
    return out


def clarification_accuracy(
    turns: Sequence[Turn], problem: Problem, question_index: int | None, fact_ids: Sequence[str]
) -> float | None:
    """Share of the asked facts whose every figure appears in the interviewer's reply to the
    clarifying question (``question_index``: the candidate turn that asked it)."""
    if question_index is None or not fact_ids:
        return None
    reply: list[str] = []
    for t in turns[question_index + 1 :]:
        if t.get("role") == "candidate":
            break
        reply.append(str(t.get("text", "")))
    said = set(numbers(" ".join(reply)))
    facts = {f.id: f for f in problem.facts}
    ok = [all(x in said for x in numbers(facts[fid].answer)) for fid in fact_ids if fid in facts]
    return sum(ok) / len(ok) if ok else None


@dataclass(frozen=True)
class Probe:
    """One follow-up probe: its target and whether the target was truly missing."""

    stage: str
    target: str
    truly_missing: bool | None  # from the persona's ground truth (None: no ground truth)
    ref_missing: bool | None = None  # reference offline grade of the answer so far scored <= 1


def probes_from(
    turns: Sequence[Turn],
    truth: Sequence[frozenset[str] | None],
    ref: Callable[[str, str, int], bool | None] | None = None,
) -> list[Probe]:
    """Probes (follow-ups with a target) and the ground truth after the preceding answer.

    ``truth[i]`` is the persona's covered set for turn ``i``'s stage after candidate turn ``i``
    (None for interviewer turns); ``ref(stage, target, i)`` re-grades the answers so far.
    """
    out: list[Probe] = []
    last_cov: frozenset[str] | None = None
    last_i = -1
    for i, t in enumerate(turns):
        if t.get("role") == "candidate":
            last_cov = truth[i] if i < len(truth) else None
            last_i = i
            continue
        target = t.get("target")
        if t.get("kind") != "followup" or not target or last_i < 0:
            continue
        stage = str(t.get("stage"))
        truly = None if last_cov is None else target not in last_cov
        out.append(
            Probe(
                stage,
                str(target),
                truly,
                ref(stage, str(target), last_i) if ref is not None else None,
            )
        )
    return out


def share(flags: Iterable[bool | None]) -> tuple[int, int]:
    """(true count, known count) over the non-None flags."""
    known = [f for f in flags if f is not None]
    return sum(known), len(known)


def percentile(xs: Sequence[float], q: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return float(s[lo] + (s[hi] - s[lo]) * (k - lo))


def mean(xs: Iterable[float | None]) -> float | None:
    vals = [float(x) for x in xs if x is not None]
    return statistics.fmean(vals) if vals else None


# ---------------------------------------------------------------------------- bootstrap
def bootstrap_ci(
    values: Sequence[Any],
    stat: Callable[[Sequence[Any]], float | None],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap CI of ``stat`` over ``values`` (resampled with replacement)."""
    import numpy as np

    if len(values) < 2:
        return None, None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    stats = [stat([values[j] for j in row]) for row in idx]
    vals = [s for s in stats if s is not None and not math.isnan(s)]
    if not vals:
        return None, None
    return (float(np.quantile(vals, alpha / 2)), float(np.quantile(vals, 1 - alpha / 2)))
