"""Which sentences of a candidate message are questions for the interviewer.

A question is recognised by its form, not by its topic: an interrogative opening ("how many
users...?"), an interrogative clause after a lead-in ("say a card is stolen - how many weeks
until...?", "and do the shops ever tell us?"), or subject-verb inversion ("is there a review
team"). A sentence that ends in "?" but opens with a hedge ("I guess watch time?", "maybe the
share of blocked pairs?") is the candidate's own tentative answer, and a short check on what
they just said ("is that fair?") is not a question either.
"""

from __future__ import annotations

import re

_FLAGS = re.I
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+\-]*")

_WH = r"what|what's|whats|wht|wat|how|hw|who|who's|whos|which|where|when|why"
_AUX = (
    r"is|are|was|were|do|does|did|can|could|should|would|will|may|might|shall|have|has"
    r"|isn't|aren't|don't|doesn't|can't|won't"
)
_INTERROGATIVE = re.compile(rf"^\s*({_WH}|{_AUX}|any)\b", _FLAGS)
# What may introduce a clause: the start, punctuation (dashes too), or a joining word.
_LEAD = (
    r"(?:^|[,;:(\u2013\u2014]\s*|\s-+\s*|\b(?:so|and|but|like|also|roughly|just|then|or|plus))\s*"
)
# The subject of an inverted clause: a pronoun, a determiner, or "there".
_SUBJECT = (
    r"(?:we|you|they|it|i|there|this|that|these|those|the|a|an|any|our|your|their|some|people"
    r"|users|customers|members|anyone|anybody|someone|each|every)"
)
# A question clause inside a sentence: a wh-word with its verb or quantity, or an inversion.
_INNER_QUESTION = re.compile(
    _LEAD + r"(?:what(?:'s| is| are| do| does| did| happens| counts| kind| sort| type| share"
    r"| fraction| percentage| portion| proportion| would| should| if)|wht|how (?:many|much|long"
    r"|often|quickly|fast|big|large|common|soon|far|do|does|did|is|are|would|should|can|could"
    r"|will)|who(?:'s| is| are| does| do| decides| owns| labels| reviews)|which|where (?:do"
    r"|does|is|are|would|should|can|will)|when (?:do|does|is|are|would|will|can|did)|why (?:do"
    r"|does|is|are|would|did)|(?:" + _AUX + r")\s+" + _SUBJECT + r")\b"
    # after a colon, a dash or a bracket any inversion opens a clause ("scope: does fraud...?")
    r"|(?:[:;(\u2013\u2014]|\s-+)\s*(?:" + _AUX + r")\s+\w",
    _FLAGS,
)
# Opening forms that are questions even without a "?" and at any length ("how big is the
# review team, how many items do they get through, and how often do they agree").
_INVERTED_OPENING = re.compile(
    rf"^\s*(?:how (?:many|much|big|large|long|often|fast|quickly|soon)\b|(?:{_WH})\b(?:\s+\w+)"
    rf"{{0,3}}?\s+(?:{_AUX})\s+{_SUBJECT}\b|(?:{_AUX})\s+{_SUBJECT}\b)",
    _FLAGS,
)
# A question the candidate asks themselves and then answers ("How do we rank? We use ...").
_RHETORICAL = re.compile(
    r"^\s*(how|what|why|where|which) (do|would|should|can|could|might|will) (we|i)\b", _FLAGS
)
# A sentence ending in "?" that opens with one of these is the candidate's own tentative
# answer ("I guess watch time?", "maybe a two-tower model?"). "kind of"/"sort of" hedge only
# as an adverb ("kind of like a ranker?"), not in "what kind of machines...?".
_HEDGE_WORDS = (
    r"i guess|i think|i'?d (?:say|go with|guess|pick|use)|i suppose|maybe|perhaps|probably"
    r"|i'?m not sure|not sure|i would|we'?d|we would|we could|i could"
    r"|(?<!what )(?<!which )(?<!what's )(?<!any )(?<!some )(?<!the )(?<!a )(?<!this )(?<!that )"
    r"(?:kind|sort) of|something like|i believe|my guess|i assume"
)
HEDGED = re.compile(rf"\b(?:{_HEDGE_WORDS})\b", _FLAGS)
# Short checks on what the candidate just said ("Is that fair?", "does that make sense?").
_CHECK = re.compile(
    r"^\s*(((is|does|did|would|do|was) (that|this|it)|that|this|sounds?|makes?)\b.{0,24}"
    r"\b(fair|right|ok|okay|correct|reasonable|sense|good|fine|work|works|align|match|matches"
    r"|the idea|what you (mean|meant|want))\b|right|ok(ay)?|yes|no|correct)\s*\??\s*$",
    _FLAGS,
)
HEDGE_WINDOW = 24  # characters: a hedge this early governs the sentence


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_check(sentence: str) -> bool:
    return len(words(sentence)) <= 8 and bool(_CHECK.match(sentence))


def is_hedged(sentence: str) -> bool:
    """The sentence opens as the candidate's own tentative answer."""
    return bool(HEDGED.search(sentence[:HEDGE_WINDOW]))


def is_question(sentence: str, *, open_floor: bool = False) -> bool:
    """A question for the interviewer. A sentence ending in "?" without a question clause is
    a hedged statement (its own answer) unless ``open_floor`` (the interviewer asked what the
    candidate wants to know, as in requirements) and it carries no hedge."""
    s = sentence.strip()
    if is_check(s):
        return False
    if s.endswith("?"):
        if _INTERROGATIVE.match(s) or _INNER_QUESTION.search(s):
            return not is_hedged(s)
        return open_floor and not HEDGED.search(s)
    if _INVERTED_OPENING.match(s):
        return not is_hedged(s)
    return bool(_INTERROGATIVE.match(s)) and len(words(s)) <= 20 and not s.endswith(".")


def split_questions(text: str, *, open_floor: bool = False) -> tuple[list[str], str]:
    """(questions asked of the interviewer, the rest of the text as the answer part)."""
    sents = sentences(text)
    questions: list[str] = []
    rest: list[str] = []
    for i, s in enumerate(sents):
        followed_by_statement = any(
            not is_question(t, open_floor=open_floor) for t in sents[i + 1 :]
        )
        if is_question(s, open_floor=open_floor) and not (
            _RHETORICAL.match(s) and followed_by_statement
        ):
            questions.append(s)
        else:
            rest.append(s)
    return questions, " ".join(rest)
