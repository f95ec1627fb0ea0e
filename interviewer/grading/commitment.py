"""Does a unit commit to something? Credit is given only to units that do.

A unit (a sentence, a bullet, a list item read with its parent line) earns credit for the rubric
concepts it names only when it also commits to something a design can be held to:

- a number ("5% of traffic", "p99 under 60 ms", "NDCG@10", "two weeks");
- a reason or a condition ("because", "so that", "unless", "instead of", "trade-off");
- a choice ("I'd use", "we will", a note that starts with a verb: "log impressions");
- a problem-specific item: words that are neither rubric terms nor filler ("user: age, country;
  item: category, upload age" names things, "leverage robust scalable embeddings" does not).

What commits to nothing earns nothing by construction, whatever detector runs after it:
questions and requests ("Which metrics do you want me to talk about?"), text addressed to
whoever grades, pleas, and buzzword strings (a run of rubric terms with no choice). Notes, an
outline and prose that say the same things get the same credit: nothing here looks at
function words or sentence shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from interviewer.grading.names import name_words
from interviewer.grading.text import Unit, tokens
from interviewer.grading.vocab import FUNCTION_WORDS

# A quantity: digits (not inside a term such as "two-tower" or "top-k"), number words,
# percentages, metric cut-offs ("@10"). A percentile alone ("p99 latency") names a measure,
# not a value: "p99 under 60 ms" commits by its "60 ms".
NUMBER = re.compile(
    r"(?<![-\w])(?:\d+(?:[.,]\d+)?\s*(?:%|ms|s|x|k|m|b|gb|tb|qps)?|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|twelve|twenty|thirty|fifty|hundred|thousand|million|billion|half"
    r"|percent|dozen|daily|weekly|hourly|monthly|nightly)"
    # a span of time is a quantity ("a two-week test"); "two-tower" or "top-k" is a name
    r"(?:(?![-\w])|-(?:second|minute|hour|day|week|month|year)s?\b)"
    r"|@\s?\d+",
    re.IGNORECASE,
)
REASON = re.compile(
    r"\b(?:because|since|so\s+that|so\s+we|which\s+means|otherwise|instead\s+of|rather\s+than"
    r"|if|unless|when|whenever|until|once|trade-?offs?|versus|vs\b|over\s+\w+\s+because"
    r"|to\s+(?:avoid|catch|check|keep|reduce|cut|stop|prevent|handle|detect|measure|limit|protect"
    r"|make\s+sure|ensure|get|see|learn|decide|compare|confirm|capture|match|balance|spread)"
    r"|given|due\s+to|cheaper|faster|slower|better|worse|simpler|biased|leak\w*|risk\w*)\b",
    re.IGNORECASE,
)
# First person or an imperative note: a decision about this design.
_CHOICE = re.compile(
    r"\b(?:i|we)(?:'d|'ll|'m|\s+would|\s+will|\s+can|\s+could|\s+should|\s+might|\s+want|\s+plan"
    r"|\s+need|\s+prefer|\s+pick|\s+choose|\s+use|\s+start|\s+go|\s+keep|\s+log|\s+train"
    r"|\s+treat|\s+take|\s+run|\s+ship|\s+split|\s+store|\s+serve|\s+retrain|\s+track)\b"
    r"|\blet's\b|\bmy\s+(?:choice|pick|plan|default|baseline)\b",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A note that starts with what to do ("- log impressions", "Retrain weekly", "Canary 5%").
_VERBS = _words(
    """use start train build log store split compute serve deploy roll monitor alert retrain
    sample label join hash embed normalize normalise bucket cap drop filter rank retrieve rerank
    cache precompute shadow canary measure track compare optimize optimise predict weight
    downsample upsample dedupe deduplicate encode impute backfill batch stream ship collect keep
    exclude include add remove replace fall fallback combine blend tune calibrate evaluate test
    ask clarify define target pick choose treat count aggregate window refresh page gate
    block hold freeze version promote rollback distill quantize prune precompute warm"""
)
# Words that name nothing: buzzwords, vague qualities and talk about the answer itself.
FILLER = _words(
    """leverage leveraging leveraged utilize utilise utilizing employ employing harness robust
    scalable scale seamless seamlessly cutting edge state art stateofart advanced powerful
    holistic comprehensive end best practice practices industry standard modern innovative
    synergy synergies optimal optimally efficient efficiently effective effectively world class
    enterprise grade next generation smart intelligent ai driven powered based enabled centric
    solution solutions approach approaches framework frameworks pipeline pipelines system systems
    strategy strategies technique techniques methodology ecosystem paradigm capability
    capabilities various several many multiple different appropriate proper properly relevant
    important key core critical essential robustly thorough thoroughly full fully complete
    completely covered answer answers response section stage part point points thing things
    stuff etc really very quite basically just also well good great nice sure think guess maybe
    probably obviously definitely certainly generally typically usually standard typical common
    overall general aspect aspects area areas element elements factor factors component
    components layer layers level levels item items question questions talk discuss mention
    want like need know make ensure ensuring provide providing deliver delivering drive driving
    enable enabling handle handling support supporting focus focusing consider considering
    way ways lot lots kind sort type types top high higher low lower large big small new
    performance quality value impact accuracy metric metrics model models data feature features
    use uses used using user users context contexts signal signals information info content
    interview interviewer grader scorer rubric score grade marks credit
    please thanks thank"""
)
_QUESTION_START = re.compile(
    r"^\W*(?:which|what|who|whom|whose|where|when|why|how|should|shall|do|does|did|is|are|was"
    r"|were|can|could|would|will|may|might|have|has|am)\b",
    re.IGNORECASE,
)
# Requests and talk addressed to whoever listens or grades, not design content.
_REQUEST = re.compile(
    r"\b(?:please|kindly|could\s+you|can\s+you|would\s+you|will\s+you|do\s+you\s+want"
    r"|want\s+me\s+to|you\s+want|let\s+me\s+know|tell\s+me|i'd\s+like\s+you|i\s+want\s+you"
    r"|you\s+(?:should|must|need\s+to)\s+(?:give|award|score|grade|mark|rate|treat|count)"
    r"|(?:grade|score|mark|rate)\s+(?:me|this|it|my)\b|full\s+marks|benefit\s+of\s+the\s+doubt)",
    re.IGNORECASE,
)


# Words that tie one term to another ("per user", "as a guardrail", "split by user"); a bare
# list has none of them, only commas and "and".
_RELATION = _words(
    """per with as by on in at for from into over under within between against behind after
    before via using without than instead"""
)


def _relations(unit: Unit) -> int:
    return sum(t in _RELATION for t in tokens(unit.text))


# Rubric concepts (of any stage) one unit can name and still be a choice among them.
_LIST_OF_EVERYTHING = 6


# "So we ...", "And so ..." opening a unit carry on the talk; they give no reason.
_DISCOURSE = re.compile(r"^\W*(?:(?:and|ok|okay|well|right)\W+)?so\b", re.IGNORECASE)


def _own_words(match: str, taken: set[str]) -> bool:
    words = tokens(match)
    return not words or any(w not in taken for w in words)


# Words that place or sum up rather than name an item ("behind a cache", "plus", "everything").
_NOT_ITEMS = _words(
    """behind across onto plus around toward towards beyond along among inside outside whole
    everything anything something"""
)


def is_question(unit: Unit) -> bool:
    """A unit that asks rather than states (ends in "?" or opens like a question)."""
    text = unit.text.strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text) and "?" in text)


# A word written as a name: capitals after its first letter ("XGBoost", "GDPR", "gRPC"),
# letters and digits mixed ("node2vec", "bm25"), or a capital mid-sentence ("..., Airflow").
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_MID = re.compile(r"[a-z0-9,;(] $")


def technology_names(text: str) -> set[str]:
    """The words of ``text`` that name a tool, library, method or acronym rather than a thing
    of the problem: words the guide itself writes as names (``names.name_words``: "Kafka",
    "SMOTE", "GDPR", "XGBoost", "Redis"), and words the guide never writes in lower case that
    the text writes as a name ("Airflow", "TensorRT", "word2vec"). Lower-cased."""
    names, plain = name_words()
    out: set[str] = set()
    for m in _WORD.finditer(text):
        w = m.group(0)
        low = w.lower()
        if low in names or (low not in plain and _written_as_name(w, text, m.start())):
            out.add(low)
    return out


def _written_as_name(word: str, text: str, start: int) -> bool:
    return (
        any(ch.isupper() for ch in word[1:])
        or (any(ch.isdigit() for ch in word) and not word[:1].isdigit())
        or (word[0].isupper() and _MID.search(text, 0, start) is not None)
    )


def specific_words(unit: Unit, concept_tokens: Iterable[str]) -> list[str]:
    """Content words of the unit (with its parent line) that are neither rubric terms, filler
    nor technology names: the things of the problem a note names ("age", "country",
    "chargebacks", "upload"). A tool is not a choice about this problem: "Kafka, Spark,
    SMOTE, GDPR" names no item of it."""
    taken = set(concept_tokens) | technology_names(unit.full)
    out = []
    for t in tokens(unit.full):
        if len(t) < 3 or t.isdigit() or t in FUNCTION_WORDS or t in FILLER or t in taken:
            continue
        if t in _NOT_ITEMS:
            continue
        out.append(t)
    return out


