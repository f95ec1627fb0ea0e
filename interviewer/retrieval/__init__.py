"""Retrieval over the guide corpus (contract in ARCH.md).

    from interviewer.retrieval import Passage, get_retriever, ensure_index
    get_retriever(index_dir=None).search(query, k=5, stage=None) -> list[Passage]

Importing this package is cheap: chromadb and the embedding model load on first search.
"""

from interviewer.retrieval.retriever import (
    Passage,
    Retriever,
    ensure_index,
    get_retriever,
    invalidate,
)

__all__ = ["Passage", "Retriever", "ensure_index", "get_retriever", "invalidate"]
