"""Recognise wrong claims from the misconception catalogue in a candidate's message.

A claim is found in one unit (a sentence, a note line, a bullet) when every ``all_of`` group of
the entry has a term in it, no ``none_of`` term is there, and the entry's key term (its first
group) is not negated just before it ("not a random split", "instead of shuffling"), and
the unit is at least loosely close in meaning to one of the entry's ``says`` examples (words
and meaning must agree). A unit that matches all but one group counts too when it is close in
meaning to one of them, so paraphrases are caught without new word lists. Only entries for the
problem's family are considered.

An entry for a claim that waves a duty away ("feedback loops aren't really a thing here",
"calibration doesn't matter") names only the duty (``dismisses``); how a duty is dismissed is
one grammar shared by every such entry (``dismissals``), so a new way of saying "no need" is
heard for every duty at once instead of needing a phrase in each entry.

A ``none_of`` term marks the correct version only when the candidate keeps that thing: one
just after a word that leaves it out ("skip the ANN step", "without chunking", "instead of
a time split"), right after a denial ("dont need to be calibrated") or waved away just after
it ("time doesn't matter much here") does not veto. A unit
that asks (a question by its form, also after a joining word: "and how long does the whole
pick get") claims nothing; a statement that merely ends in "?" ("we keep the average latency
under 100 ms?") is a hedged claim and still counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from interviewer.grading.commitment import is_question
from interviewer.grading.concepts import ConceptMatcher, Match
from interviewer.grading.text import Unit, split_units, stems
from interviewer.rubrics.misconceptions import Misconception, stage_of
from interviewer.session.questions import is_question as asks_by_form

# Words that, within NEGATION_WINDOW tokens before the key term, mean the candidate rejects
# the claim rather than makes it. Stemmed like the text ("avoiding" -> "avoid").
_NEGATIONS = frozenset(
    stems(
        "not no never avoid without instead rather than don't dont doesn't isn't wouldn't "
        "shouldn't won't can't cannot nor against unlike beyond versus vs shouldnt wouldnt "
        "isnt wont cant doesnt"
    )
)
NEGATION_WINDOW = 4
# Words that, within LEAVE_OUT_WINDOW tokens before a veto term, mean the candidate leaves that
# thing out, so the term does not mark the correct version ("skip the ANN step", "without a
# re-ranker", "instead of a time split").
_LEAVE_OUT = frozenset(stems("skip skipping skipped without bypass bypassing ditch instead"))
LEAVE_OUT_WINDOW = 2
# A veto term right after one of these is denied, not stated ("dont need to be calibrated").
_DENIED = frozenset(stems("not no never dont don't doesnt doesn't isnt isn't wont won't"))
_SOFTENERS = frozenset(stems("really even actually necessarily always quite that much"))
_JOINER = re.compile(r"^\s*(?:and|so|but|or|also|then|plus)\b[\s,]*", re.I)
SAYS_MIN_SIM = 0.62  # a unit this close to an example wording needs one group fewer
# A unit with every group still has to mean something like the claim: words and meaning must
# agree. Terms alone read "keep a small random holdout of would-be declines" (exploration) as a
# random split and "alerts if the job misses its window or acceptance drops" as dropping rows
# with missing values; neither is near any wording of those claims (0.29, 0.12), while the
# claims the terms find on the tuning sets sit at 0.35 and above but for a handful.
TERMS_MIN_SIM = 0.32
# A unit one group short is heard by its meaning only when it says more than a topic: a
# heading or a bare term or two ("Privacy", "retraining", "latency / errors") is close in
# meaning to every claim about that topic, the wrong one and the right one alike, and asserts
# neither.
MEANING_MIN_WORDS = 4

# The one dismissal grammar every ``dismisses`` entry shares (no entry lists its own phrases).
# A duty is waved away when, near the term naming it,
# - a denial is followed within DISMISS_REACH words by a word of worry or need ("isn't really a
#   worry", "doesn't really matter", "no need to", "wouldn't bother", "not spend time on"),
# - a dismissive word stands on its own ("overkill", "unnecessary", "pointless", "skip it"), or
# - the duty itself is denied ("there's no feedback loop", "nothing can drift", "without an
#   A/B test").
# A denial that is the design's aim ("so it doesn't become a problem", "to make sure there's no
# leak") dismisses nothing. Stemmed like the text.
_DENIALS = frozenset(
    stems(
        "not no never nothing without isn't isnt aren't arent doesn't doesnt don't dont won't "
        "wont can't cant cannot wouldn't wouldnt shouldn't shouldnt didn't didnt hardly barely"
    )
)
_WORRY = frozenset(
    stems(
        "worry concern issue problem thing matter need necessary required relevant important "
        "worth apply happen bother care spend waste overthink point reason risk deal factor"
    )
)
_DISMISSIVE = frozenset(
    stems(
        "unnecessary overkill irrelevant pointless negligible needless moot waste skip ignore "
        "optional"
    )
)
# The duty itself denied: a word of absence just before it ("no", "nothing", "without"), not a
# verb's negation ("doesn't replace the rules" denies the replacing, not the rules).
_ABSENT = frozenset(stems("no nothing without never zero"))
# Words that may stand between that word of absence and the duty: an absence denies the thing
# it stands before, so "resolved-without-human rate, guardrails CSAT" denies the human, not the
# guardrails ("there's no real feedback loop", "without an A/B test", "nothing can drift").
_BETWEEN = frozenset(
    stems(
        "a an the any real really much actual explicit separate dedicated extra proper "
        "that can will"
    )
)
_DISMISSIVE_RUNS = (
    tuple(stems("out of scope")),
    tuple(stems("non issue")),
    tuple(stems("nice to have")),
)
_AIMS = frozenset(stems("to ensure sure avoid prevent otherwise"))
_SO_THAT = frozenset(stems("that it they"))  # "so that", "so it doesn't": an aim
DISMISS_REACH = 4  # words from a denial to its worry word
DISMISS_WINDOW = 8  # words between the duty's term and the dismissal, either side
DENIED_DUTY_REACH = 3  # "there's no feedback loop": a denial this close before the term
PASSING_REACH = 8  # words spanned by the parts of a claim about another stage's topic


@dataclass(frozen=True)
class ClaimHit:
    misconception: str
    quote: str  # the unit of the message that makes the claim, verbatim
    start: int
    end: int
    how: str  # "terms" or "meaning"


@dataclass(frozen=True)
class _Compiled:
    entry: Misconception
    groups: tuple[ConceptMatcher, ...]
    veto: ConceptMatcher | None
    duty: ConceptMatcher | None  # the ``dismisses`` terms

    @property
    def needed(self) -> int:
        """How many parts a unit must satisfy: every group, and the dismissal if any."""
        return len(self.groups) + (self.duty is not None)


_compiled: dict[int, _Compiled] = {}  # by id(entry); the entry is kept, so ids stay unique


def _compile(entry: Misconception) -> _Compiled:
    hit = _compiled.get(id(entry))
    if hit is not None and hit.entry is entry:
        return hit
    groups = tuple(ConceptMatcher(g) for g in entry.detect.all_of)
    veto = ConceptMatcher(entry.detect.none_of) if entry.detect.none_of else None
    duty = ConceptMatcher(entry.detect.dismisses) if entry.detect.dismisses else None
    if len(_compiled) > 2048:  # catalogues reloaded many times in one process
        _compiled.clear()
    _compiled[id(entry)] = c = _Compiled(entry, groups, veto, duty)
    return c


def dismissals(seq: Sequence[str]) -> list[int]:
    """Positions in a stemmed unit where something is waved away (the shared grammar above)."""
    return [i for i in range(len(seq)) if _dismisses_at(seq, i) and not _an_aim(seq, i)]


def _dismisses_at(seq: Sequence[str], i: int) -> bool:
    w = seq[i]
    if w in _DISMISSIVE or any(tuple(seq[i : i + len(r)]) == r for r in _DISMISSIVE_RUNS):
        return True
    return w in _DENIALS and any(x in _WORRY for x in seq[i + 1 : i + 1 + DISMISS_REACH])


def _an_aim(seq: Sequence[str], i: int) -> bool:
    """The denial at ``i`` is what the design aims at ("so it doesn't", "to make sure
    there's no"), not a dismissal ("so prompt injection isn't a concern" is one)."""
    lo = max(0, i - 3)
    return any(w in _AIMS for w in seq[lo:i]) or any(
        seq[k] == "so" and seq[k + 1] in _SO_THAT for k in range(lo, i)
    )


def _dismissed(duty: ConceptMatcher, seq: Sequence[str]) -> bool:
    """The unit names a duty and waves it away."""
    terms = duty.find(seq)
    if not terms:
        return False
    cues = dismissals(seq)
    for m in terms:
        if any(m.start - DISMISS_WINDOW <= p < m.end + DISMISS_WINDOW for p in cues):
            return True
        j = m.start - 1
        while j >= max(0, m.start - DENIED_DUTY_REACH) and seq[j] in _BETWEEN:
            j -= 1
        if j >= max(0, m.start - DENIED_DUTY_REACH) and seq[j] in _ABSENT and not _an_aim(seq, j):
            return True
    return False


def _negated(seq: Sequence[str], start: int) -> bool:
    window = seq[max(0, start - NEGATION_WINDOW) : start]
    return any(w in _NEGATIONS for w in window)


def _left_out(seq: Sequence[str], start: int) -> bool:
    """The veto term at ``start`` is left out or denied rather than stated ("skip the ANN
    step", "dont need to be calibrated", "you don't really have labels")."""
    window = seq[max(0, start - LEAVE_OUT_WINDOW) : start]
    if any(w in _LEAVE_OUT for w in window):
        return True
    j = start - 1
    while j >= 0 and seq[j] in _SOFTENERS:
        j -= 1
    return j >= 0 and j >= start - 3 and seq[j] in _DENIED


def _kept(seq: Sequence[str], start: int, end: int) -> bool:
    """The veto term at ``start:end`` marks the correct version: the candidate keeps it,
    neither leaving it out ("skip the ANN step") nor waving it away in the shared dismissal
    grammar right after it ("time doesn't matter much here")."""
    if _left_out(seq, start):
        return False
    return not any(end <= p < end + DISMISS_REACH for p in dismissals(seq))


def _asks(unit: Unit) -> bool:
    """The unit is a question by its form (a hedge that only ends in "?" is not)."""
    text = unit.text.strip()
    return asks_by_form(text) or asks_by_form(_JOINER.sub("", text, count=1))


def _unit_verdict(c: _Compiled, seq: Sequence[str], reach: int | None = None) -> int:
    """How many groups the unit satisfies, or -1 when it states the correct version. A veto
    term inside the words that make the claim marks nothing ("as of" in "the full table as of
    today")."""
    by_group = [g.find(seq) for g in c.groups]  # once: the veto, key and count checks share it
    if c.veto is not None and any(
        _kept(seq, m.start, m.end) and not any(_inside(m, t) for ms in by_group for t in ms)
        for m in c.veto.find(seq)
    ):
        return -1
    if c.duty is None:
        key = by_group[0]
        if key and all(_negated(seq, m.start) for m in key):
            return -1
    found = _together([[m.start for m in ms] for ms in by_group], reach)
    return found + (c.duty is not None and _dismissed(c.duty, seq))


def _inside(veto: Match, term: Match) -> bool:
    """The veto term is part of a longer claim term at the same place ("as of" in "as of
    today")."""
    n = len(veto.key)
    return (
        term.start <= veto.start
        and veto.end <= term.end
        and len(term.key) > n
        and any(term.key[i : i + n] == veto.key for i in range(len(term.key) - n + 1))
    )


def _together(starts: list[list[int]], reach: int | None) -> int:
    """How many groups have a term in the unit, or, with ``reach``, the most groups whose
    terms start within ``reach`` words of each other."""
    if reach is None:
        return sum(1 for ps in starts if ps)
    marks = sorted((p, g) for g, ps in enumerate(starts) for p in ps)
    best = 0
    for i, (p, _) in enumerate(marks):
        best = max(best, len({g for q, g in marks[i:] if q - p <= reach}))
    return best


def detect(
    text: str,
    entries: Iterable[Misconception],
    family: str,
    *,
    stage: str = "",
    use_meaning: bool = True,
    units: list[Unit] | None = None,
) -> list[ClaimHit]:
    """Claims made in ``text``: at most one hit per entry, in the order of the message.
    ``stage`` is the stage the message answers (entries of other stages need PASSING_REACH)."""
    chosen = [e for e in entries if family in e.families]
    if not chosen:
        return []
    units = units if units is not None else split_units(text)
    if not units:
        return []
    seqs = [stems(u.text) for u in units]
    asking = [_asks(u) for u in units]
    near: list[tuple[_Compiled, int]] = []  # (entry, unit) missing exactly one group
    worded: list[tuple[_Compiled, int]] = []  # (entry, unit) with every group
    hits: dict[str, ClaimHit] = {}
    for entry in chosen:
        c = _compile(entry)
        # A claim about another stage's topic, made in passing, is said in one clause: its
        # parts must sit within PASSING_REACH words (a unit naming a click in one line and a
        # suggestion in the next claims nothing about either).
        own = stage_of(entry.id)
        reach = PASSING_REACH if stage and own and own != stage else None
        for i, seq in enumerate(seqs):
            if asking[i]:
                continue
            verdict = _unit_verdict(c, seq, reach)
            if verdict == c.needed:
                # every unit that has the words: the first whose meaning agrees is the claim
                worded.append((c, i))
                continue
            if (
                verdict >= 1
                and verdict == c.needed - 1
                and len(seq) >= MEANING_MIN_WORDS
                and not is_question(units[i])
                and (c.duty is None or _dismissed(c.duty, seq))
            ):
                # one group short: the meaning may still make the claim, but not in a question
                # ("Latency budget for the whole list?" asks, it claims nothing about averages)
                # and never without the dismissal itself (sentence embeddings barely see a
                # negation: "we need a calibrated p(click)" sits close to "calibration doesn't
                # matter")
                near.append((c, i))
    if use_meaning:
        _add_by_meaning(worded, units, hits, TERMS_MIN_SIM, "terms")
        _add_by_meaning(near, units, hits, SAYS_MIN_SIM, "meaning")
    else:
        for c, i in worded:
            u = units[i]
            hits.setdefault(c.entry.id, ClaimHit(c.entry.id, u.text, u.start, u.end, "terms"))
    return sorted(hits.values(), key=lambda h: h.start)


def _add_by_meaning(
    found: list[tuple[_Compiled, int]],
    units: list[Unit],
    hits: dict[str, ClaimHit],
    min_sim: float,
    how: str,
) -> None:
    """Add the (entry, unit) pairs whose unit is at least ``min_sim`` close in meaning to one
    of the entry's ``says`` wordings."""
    from interviewer.embeddings import get_embedder

    todo = [(c, i) for c, i in found if c.entry.id not in hits]
    if not todo:
        return
    emb = get_embedder()
    vecs = emb.embed_cached([units[i].text for _, i in todo])
    for (c, i), vec in zip(todo, vecs, strict=True):
        if c.entry.id in hits:
            continue
        sim = float((emb.embed_cached(list(c.entry.says)) @ vec).max())
        if sim >= min_sim:
            u = units[i]
            hits[c.entry.id] = ClaimHit(c.entry.id, u.text, u.start, u.end, how)
