"""Session persistence: pick a store from a path or a database URL, copy sessions between stores.

- a file path (or ``sqlite:///path``): :class:`SQLiteSessionStore`, the embedded default;
- ``postgresql://…`` (or ``postgres://…``): :class:`PostgresSessionStore`, shared by replicas.

The interface and its concurrency contract are in :mod:`interviewer.session.store_base`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interviewer.errors import ConfigError, SessionError
from interviewer.session.store_base import (
    SessionConflict,
    SessionStore,
    SessionSummary,
    StoredSession,
    redact_url,
)
from interviewer.session.store_sqlite import SQLiteSessionStore

__all__ = [
    "SQLiteSessionStore",
    "SessionConflict",
    "SessionStore",
    "SessionSummary",
    "StoredSession",
    "copy_sessions",
    "is_database_url",
    "open_store",
    "redact_url",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: object) -> bool:
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def open_store(target: str | Path, *, pool_size: int = 10) -> SessionStore:
    """The store ``target`` names: a PostgreSQL URL, ``sqlite:///path`` or a file path."""
    if isinstance(target, str):
        text = target.strip()
        if is_database_url(text):
            from interviewer.session.store_postgres import PostgresSessionStore

            return PostgresSessionStore(text, pool_size=pool_size)
        if text.lower().startswith("sqlite:///"):
            # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
            text = text[len("sqlite:///") :]
        elif "://" in text:
            raise ConfigError(
                f"not a session store: {redact_url(text)!r} (use postgresql://… or a file path)"
            )
        if not text:
            raise ConfigError("the session store path is empty")
        target = Path(text)
    return SQLiteSessionStore(target)


def copy_sessions(
    source: SessionStore,
    target: SessionStore,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Copy every session of ``source`` into ``target``, byte for byte; idempotent.

    A session already in the target with the same number of turns is left as it is; one with
    fewer turns there is replaced (the source carried on since the last copy); one with more
    turns there is kept (it carried on in the target) and counted as ``kept``. Each session is
    one transaction in the target, so an interrupted copy can simply be run again.
    """
    if source.where == target.where:
        raise SessionError(f"source and target are the same store: {source.where}")
    started = time.perf_counter()
    counts = {"copied": 0, "updated": 0, "unchanged": 0, "kept": 0}
    ids = list(source.ids())
    turns = 0
    for i, session_id in enumerate(ids, 1):
        stored = source.export(session_id)
        counts[target.import_session(stored)] += 1
        turns += len(stored.turns)
        if progress is not None:
            progress(i, len(ids))
    return {
        "from": source.where,
        "to": target.where,
        "sessions": len(ids),
        **counts,
        "turns": turns,
        "seconds": round(time.perf_counter() - started, 3),
    }
