"""A vocabulary for the gibberish guard: common English plus every word in the rubrics and the
guide corpus. A real answer is mostly made of these; keyboard mashing and filler text are not.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from interviewer.grading.text import stem, tokens

# Function words: also the signal that a sentence explains something rather than lists terms.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "else",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "less",
        "let",
        "like",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "per",
        "rather",
        "same",
        "she",
        "should",
        "since",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "i'd",
        "i'll",
        "i'm",
        "we'd",
        "we'll",
        "we're",
        "it's",
        "that's",
        "there's",
        "don't",
        "doesn't",
        "isn't",
        "won't",
        "can't",
        "wouldn't",
        "shouldn't",
        "they're",
        "you're",
        "let's",
    ]
)

COMMON_WORDS = frozenset(
    [
        "able",
        "accept",
        "access",
        "account",
        "across",
        "act",
        "action",
        "actually",
        "add",
        "added",
        "after",
        "again",
        "ago",
        "agree",
        "ahead",
        "aim",
        "allow",
        "almost",
        "alone",
        "along",
        "already",
        "always",
        "amount",
        "another",
        "answer",
        "anything",
        "anyway",
        "apart",
        "appear",
        "apply",
        "approach",
        "area",
        "around",
        "arrive",
        "ask",
        "assume",
        "attempt",
        "available",
        "average",
        "avoid",
        "away",
        "back",
        "bad",
        "balance",
        "base",
        "basic",
        "basically",
        "become",
        "begin",
        "behind",
        "believe",
        "best",
        "better",
        "big",
        "bit",
        "book",
        "both",
        "bottom",
        "box",
        "break",
        "bring",
        "broad",
        "build",
        "built",
        "business",
        "buy",
        "call",
        "came",
        "card",
        "care",
        "carry",
        "case",
        "catch",
        "cause",
        "certain",
        "chance",
        "change",
        "cheap",
        "check",
        "choice",
        "choose",
        "clean",
        "clear",
        "close",
        "come",
        "common",
        "company",
        "compare",
        "complete",
        "consider",
        "continue",
        "control",
        "copy",
        "core",
        "correct",
        "cost",
        "count",
        "couple",
        "course",
        "cover",
        "create",
        "current",
        "cut",
        "daily",
        "data",
        "date",
        "day",
        "deal",
        "decide",
        "decision",
        "deep",
        "define",
        "depend",
        "describe",
        "design",
        "detail",
        "different",
        "direct",
        "do",
        "done",
        "double",
        "drop",
        "due",
        "early",
        "easy",
        "effect",
        "end",
        "enough",
        "entire",
        "error",
        "especially",
        "estimate",
        "even",
        "event",
        "exact",
        "example",
        "expect",
        "expensive",
        "explain",
        "extra",
        "fact",
        "fail",
        "fair",
        "fall",
        "far",
        "fast",
        "feel",
        "field",
        "figure",
        "fill",
        "final",
        "find",
        "fine",
        "first",
        "fit",
        "fix",
        "focus",
        "follow",
        "form",
        "forward",
        "free",
        "friend",
        "full",
        "fully",
        "future",
        "gain",
        "general",
        "get",
        "give",
        "given",
        "go",
        "goal",
        "going",
        "good",
        "great",
        "group",
        "grow",
        "guess",
        "half",
        "hand",
        "handle",
        "happen",
        "hard",
        "head",
        "hear",
        "help",
        "high",
        "hit",
        "hold",
        "home",
        "hope",
        "hour",
        "huge",
        "idea",
        "important",
        "include",
        "increase",
        "instead",
        "interest",
        "issue",
        "item",
        "job",
        "keep",
        "key",
        "kind",
        "know",
        "known",
        "large",
        "last",
        "late",
        "later",
        "lead",
        "learn",
        "least",
        "leave",
        "left",
        "level",
        "life",
        "light",
        "likely",
        "limit",
        "line",
        "list",
        "little",
        "live",
        "local",
        "long",
        "look",
        "lose",
        "lost",
        "lot",
        "low",
        "main",
        "make",
        "many",
        "mark",
        "matter",
        "maybe",
        "mean",
        "measure",
        "meet",
        "mention",
        "method",
        "middle",
        "mind",
        "minute",
        "miss",
        "mix",
        "mode",
        "money",
        "month",
        "move",
        "name",
        "near",
        "need",
        "never",
        "new",
        "next",
        "nice",
        "normal",
        "note",
        "nothing",
        "number",
        "obvious",
        "offer",
        "often",
        "old",
        "open",
        "option",
        "order",
        "original",
        "part",
        "pass",
        "past",
        "pay",
        "people",
        "perhaps",
        "person",
        "pick",
        "piece",
        "place",
        "plan",
        "play",
        "point",
        "possible",
        "post",
        "practice",
        "pretty",
        "previous",
        "price",
        "probably",
        "problem",
        "process",
        "product",
        "pull",
        "push",
        "put",
        "quality",
        "question",
        "quick",
        "quickly",
        "quite",
        "range",
        "rate",
        "reach",
        "read",
        "ready",
        "real",
        "really",
        "reason",
        "recent",
        "reduce",
        "remove",
        "report",
        "request",
        "require",
        "rest",
        "result",
        "return",
        "right",
        "risk",
        "room",
        "round",
        "rule",
        "run",
        "safe",
        "save",
        "say",
        "second",
        "see",
        "seem",
        "sell",
        "send",
        "sense",
        "separate",
        "serve",
        "set",
        "several",
        "share",
        "short",
        "show",
        "side",
        "sign",
        "signal",
        "similar",
        "simple",
        "simply",
        "single",
        "size",
        "slow",
        "small",
        "sort",
        "sound",
        "source",
        "speak",
        "special",
        "specific",
        "spend",
        "split",
        "stand",
        "start",
        "state",
        "stay",
        "step",
        "still",
        "stop",
        "store",
        "story",
        "strong",
        "sure",
        "system",
        "take",
        "talk",
        "team",
        "tell",
        "term",
        "test",
        "thing",
        "think",
        "third",
        "time",
        "today",
        "together",
        "top",
        "total",
        "track",
        "trade",
        "treat",
        "true",
        "try",
        "turn",
        "type",
        "typical",
        "understand",
        "unit",
        "unless",
        "usual",
        "usually",
        "use",
        "used",
        "user",
        "value",
        "various",
        "version",
        "view",
        "wait",
        "want",
        "watch",
        "way",
        "week",
        "weekly",
        "well",
        "whole",
        "wide",
        "win",
        "word",
        "work",
        "world",
        "worth",
        "write",
        "wrong",
        "year",
        "yes",
        "yesterday",
        "ok",
        "okay",
        "um",
        "uh",
        "yeah",
        "hmm",
        "so",
        "thanks",
        "thank",
        "please",
        "sorry",
        "let's",
        "finally",
        "then",
        "also",
    ]
)

_lock = threading.Lock()
_cache: dict[tuple[str, ...], frozenset[str]] = {}


def _words_in(paths: list[Path]) -> set[str]:
    out: set[str] = set()
    for path in paths:
        try:
            out.update(tokens(path.read_text(encoding="utf-8", errors="ignore")))
        except OSError:
            continue
    return out


def vocabulary(extra_texts: tuple[str, ...] = ()) -> frozenset[str]:
    """Stems of common English, the rubric and problem YAML and the corpus (cached)."""
    from interviewer.settings import get_settings

    settings = get_settings()
    key = (str(settings.rubrics_dir), str(settings.corpus_dir), *extra_texts)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    paths: list[Path] = []
    for d in (settings.rubrics_dir, settings.problems_path, settings.corpus_dir):
        if d.is_dir():
            paths += sorted(p for p in d.iterdir() if p.suffix in {".yaml", ".yml", ".md", ".txt"})
    words = _words_in(paths) | set(COMMON_WORDS) | set(FUNCTION_WORDS)
    for text in extra_texts:
        words.update(tokens(text))
    vocab = frozenset(stem(w) for w in words if w.isalpha())
    with _lock:
        _cache[key] = vocab
    return vocab


# --- Names: tools, libraries, methods and acronyms -------------------------------------------
#
# A word the guide writes as a name ("we publish to Kafka", "a GBDT such as LightGBM", "keep
# PII out of the logs") names a technology, not a thing of the problem: naming a tool is not a
# choice about this problem, so such words are not problem-specific items
# (commitment.specific_words). The list is read off the guide's own prose, not written by hand.

# A word right after a lower-case word, a digit, a comma, a semicolon or a bracket is
# mid-sentence: its capital is the word's own, not the sentence's.
_MID_SENTENCE = re.compile(r"(?<=[a-z0-9,;(] )([A-Za-z][A-Za-z0-9]*)")
# YAML keys whose values are term lists (written in lower case whatever the word), not prose.
_LIST_KEYS = frozenset({"id", "ids", "concepts", "keywords", "extra_concepts", "aliases"})
# Proper nouns of the world a product lives in, not technology: weekdays, months, languages.
WORLD_NAMES = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "english",
        "spanish",
        "french",
        "german",
        "italian",
        "portuguese",
        "japanese",
        "chinese",
        "korean",
        "hindi",
        "arabic",
        "russian",
    ]
)


def _prose(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if str(k) not in _LIST_KEYS for s in _prose(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _prose(v)]
    return []


def _yaml_prose(path: Path) -> list[str]:
    import yaml

    try:
        return _prose(yaml.safe_load(path.read_text(encoding="utf-8", errors="ignore")))
    except (OSError, yaml.YAMLError):
        return []


def _case_counts(texts: list[str], named: dict[str, int], plain: dict[str, int]) -> None:
    for text in texts:
        for m in _MID_SENTENCE.finditer(text):
            w = m.group(1)
            counts = named if any(ch.isupper() for ch in w) else plain
            low = w.lower()
            counts[low] = counts.get(low, 0) + 1


_names_cache: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}


def name_words() -> tuple[frozenset[str], frozenset[str]]:
    """(names, plain): words the guide (the corpus and the stage rubrics) writes mid-sentence
    with a capital at least three times as often as in lower case anywhere in the reference
    text (the corpus, the rubrics and the problem cards), less the world's proper nouns; and
    every word the reference text writes in lower case mid-sentence (an ordinary word).
    Cached per rubric and corpus directory."""
    from interviewer.settings import get_settings

    settings = get_settings()
    key = (str(settings.rubrics_dir), str(settings.corpus_dir), str(settings.problems_path))
    with _lock:
        hit = _names_cache.get(key)
    if hit is not None:
        return hit
    guide: list[str] = []
    cards: list[str] = []
    if settings.corpus_dir.is_dir():
        for p in sorted(settings.corpus_dir.iterdir()):
            if p.suffix in {".md", ".txt"}:
                try:
                    guide.append(p.read_text(encoding="utf-8", errors="ignore"))
                except OSError:
                    continue
    if settings.rubrics_dir.is_dir():
        for p in sorted(settings.rubrics_dir.iterdir()):
            if p.suffix in {".yaml", ".yml"}:
                guide += _yaml_prose(p)
    if settings.problems_path.is_dir():
        for p in sorted(settings.problems_path.iterdir()):
            if p.suffix in {".yaml", ".yml"}:
                cards += _yaml_prose(p)
    named: dict[str, int] = {}
    plain: dict[str, int] = {}
    _case_counts(guide, named, plain)
    card_named: dict[str, int] = {}
    _case_counts(cards, card_named, plain)
    names = frozenset(
        w
        for w, n in named.items()
        if n >= 3 * plain.get(w, 0)
        and len(w) >= 3
        and w not in FUNCTION_WORDS
        and w not in COMMON_WORDS
        and w not in WORLD_NAMES
    )
    out = (names, frozenset(plain))
    with _lock:
        _names_cache[key] = out
    return out
