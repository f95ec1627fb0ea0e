"""The Chroma side: client, collection and our embedding function.

Chroma's default embedding function downloads a model at first use and fails offline, so every
collection is opened with :class:`GuideEmbeddingFunction`, which wraps the project's one
sentence-transformer (``interviewer.embeddings``). Telemetry is off for every client.

chromadb is imported inside functions: importing it costs ~0.6 s, and modules that only need
``Passage`` must stay cheap to import.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from interviewer.runtime import configure_offline
from interviewer.settings import get_settings

EMBEDDING_FUNCTION_NAME = "interviewer-minilm"
_MANIFEST_PAGE = 5000
_client_lock = threading.Lock()


@lru_cache(maxsize=1)
def embedding_function_class() -> type:
    """Build (once) and register the Chroma EmbeddingFunction subclass wrapping get_embedder()."""
    configure_offline()
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class GuideEmbeddingFunction(EmbeddingFunction[Documents]):
        """all-MiniLM-L6-v2 from the local wheel; L2-normalised vectors (cosine space)."""

        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:
            from interviewer.embeddings import get_embedder

            return list(get_embedder().embed(list(input)))

        def embed_query(self, input: Documents) -> Embeddings:
            from interviewer.embeddings import get_embedder

            return list(get_embedder().embed_cached(list(input)))

        @staticmethod
        def name() -> str:
            return EMBEDDING_FUNCTION_NAME

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> GuideEmbeddingFunction:
            return GuideEmbeddingFunction()

        def default_space(self) -> Any:
            return "cosine"

    register_embedding_function(GuideEmbeddingFunction)
    return GuideEmbeddingFunction


def guide_embedding_function() -> Any:
    return embedding_function_class()()


def resolve_index_dir(index_dir: Path | str | None) -> Path:
    return Path(index_dir) if index_dir else get_settings().index_path


def describe_index(index_dir: Path | str | None) -> str:
    """Where the index lives, for messages (a directory, or the Chroma server URL)."""
    s = get_settings()
    if s.chroma_host:
        return f"http://{s.chroma_host}:{s.chroma_port} (collection {s.collection!r})"
    return str(resolve_index_dir(index_dir).resolve())


def index_exists(index_dir: Path | str | None) -> bool:
    """Whether a local index was ever written there (without creating it). Always True for a
    server, whose emptiness is checked by counting."""
    if get_settings().chroma_host:
        return True
    return (resolve_index_dir(index_dir) / "chroma.sqlite3").exists()


def open_client(index_dir: Path | str | None) -> Any:
    configure_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    s = get_settings()
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    with _client_lock:
        if s.chroma_host:
            return chromadb.HttpClient(
                host=s.chroma_host, port=s.chroma_port, settings=chroma_settings
            )
        # Absolute: Chroma caches one client per path *string*, so a relative "idx" would
        # silently reuse the index of whatever directory was current when it was first opened.
        path = resolve_index_dir(index_dir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def open_collection(index_dir: Path | str | None) -> Any:
    """The guide collection (created on first use) in cosine space with our embedder."""
    client = open_client(index_dir)
    return client.get_or_create_collection(
        get_settings().collection,
        embedding_function=guide_embedding_function(),
        configuration={"hnsw": {"space": "cosine"}},
    )


@dataclass
class SourceEntry:
    """What the index holds for one source file."""

    sha256: str = ""
    n_chunks: int = 0
    path: str = ""  # resolved file path when ingested
    ids: list[str] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        # One file version, all of its chunks present: an interrupted ingest leaves this False.
        return len(self.hashes) == 1 and len(self.ids) == self.n_chunks


def fetch_manifest(collection: Any) -> dict[str, SourceEntry]:
    """source -> content hash and chunk ids, read from the chunk metadata itself (no separate
    state to drift out of sync; works the same against a Chroma server)."""
    out: dict[str, SourceEntry] = {}
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=_MANIFEST_PAGE, offset=offset)
        ids = page["ids"]
        for cid, meta in zip(ids, page["metadatas"] or [], strict=False):
            meta = meta or {}
            entry = out.setdefault(str(meta.get("source", "")), SourceEntry())
            entry.ids.append(cid)
            sha = str(meta.get("sha256", ""))
            entry.hashes.add(sha)
            entry.sha256 = sha
            entry.n_chunks = int(meta.get("n_chunks", 0) or 0)
            entry.path = str(meta.get("path", ""))
        if len(ids) < _MANIFEST_PAGE:
            return out
        offset += _MANIFEST_PAGE
