"""Words the guide writes as names (tools, libraries, methods, acronyms), read off its own prose.

A tool name is not a problem-specific item (``commitment.specific_words``); see ``name_words``.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from interviewer.grading.vocab import COMMON_WORDS, FUNCTION_WORDS

_lock = threading.Lock()

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
