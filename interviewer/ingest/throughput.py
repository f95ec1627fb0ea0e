"""Ingest throughput against the raw throughput of the embedding model on the same chunks.

DESIGN.md's target is ingest ≥ 0.8× raw embedding throughput, measured in one run; ``interviewer
bench`` calls :func:`measure_ingest_throughput`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def measure_ingest_throughput(paths: Sequence[str | Path]) -> dict[str, Any]:
    """Time the model alone on the chunks of ``paths`` (before and after the ingest), a full
    ingest of the same files into a fresh temporary index, then a re-ingest of the unchanged
    files (should be ~free). The model and chromadb are warmed up first so neither figure pays
    for one-off loading.
    """
    from interviewer.embeddings import get_embedder
    from interviewer.ingest.pipeline import ingest_paths, load_and_chunk
    from interviewer.retrieval.store import open_collection

    prepared, _ = load_and_chunk(paths)
    texts = [c.embed_text for pf in prepared for c in pf.chunks]
    if not texts:
        raise ValueError("no chunks to measure: the paths hold no ingestible text")
    embedder = get_embedder()
    embedder.embed(texts[:16])  # warm-up: model load and first-call allocations

    def raw_pass() -> float:
        t = time.perf_counter()
        embedder.embed(texts)
        return time.perf_counter() - t

    with tempfile.TemporaryDirectory(prefix="interviewer-bench-index-") as tmp:
        open_collection(Path(tmp) / "warm-up")  # chromadb's lazy imports: a one-off process cost
        before = raw_pass()
        t = time.perf_counter()
        first = ingest_paths(paths, tmp)
        ingest_s = time.perf_counter() - t
        # The model alone again after the ingest: the mean of the two passes cancels slow drift
        # in machine load (other processes), which otherwise dominates the ratio.
        raw_s = (before + raw_pass()) / 2
        t = time.perf_counter()
        second = ingest_paths(paths, tmp)
        reingest_s = time.perf_counter() - t

    n = len(texts)
    return {
        "chunks": n,
        "files": first.files,
        "raw_embed_seconds": round(raw_s, 3),
        "ingest_seconds": round(ingest_s, 3),
        "ingest_embed_seconds": round(first.embed_seconds, 3),
        "reingest_seconds": round(reingest_s, 3),
        "reingest_added": second.added,
        "raw_embed_chunks_per_s": round(n / raw_s, 2),
        "ingest_chunks_per_s": round(first.added / ingest_s, 2),
        "ingest_to_raw_ratio": round((first.added / ingest_s) / (n / raw_s), 3),
        # share of the ingest spent outside the model (load, clean, chunk, Chroma writes):
        # unlike the ratio, barely affected by other processes competing for the CPU
        "non_embed_share": round(1 - first.embed_seconds / ingest_s, 3),
    }
