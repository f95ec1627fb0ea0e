"""Concept matching: rubric phrases found in the answer, case-insensitive, on word boundaries,
tolerant of plurals and simple inflections ("calibrated" counts for "calibration"), of
hyphen/space/joined spellings ("re-ranking", "re ranking", "reranking", "roll out" for
"rollout") and, for multi-word phrases, of word order and a couple of words in between
("roll the model out gradually" counts for "gradual rollout")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from interviewer.grading.text import stem, tokens


@dataclass(frozen=True)
class Match:
    key: tuple[str, ...]  # canonical stem sequence: synonyms spelled alike count once
    concept: str
    start: int  # token positions in the searched text
    end: int


SLACK = 2  # extra words allowed inside a multi-word phrase


def _splits(word: str) -> list[tuple[str, ...]]:
    """A word and its two-word spellings ("rollout" -> "roll out"), as stems."""
    out: list[tuple[str, ...]] = [(stem(word),)]
    if len(word) >= 6 and word.isalpha():
        out += [(stem(word[:i]), stem(word[i:])) for i in range(3, len(word) - 2)]
    return out


def _variants(toks: list[str]) -> list[tuple[str, ...]]:
    """Stem sequences that spell the same phrase."""
    out = [tuple(stem(t) for t in toks)]
    if len(toks) > 1:  # "re-ranking" also as "reranking"
        out.append((stem("".join(toks)),))
    for i, t in enumerate(toks):  # one word written as two ("gradual roll out")
        for split in _splits(t)[1:]:
            out.append((*out[0][:i], *split, *out[0][i + 1 :]))
    return list(dict.fromkeys(out))


def _loose(pattern: tuple[str, ...]) -> bool:
    """Order-free matching only for phrases of real words ("a/b test" must stay in order)."""
    return len(pattern) > 1 and all(len(p) >= 3 for p in pattern)


class ConceptMatcher:
    """Finds the distinct concepts of one criterion (or a whole stage) in a token sequence."""

    def __init__(self, concepts: Iterable[str]) -> None:
        # Every stem of a pattern indexes it, so a phrase is found whatever word comes first.
        self._by_stem: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = defaultdict(
            list
        )
        self.concepts: list[str] = []
        for concept in dict.fromkeys(concepts):
            toks = tokens(concept)
            if not toks:
                continue
            variants = _variants(toks)
            key = variants[0]
            self.concepts.append(concept)
            for pattern in variants:
                for s in dict.fromkeys(pattern):
                    self._by_stem[s].append((pattern, key, concept))

    def find(self, stem_seq: Sequence[str]) -> list[Match]:
        """Non-overlapping matches, longest first ("calibration curve" hides "calibration")."""
        found: list[Match] = []
        for i, s in enumerate(stem_seq):
            for pattern, key, concept in self._by_stem.get(s, ()):
                n = len(pattern)
                if n == 1 or tuple(stem_seq[i : i + n]) == pattern or not _loose(pattern):
                    if pattern[0] == s and tuple(stem_seq[i : i + n]) == pattern:
                        found.append(Match(key, concept, i, i + n))
                    continue
                # Any order, a few words in between: the window starting at this word.
                window = stem_seq[i : i + n + SLACK]
                if window[0] == s and set(pattern) <= set(window):
                    last = max(window.index(p) for p in pattern)
                    found.append(Match(key, concept, i, i + last + 1))
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        taken: set[int] = set()
        out: list[Match] = []
        for m in found:
            span = set(range(m.start, m.end))
            if span & taken:
                continue
            taken |= span
            out.append(m)
        return sorted(out, key=lambda m: m.start)

    def distinct(self, stem_seq: Sequence[str]) -> dict[tuple[str, ...], str]:
        """Distinct concepts present: canonical key -> the rubric's phrase."""
        return {m.key: m.concept for m in self.find(stem_seq)}