def commitment(
    unit: Unit, n_concepts: int, concept_tokens: Iterable[str], *, asking_counts: bool = False
) -> float:
    """0 (commits to nothing: a request, a question without a number or reason, a run of rubric
    terms, one term alone), 0.5 (one specific word, or a pick of two or three terms, and no
    choice) or 1 (a number, a reason, a choice about a few things, or problem-specific items;
    spread over the concepts beyond what they hold). ``n_concepts`` is the number of
    distinct rubric concepts the unit names and ``concept_tokens`` their words;
    ``asking_counts``: the stage is graded on the questions asked (requirements), so a question
    about a concept commits to it."""
    text = unit.full
    if _REQUEST.search(unit.text):
        return 0.0
    taken = set(concept_tokens)
    numbers = NUMBER.findall(text)
    # A reason word that is part of a rubric term ("trade-offs", "leakage", "risk") names the
    # term; it gives no reason ("to avoid leakage" does, by its "to avoid").
    reasons = [m for m in REASON.findall(_DISCOURSE.sub("", text, count=1)) if _own_words(m, taken)]
    number, reason = bool(numbers), bool(reasons)
    first = tokens(unit.text)[:1]
    choice = bool(_CHOICE.search(text)) or (bool(first) and first[0] in _VERBS)
    specific = len(set(specific_words(unit, taken)))
    if is_question(unit):
        # A question carries an answer only when it commits ("Should we cap it at 50 ms,
        # since the page budget is 120?"); a question about what to talk about does not.
        if asking_counts and n_concepts:
            return 1.0
        return 1.0 if (number or reason) and n_concepts else 0.0
    if number or reason:
        # each number or reason is a commitment that can carry a few concepts
        return _spread(1.0, n_concepts, len(numbers) + len(reasons))
    if (
        n_concepts >= 4
        and specific < 2
        and (not choice or n_concepts >= _LIST_OF_EVERYTHING)
        and _relations(unit) * 3 < n_concepts
    ):
        # A run of rubric terms names no choice about this problem: bare ("A, B, C and D"), or
        # behind a verb when it names so many that it picks nothing ("we use A, B, ... and
        # H"). A choice among a few ("I'd use precision and recall offline, then an A/B test
        # on watch time") is a choice, and so are terms tied to each other ("watch time per
        # user with retention as a guardrail, in an A/B test split by user").
        return 0.0
    if choice or specific >= 2 or n_concepts >= 4:
        # four or more terms that are not a bare run are tied to each other: a choice
        return _spread(1.0, n_concepts, 0)
    # One specific word, or a short pick of two or three terms ("latency + error rates",
    # "Context: placement, time of day"): a choice among few, held to less than a note that
    # also names what it is about. One term alone is a heading or a topic.
    return 0.5 if specific == 1 or (specific == 0 and n_concepts >= 2) else 0.0


# A choice commits to about this many rubric concepts, and each number or reason in the unit
# to as many again: "user: age, country; item: category, upload age" is four choices; "NDCG
# at ten on next week's sessions plus log loss to check calibration, sliced by new versus
# heavy users" holds ten concepts with a number and two reasons; a sentence naming ten
# concepts around one choice ("we leverage an NDCG-driven framework with recall@k guardrails
# behind a calibrated A/B layer...") says nothing about each, so its commitment is spread.
_CONCEPTS_PER_UNIT = 4


def _spread(k: float, n_concepts: int, held: int) -> float:
    room = _CONCEPTS_PER_UNIT * (1 + held)
    return k * min(1.0, room / n_concepts) if n_concepts else k
