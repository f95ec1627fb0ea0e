"""Deterministic answer-quality guards. The grader never trusts the answer: instructions inside
it are data to strip, not commands; empty, gibberish, stuffed, repeated or off-stage answers are
capped whatever any model says about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from interviewer.grading.injection import injection_spans
from interviewer.grading.text import Unit, split_units, stem, stems, tokens
from interviewer.grading.vocab import FUNCTION_WORDS, vocabulary

MIN_EXPLAINING_WORDS = 6
MIN_STUFFED_CONCEPTS = 8
STUFFED_PER_SENTENCE = 5  # distinct concepts per explaining sentence: stuffed whatever else
DENSE_PER_SENTENCE = 4  # ... and from here, stuffed unless it gives a reason or a number
_REASONING = re.compile(
    r"\b(?:because|since|so\s+that|which\s+means|otherwise|instead\s+of"
    r"|rather\s+than|if|unless|when|whenever|until)\b"
    # a quantity, not part of a term such as "two-tower" or "top-k"
    r"|(?<![-\w])(?:\d+(?:\.\d+)?|one|two|three|four|five|ten|twenty|hundred|thousand|million"
    r"|billion|half|percent)(?![-\w])"
    r"|(?<![-\w])to\s+(?:check|catch|get|avoid|make|keep|see|find|detect|know|measure|reduce|cut"
    r"|stop|handle|learn|decide|compare|confirm|tell|limit|protect|save)\b",
    re.IGNORECASE,
)


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


def function_word_ratio(text: str) -> float:
    toks = tokens(text)
    return sum(t in FUNCTION_WORDS for t in toks) / len(toks) if toks else 0.0


def explaining_units(units: list[Unit]) -> int:
    """Units that read like an explanation: long enough and built with function words, which a
    list of buzzwords lacks."""
    n = 0
    for u in units:
        toks = tokens(u.text)
        if len(toks) >= MIN_EXPLAINING_WORDS and sum(t in FUNCTION_WORDS for t in toks) >= 2:
            n += 1
    return n


def keyword_stuffing(units: list[Unit], n_concepts: int, concept_tokens: int) -> bool:
    """Many rubric concepts with little explanation around them."""
    text = " ".join(u.text for u in units)
    n_tokens = len(tokens(text))
    if n_concepts < 4 or n_tokens == 0:
        return False
    fw = function_word_ratio(text)
    density = concept_tokens / n_tokens
    explaining = explaining_units(units)
    if fw < 0.12:
        return True
    # One real sentence at most, dense with terms, and not built like speech (a short natural
    # sentence that happens to name several concepts is not stuffing).
    if explaining <= 1 and (n_concepts >= 5 or density > 0.4) and fw < 0.3:
        return True
    # Fluent-sounding but all terms: many concepts for each sentence that explains anything
    # ("we leverage X-powered Y with Z behind W, A/B/C via D, ..."). Across the 600+ labelled
    # answers, real ones with eight or more concepts name at most 2.2 per explaining sentence,
    # shallow name-dropping about 3, lists and pseudo-prose 4.7 or more; from 4 on, a dense
    # real answer still gives reasons or conditions ("because", "when drift crosses ...") or
    # numbers, and pseudo-prose does not.
    per_sentence = n_concepts / max(explaining, 1)
    if n_concepts >= MIN_STUFFED_CONCEPTS and (
        per_sentence >= STUFFED_PER_SENTENCE
        or (per_sentence >= DENSE_PER_SENTENCE and not _REASONING.search(text))
    ):
        return True
    # Prose-shaped but mostly terms: e.g. "we use X, Y, Z, W and V" repeated for each topic.
    return density > 0.55 and fw < 0.25


def thin(units: list[Unit]) -> bool:
    """Too little real content left to deserve more than a weak score: fewer than three
    explaining sentences or 40 words (what is left of an answer once an attempt to instruct
    the grader is set aside keeps its score only if it is a real answer on its own)."""
    words = sum(len(tokens(u.text)) for u in units)
    return explaining_units(units) < 3 or words < 40
