"""Search the guide index: dense (Chroma, cosine) fused with BM25 by default.

Modes (``Retriever(mode=...)``):

- ``"dense"``: Chroma nearest neighbours; ``score`` = cosine similarity (1 - cosine distance).
- ``"hybrid"`` (default): the top dense and top BM25 candidates are merged and scored by
  ``0.6 * cosine + 0.4 * BM25 / max BM25`` (a convex combination, still in [0, 1]); ``score``
  is that blended similarity. all-MiniLM-L6-v2 barely relates a term such as
  "point-in-time correctness" to the paragraph defining it (cosine ~0.19), while BM25 ranks it
  first; on evals/retrieval the blend lifts hit@1 from 0.73 to 0.89 and MRR from 0.82 to 0.93.
- ``"rrf"``: reciprocal rank fusion of the same two lists (benchmarked, not the default).

Results are always best first, and ``score`` is monotone with the order.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.errors import IngestError, UnknownIdError, UserInputError
from interviewer.retrieval.store import describe_index, resolve_index_dir
from interviewer.settings import get_settings

MODES = ("dense", "hybrid", "rrf")
DEFAULT_MODE = "hybrid"  # chosen on the retrieval benchmark: see evals/retrieval/README.md
_RRF_K = 60
_FUSION_DEPTH = 30  # candidates taken from each ranking before fusing
_ALPHA = 0.6  # weight of the cosine similarity in the hybrid score; BM25 gets the rest
_STOPWORD_TEXT = (
    "a an and are as at be by can do does for from how i in is it its of on or our should that "
    "the their them then there these this to was we what when where which who why will with "
    "you your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Passage:
    text: str
    source: str
    heading: str
    stage: str | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source": self.source,
            "score": round(self.score, 4),
            "stage": self.stage,
            "heading": self.heading,
        }


def bm25_tokens(text: str) -> list[str]:
    out = []
    for tok in re.findall(r"[a-z0-9]+", text.lower()):
        if tok in _STOPWORDS:
            continue
        if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
            tok = tok[:-1]  # plural folding: "features" matches "feature"
        out.append(tok)
    return out


class _Lexical:
    """BM25 over every chunk (heading + text), rebuilt when the index changes."""

    def __init__(self, collection: Any) -> None:
        from rank_bm25 import BM25Okapi

        data = collection.get(include=["documents", "metadatas"])
        self.ids: list[str] = list(data["ids"])
        self.pos = {cid: i for i, cid in enumerate(self.ids)}
        self.docs: list[str] = list(data["documents"] or [])
        self.metas: list[dict[str, Any]] = [dict(m or {}) for m in data["metadatas"] or []]
        self.stages = [str(m.get("stage", "")) for m in self.metas]
        corpus = [
            bm25_tokens(f"{m.get('heading', '')} {d}")
            for d, m in zip(self.docs, self.metas, strict=True)
        ]
        self.bm25 = BM25Okapi(corpus) if corpus else None

    def scores(self, query: str, stage: str | None) -> Any:
        import numpy as np

        if self.bm25 is None:
            return np.zeros(0)
        scores = np.asarray(self.bm25.get_scores(bm25_tokens(query)), dtype=np.float64)
        if stage:
            scores[[i for i, s in enumerate(self.stages) if s != stage]] = 0.0
        return scores


class Retriever:
    """``mode``: "dense" (Chroma only), "hybrid" (dense + BM25, convex combination of cosine
    similarity and max-normalised BM25) or "rrf" (dense + BM25, reciprocal rank fusion)."""

    def __init__(self, index_dir: Path | str | None = None, *, mode: str | None = None) -> None:
        self.index_dir = resolve_index_dir(index_dir)
        self.mode = mode or DEFAULT_MODE
        if self.mode not in MODES:
            raise UnknownIdError("retrieval mode", self.mode, MODES)
        self._lock = threading.Lock()
        self._collection: Any = None
        self._lexical: _Lexical | None = None
        self._lexical_count = -1

    @property
    def location(self) -> str:
        return describe_index(self.index_dir)

    def _col(self) -> Any:
        with self._lock:
            if self._collection is None:
                from interviewer.retrieval.store import open_collection

                self._collection = open_collection(self.index_dir)
            return self._collection

    def invalidate(self) -> None:
        """Forget cached lexical data (after an ingest changed the index)."""
        with self._lock:
            self._lexical = None

    def count(self) -> int:
        return int(self._col().count())

    def search(self, query: str, k: int = 5, stage: str | None = None) -> list[Passage]:
        return self.search_many([query], k, stage)[0]

    def search_many(
        self, queries: Sequence[str], k: int = 5, stage: str | None = None
    ) -> list[list[Passage]]:
        """Several queries with one embedding call (batch mode)."""
        from interviewer.embeddings import get_embedder
        from interviewer.stages import STAGE_IDS

        if k < 1:
            raise UserInputError(f"k must be at least 1, got {k!r}")
        if stage is not None and stage not in STAGE_IDS:
            raise UnknownIdError("stage", stage, STAGE_IDS)
        results: list[list[Passage]] = [[] for _ in queries]
        live = [i for i, q in enumerate(queries) if q and q.strip()]
        total = self.count() if live else 0
        if not total:
            return results
        vecs = get_embedder().embed_cached([queries[i].strip() for i in live])
        for i, vec in zip(live, vecs, strict=True):
            results[i] = self._search_one(queries[i], vec, k, stage, total)
        return results

    def _search_one(
        self, query: str, vec: Any, k: int, stage: str | None, total: int
    ) -> list[Passage]:
        n = min(total, k if self.mode == "dense" else max(k * 4, _FUSION_DEPTH))
        res = self._col().query(
            query_embeddings=[vec],
            n_results=n,
            where={"stage": stage} if stage else None,
            include=["documents", "metadatas", "distances"],
        )
        dense = {
            cid: _passage(doc, meta, 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        }
        if self.mode == "dense":
            return list(dense.values())[:k]
        return self._fuse(query, vec, dense, n, k, stage, total)

    def _lex(self, total: int) -> _Lexical:
        with self._lock:
            if self._lexical is None or self._lexical_count != total:
                self._lexical = _Lexical(self._collection)
                self._lexical_count = total
            return self._lexical

    def _fuse(
        self,
        query: str,
        vec: Any,
        dense: dict[str, Passage],
        n: int,
        k: int,
        stage: str | None,
        total: int,
    ) -> list[Passage]:
        import numpy as np

        lex = self._lex(total)
        scores = lex.scores(query, stage)
        top = [int(i) for i in np.argsort(-scores)[:n] if scores[i] > 0]
        lexical_ids = [lex.ids[i] for i in top]
        if self.mode == "rrf":
            fused: dict[str, float] = {}
            for ranking in (list(dense), lexical_ids):
                for rank, cid in enumerate(ranking):
                    fused[cid] = fused.get(cid, 0.0) + 1.0 / (_RRF_K + rank + 1)
        else:
            best = float(scores.max()) if len(scores) else 0.0
            cosine = {cid: p.score for cid, p in dense.items()}
            missing = [cid for cid in lexical_ids if cid not in cosine]
            if missing:  # lexical-only hits: their cosine from the stored vectors
                got = self._col().get(ids=missing, include=["embeddings"])
                for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
                    cosine[cid] = float(np.asarray(emb, dtype=np.float32) @ vec)
            fused = {
                cid: _ALPHA * cos + (1 - _ALPHA) * (scores[lex.pos[cid]] / best if best else 0.0)
                for cid, cos in cosine.items()
            }
        order = sorted(fused, key=lambda cid: fused[cid], reverse=True)[:k]
        out = []
        for cid in order:
            p = dense.get(cid)
            if p is None:
                i = lex.pos[cid]
                p = _passage(lex.docs[i], lex.metas[i], 0.0)
            out.append(Passage(p.text, p.source, p.heading, p.stage, fused[cid]))
        return out


def _passage(doc: str | None, meta: Any, score: float) -> Passage:
    meta = meta or {}
    return Passage(
        text=doc or "",
        source=str(meta.get("source", "")),
        heading=str(meta.get("heading", "")),
        stage=str(meta.get("stage") or "") or None,
        score=score,
    )


_cache: dict[tuple[str, str, int, str], Retriever] = {}
_cache_lock = threading.Lock()
_ensure_lock = threading.Lock()


def _key(index_dir: Path | str | None) -> tuple[str, str, int, str]:
    s = get_settings()
    return (
        str(resolve_index_dir(index_dir).resolve()),
        s.chroma_host or "",
        s.chroma_port,
        s.collection,
    )


def get_retriever(index_dir: Path | str | None = None) -> Retriever:
    """One Retriever per index (directory or server + collection), shared across threads."""
    key = _key(index_dir)
    with _cache_lock:
        retriever = _cache.get(key)
        if retriever is None:
            retriever = _cache[key] = Retriever(index_dir)
        return retriever


def invalidate(index_dir: Path | str | None = None) -> None:
    with _cache_lock:
        retriever = _cache.get(_key(index_dir))
    if retriever is not None:
        retriever.invalidate()


def ensure_index(index_dir: Path | str | None = None) -> None:
    """Ingest ``settings.corpus_dir`` if the index is empty (first run of the app)."""
    import logging

    retriever = get_retriever(index_dir)
    with _ensure_lock:
        if retriever.count() > 0:
            return
        from interviewer.ingest.pipeline import ingest_paths

        corpus = get_settings().corpus_dir
        if not corpus.is_dir():
            raise IngestError(
                f"index at {retriever.location} is empty and the corpus folder "
                f"{str(corpus)!r} does not exist"
            )
        report = ingest_paths([corpus], index_dir)
        for err in report.errors:
            logging.getLogger(__name__).warning("ingest: %s", err)
        if not report.chunks:
            raise IngestError(
                f"index at {retriever.location} is empty and {str(corpus)!r} "
                "holds no guide files to ingest"
            )
