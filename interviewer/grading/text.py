"""Text plumbing for grading: answer units with spans, tokens, a light stemmer, verbatim quotes.

Every unit keeps its (start, end) span in the answer so that evidence is always an exact
substring of what the candidate wrote, whatever cleaning happens before scoring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Sentence ends, line breaks and bullets; semicolons separate clauses people speak as sentences.
# A line break followed by a lower-case word is a hard wrap inside a sentence, not a break
# (pasted or typed text wrapped at a fixed width would otherwise become one "sentence" a line),
# unless the line opens with a note label.
_BULLET = r"(?:[-*•]|\d{1,2}[.)])\s+"
# A note line's label: a few words before a colon ("online: dwell > 30s", "- loss: logloss").
# A lower-case line that opens with one is a new note line, not a wrapped one.
_LABEL_BODY = r"[a-z0-9 /&-]{0,30}?"
_LABELLED_LINE = rf"(?=[a-z]{_LABEL_BODY}:\s)"
_NOTE_LABEL = re.compile(rf"^\s*(?:{_BULLET})?([a-z]{_LABEL_BODY})\s*:\s+\S", re.IGNORECASE)
_BREAK = re.compile(
    rf"(?<=[.!?;])[\"')\]]*\s+(?:{_BULLET})?|\s*\n\s*(?:{_BULLET}|(?![a-z])|{_LABELLED_LINE})"
    rf"|^\s*{_BULLET}"
)
# Where a long sentence may be split into clauses (kept short so the embedder sees one idea).
_CLAUSE = re.compile(
    r",\s+(?=(?:and|but|so|because|which|then|while|whereas|though)\b)"
    r"|\s+(?:—|–|-{2})\s+|:\s+"
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_WS = re.compile(r"\s+")

# A full stop after these is not a sentence end ("e.g. 30s or more", "LR vs. GBDT"); "etc."
# ends a sentence only when a capital follows. Decimals ("0.5") never match: no space follows.
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|vs|cf|approx|incl|esp|resp|fig|eq|no|mr|mrs|ms|dr|st|u\.s|a\.k\.a)"
    r"|\betc)\.[\"')\]]*$",
    re.IGNORECASE,
)
_HEADER = re.compile(r":\s*$")  # a line that introduces a list ("Features:")

MAX_UNIT_WORDS = 28  # longer sentences are split at clause boundaries
MIN_CLAUSE_WORDS = 5  # never cut off a fragment shorter than this


@dataclass(frozen=True)
class Unit:
    """A sentence or clause of the answer: ``text == answer[start:end]``."""

    text: str
    start: int
    end: int
    # The line a list item hangs from ("Features:" for "- user: age, country"): read with the
    # item when judging what it is about, never quoted.
    parent: str = ""

    @property
    def full(self) -> str:
        """The unit as it is read: with its parent line when it is a list item."""
        return f"{self.parent} {self.text}" if self.parent else self.text

    @property
    def words(self) -> int:
        return len(self.text.split())


def _after_abbreviation(text: str, m: re.Match[str]) -> bool:
    """A sentence-end match right after "e.g." or "vs." (not a line break) is no break."""
    if "\n" in m.group() or not _ABBREV.search(text[max(0, m.start() - 12) : m.start()]):
        return False
    before = text[max(0, m.start() - 5) : m.start()].lower()
    if before.endswith("etc."):
        return not text[m.end() : m.end() + 1].isupper()
    return True


def _spans(text: str, pattern: re.Pattern[str], offset: int = 0) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    for m in pattern.finditer(text):
        if pattern is _BREAK and _after_abbreviation(text, m):
            continue
        if m.start() > pos:
            out.append((offset + pos, offset + m.start()))
        pos = max(pos, m.end())
    if pos < len(text):
        out.append((offset + pos, offset + len(text)))
    return out


def _strip_span(answer: str, start: int, end: int) -> tuple[int, int]:
    seg = answer[start:end]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    return start + lead, end - trail


def _clauses(answer: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a long sentence at clause boundaries, never leaving a tiny fragment."""
    pieces = _spans(answer[start:end], _CLAUSE, start)
    merged: list[tuple[int, int]] = []
    for s, e in pieces:
        if merged and (
            len(answer[s:e].split()) < MIN_CLAUSE_WORDS
            or len(answer[merged[-1][0] : merged[-1][1]].split()) < MIN_CLAUSE_WORDS
        ):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def sentence_spans(answer: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of ``answer``, stripped, without clause splits."""
    out = []
    for s, e in _spans(answer, _BREAK):
        s, e = _strip_span(answer, s, e)
        if e > s:
            out.append((s, e))
    return out


def split_units(answer: str) -> list[Unit]:
    """Sentences (and clauses of long sentences) with their spans in ``answer``."""
    units: list[Unit] = []
    header = ""  # the open list header, if any
    for s, e in _spans(answer, _BREAK):
        s, e = _strip_span(answer, s, e)
        if e <= s or not re.search(r"\w", answer[s:e]):
            continue
        line_start = answer.rfind("\n", 0, s) + 1
        new_line = not answer[line_start:s].strip() or re.fullmatch(
            rf"\s*{_BULLET}", answer[line_start:s]
        )
        is_item = bool(new_line) and bool(re.match(rf"\s*{_BULLET}", answer[line_start : s + 1]))
        indented = bool(new_line) and answer[line_start:s].startswith((" ", "\t"))
        if new_line and not (is_item or indented):
            header = ""
        parent = header if header and (is_item or indented) else ""
        parts = _clauses(answer, s, e) if len(answer[s:e].split()) > MAX_UNIT_WORDS else [(s, e)]
        for ps, pe in parts:
            ps, pe = _strip_span(answer, ps, pe)
            if pe > ps and re.search(r"\w", answer[ps:pe]):
                units.append(Unit(answer[ps:pe], ps, pe, parent))
        if new_line and not parent and _HEADER.search(answer[s:e]):
            header = answer[s:e]
    return units


# Probability notation in notes: "p(click)", "P(fraud | payment)" read as "probability of".
_PROB = re.compile(r"(?<![a-z0-9])p\s*\(\s*(?=[a-z])")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; hyphens and slashes separate ("two-tower" -> two, tower);
    "p(x)" is read as "probability of x"."""
    low = text.lower().replace("’", "'")
    if "(" in low:  # the hot path: most units hold no bracket at all
        low = _PROB.sub("probability of ", low)
    return _TOKEN.findall(low)


_SUFFIXES = (
    ("ational", "ate"),
    ("isation", "ize"),
    ("ization", "ize"),
    ("ation", "ate"),
    ("ising", "ize"),
    ("izing", "ize"),
    ("ised", "ize"),
    ("ized", "ize"),
    ("ings", ""),
    ("ing", ""),
    ("edly", ""),
    ("ied", "y"),
    ("ies", "y"),
    ("ed", ""),
    ("ally", "al"),
    ("ly", ""),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately light stemmer: plurals, -ing/-ed, -isation; enough for concept matching
    ("calibrated" ~ "calibration", "latencies" ~ "latency") without a dependency."""
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("'s"):
        w = w[:-2]
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    else:
        if w.endswith("sses"):
            w = w[:-2]
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "lsz":  # "stopp(ing)" -> "stop"
        w = w[:-1]
    return w


def note_label(line: str) -> str:
    """The label a note line opens with ("online" for "online: dwell > 30s"), or ""."""
    m = _NOTE_LABEL.match(line)
    return m.group(1).strip() if m else ""


def stems(text: str) -> list[str]:
    return [stem(t) for t in tokens(text)]


def normalize_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def find_verbatim(answer: str, quote: str) -> str | None:
    """The exact span of ``answer`` that ``quote`` matches after collapsing whitespace and
    ignoring case (LLMs re-flow lines and change capitals); None if it is not in the answer."""
    target = normalize_ws(quote).casefold().strip(" \"'“”‘’")
    if not target:
        return None
    # Build the collapsed answer and a map from its characters back to the original offsets.
    chars: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(answer):
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                index.append(i)
            prev_space = True
            continue
        chars.append(ch.casefold() if len(ch.casefold()) == 1 else ch)
        index.append(i)
        prev_space = False
    collapsed = "".join(chars)
    pos = collapsed.find(target)
    if pos < 0:
        return None
    start = index[pos]
    end = index[pos + len(target) - 1] + 1
    return answer[start:end]
