"""The session store interface both backends implement, and what they share.

One ``sessions`` row per session (listing columns plus the state blob as JSON) and one ``turns``
row per turn. The blob's mapping to :class:`SessionState` belongs to ``SessionState.to_row`` /
``from_row`` alone: the stores never look inside it, so fields added to the state later need no
store change.

Concurrency is optimistic: every write names the turn count it was computed from
(``first_new_turn``), and the store commits it only if the stored session still has exactly that
many turns. A write computed from a stale copy (another process or replica answered first) is
refused with :class:`SessionConflict`, never merged over the other's turns; the service then
reloads and recomputes.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from interviewer.errors import SessionError, UnknownIdError
from interviewer.session.state import SessionState, Turn

# The logical schema version both backends migrate to (see each backend's MIGRATIONS).
SCHEMA_VERSION = 2


class SessionConflict(SessionError):
    """The session changed in the store since the caller loaded it (another writer won)."""


@dataclass(frozen=True)
class SessionSummary:
    id: str
    user: str
    problem_id: str
    problem_title: str
    stage: str
    finished: bool
    created: float
    updated: float
    turns: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "problem": self.problem_id,
            "problem_title": self.problem_title,
            "stage": self.stage,
            "finished": self.finished,
            "created": self.created,
            "updated": self.updated,
            "turns": self.turns,
        }


@dataclass(frozen=True)
class StoredSession:
    """One session exactly as stored: the listing columns, the state blob and the turn blobs
    as JSON text. What ``interviewer sessions migrate`` copies, byte for byte."""

    summary: SessionSummary
    state: str
    turns: tuple[str, ...]


SUMMARY_COLUMNS = "id, owner, problem_id, problem_title, stage, finished, created, updated, n_turns"


def summary_from_row(r: tuple[Any, ...] | Any) -> SessionSummary:
    return SessionSummary(
        str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), bool(r[5]), r[6], r[7], int(r[8])
    )


def state_json(state: SessionState) -> str:
    return json.dumps(state.to_row(), ensure_ascii=False)


def turn_json(turn: Turn) -> str:
    return json.dumps(turn.to_dict(), ensure_ascii=False)


def state_from_json(session_id: str, state: Any, turns: list[Any]) -> SessionState:
    """A SessionState from the stored blobs (JSON text, or already-parsed JSON)."""
    try:
        row = json.loads(state) if isinstance(state, str) else state
        parsed = [Turn.from_dict(json.loads(t) if isinstance(t, str) else t) for t in turns]
        return SessionState.from_row(row, parsed)
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionError(
            f"session {session_id!r} is stored in an unreadable form: {exc}"
        ) from None


def like_prefix(text: str) -> str:
    """A LIKE pattern matching ids that start with ``text`` (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def import_outcome(here: int | None, copied: int) -> str:
    """What importing a session with ``copied`` turns does where it has ``here`` turns."""
    if here is None:
        return "copied"
    if here < copied:
        return "updated"
    return "unchanged" if here == copied else "kept"


def conflict(session_id: str, expected: int, found: int | None) -> SessionConflict:
    """The refusal for a write computed from ``expected`` stored turns when ``found`` are."""
    if found is None:
        return SessionConflict(f"session {session_id!r} is no longer in the store")
    return SessionConflict(
        f"session {session_id!r} changed while this turn was being prepared "
        f"(expected {expected} turns stored, found {found})"
    )


def redact_url(url: str) -> str:
    """A database URL fit for messages and logs: the password replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
    except ValueError:
        return "<unparseable database URL>"


class SessionStore(ABC):
    """Where sessions live. Implementations: SQLite (embedded default) and PostgreSQL."""

    #: a short description for messages: a file path, or a URL without its password
    where: str

    @abstractmethod
    def save(self, state: SessionState, first_new_turn: int) -> None:
        """Append ``state.turns[first_new_turn:]`` and write the session row, atomically.

        ``first_new_turn`` is the number of turns the caller loaded (0 for a new session; a
        session not stored yet counts as 0 turns). Raises :class:`SessionConflict` when the
        store no longer holds exactly that many turns (another writer got there first);
        nothing is written then.
        """

    @abstractmethod
    def load(self, session_id: str) -> SessionState: ...

    @abstractmethod
    def resolve(self, id_or_prefix: str) -> str:
        """A full session id from an id or a unique prefix (the CLI prints short ids)."""

    @abstractmethod
    def owner(self, session_id: str) -> str | None: ...

    @abstractmethod
    def summaries(self, user: str | None = None, limit: int = 1000) -> list[SessionSummary]: ...

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def delete(self, session_id: str) -> bool:
        """Remove a session and its turns; False when there was no such session."""

    # ------------------------------------------------------------------ copying (migrate)
    @abstractmethod
    def ids(self) -> Iterator[str]:
        """Every session id, oldest first."""

    @abstractmethod
    def export(self, session_id: str) -> StoredSession: ...

    @abstractmethod
    def import_session(self, stored: StoredSession) -> str:
        """Write a copied session: ``"copied"`` (new here), ``"updated"`` (it had fewer turns
        here), ``"unchanged"`` (same turn count here) or ``"kept"`` (it has more turns here,
        so it was carried on in this store after an earlier copy: left alone)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unknown(self, session_id: str) -> UnknownIdError:
        # No suggestions: they could name another user's sessions.
        return UnknownIdError("session", session_id, [])
