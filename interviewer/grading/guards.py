"""Deterministic answer-quality guards. The grader never trusts the answer: instructions inside
it are data to strip, not commands; empty, gibberish or repeated answers are flagged and capped
whatever any model says about them. Keyword stuffing has no guard of its own: a run of terms
commits to nothing and earns nothing by construction (commitment.py), and the offline grader
scales every criterion by the share of concept words that commit (offline.score).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from interviewer.grading.injection import injection_spans
from interviewer.grading.text import Unit, split_units, stem, stems, tokens
from interviewer.grading.vocab import FUNCTION_WORDS, vocabulary

MIN_EXPLAINING_WORDS = 6


@dataclass
class Prepared:
    """The answer after the text-only guards: what is scored and what was set aside."""

    text: str  # the (truncated) answer; evidence is always a substring of this
    units: list[Unit]  # kept units, in order: deduplicated, injected sentences removed
    injected: list[Unit] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    truncated: bool = False

    def overlaps_injection(self, start: int, end: int) -> bool:
        return any(start < u.end and u.start < end for u in self.injected)

    def add_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)


def _dedupe(units: list[Unit]) -> tuple[list[Unit], int]:
    seen: set[tuple[str, ...]] = set()
    kept: list[Unit] = []
    dupes = 0
    for u in units:
        key = tuple(stems(u.text))
        if key and key in seen:
            dupes += 1
            continue
        seen.add(key)
        kept.append(u)
    return kept, dupes


def _self_repeating(unit: Unit) -> bool:
    """One "sentence" that is the same word or phrase over and over ("NDCG NDCG NDCG ...")."""
    toks = tokens(unit.text)
    return len(toks) >= 8 and len(set(toks)) / len(toks) < 0.35


_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def known_word_ratio(text: str) -> tuple[float, int]:
    """(share of words that are English or domain vocabulary, number of words looked at).
    Acronyms (NDCG, PSI) and very short words are skipped: they say nothing either way."""
    vocab = vocabulary()
    considered = 0
    known = 0
    for word in _WORD.findall(text):
        if len(word) <= 2 or (word.isupper() and len(word) <= 6):
            continue
        considered += 1
        low = word.lower()
        if stem(low) in vocab or low in vocab or low.rstrip("'s") in vocab:
            known += 1
    return (known / considered if considered else 0.0), considered


def prepare(answer: str, max_chars: int) -> Prepared:
    """Truncate, split, strip injected instructions, drop repeats, measure gibberish."""
    text = answer[:max_chars]
    prep = Prepared(text=text, units=[], truncated=len(answer) > max_chars)
    if not text.strip():
        prep.add_flag("empty")
        return prep
    masked, injected = injection_spans(text)
    clean: list[Unit] = []
    for u in split_units(masked):  # same offsets as ``text``; blocks are blank there
        u = Unit(text[u.start : u.end], u.start, u.end)
        if any(u.start < e and s < u.end for s, e in injected):
            prep.injected.append(u)
        else:
            clean.append(u)
    # Blocks left no unit behind; keep them so no evidence may ever quote them.
    covered = {(u.start, u.end) for u in prep.injected}
    for s, e in injected:
        if (s, e) not in covered and not any(s <= u.start and u.end <= e for u in prep.injected):
            prep.injected.append(Unit(text[s:e], s, e))
    prep.injected.sort(key=lambda u: u.start)
    if prep.injected:
        prep.add_flag("injection")
    kept, dupes = _dedupe(clean)
    if (dupes >= 2 and dupes >= 0.3 * len(clean)) or any(_self_repeating(u) for u in kept):
        prep.add_flag("repetition")
    prep.units = kept
    ratio, considered = known_word_ratio(" ".join(u.text for u in kept))
    if kept and (considered == 0 or (considered >= 3 and ratio < 0.5)):
        prep.add_flag("gibberish")
    return prep


def explaining_units(units: list[Unit]) -> int:
    """Units that read like an explanation: long enough and built with function words, which a
    list of buzzwords lacks."""
    n = 0
    for u in units:
        toks = tokens(u.text)
        if len(toks) >= MIN_EXPLAINING_WORDS and sum(t in FUNCTION_WORDS for t in toks) >= 2:
            n += 1
    return n


def thin(units: list[Unit]) -> bool:
    """Too little real content left to deserve more than a weak score: fewer than three
    explaining sentences or 40 words (what is left of an answer once an attempt to instruct
    the grader is set aside keeps its score only if it is a real answer on its own)."""
    words = sum(len(tokens(u.text)) for u in units)
    return explaining_units(units) < 3 or words < 40
