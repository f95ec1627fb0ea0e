"""Which corpus files belong to which problem family, and ranking passages within a family.

The corpus has a file per problem domain beside the stage files. A fraud interview's follow-up
or report must be grounded in classification/risk material, a chatbot's in RAG material; the
stage files are generic and fit every family; another family's domain file fits none. So
passages are ranked: own family's domain first, then generic files, never another family's
domain file unless nothing else was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, TypeVar

FAMILY_FILES: dict[str, frozenset[str]] = {
    "recommendation": frozenset(
        {
            "recommendation-two-stage.md",
            "cold-start.md",
            "ads-click-prediction.md",
            "embeddings-and-ann.md",
        }
    ),
    "classification": frozenset({"classification-and-moderation.md"}),
    "search": frozenset(
        {
            "search-and-ranking.md",
            "computer-vision-and-visual-search.md",
            "embeddings-and-ann.md",
        }
    ),
    "rag": frozenset({"nlp-and-llm-rag.md"}),
}
DOMAIN_FILES = frozenset().union(*FAMILY_FILES.values())
# Words that make a retrieval query land in the family's material.
FAMILY_HINTS = {
    "recommendation": "recommendation ranking candidates items",
    "classification": "classification fraud abuse rare positives threshold",
    "search": "search queries documents relevance",
    "rag": "LLM chatbot retrieval-augmented generation grounding",
}

P = TypeVar("P")


def file_name(source: str) -> str:
    return PurePath(str(source).replace("\\", "/")).name


def fit(source: str, family: str) -> int:
    """2 for the family's own domain file, 1 for a generic file, 0 for another family's."""
    name = file_name(source)
    if name in FAMILY_FILES.get(family, frozenset()):
        return 2
    return 0 if name in DOMAIN_FILES else 1


def rank_for_family(passages: Sequence[P], family: str, source: Any = None) -> list[P]:
    """``passages`` (best first) re-ordered: own domain, then generic, then other domains;
    the retrieval order is kept within each group. ``source`` reads a passage's file path
    (default: its ``source`` attribute or key)."""

    def src(p: P) -> str:
        if source is not None:
            return str(source(p))
        if isinstance(p, dict):
            return str(p.get("source", ""))
        return str(getattr(p, "source", ""))

    order = {id(p): i for i, p in enumerate(passages)}
    return sorted(passages, key=lambda p: (-fit(src(p), family), order[id(p)]))
