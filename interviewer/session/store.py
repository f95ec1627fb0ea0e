"""SQLite persistence: one ``sessions`` row per session, one ``turns`` row per turn.

WAL mode so readers (``interviewer sessions``, the UI listing) never block the writer; one
connection per thread (sqlite3 connections must not be shared across threads without care);
every save is a single transaction, committed before the reply is shown to anyone, so a killed
process loses nothing that was acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.errors import SessionError, UnknownIdError
from interviewer.session.state import SessionState, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    problem_title TEXT NOT NULL,
    stage TEXT NOT NULL,
    finished INTEGER NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    n_turns INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user, updated);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    idx INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, idx)
);
"""


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


class SessionStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._init_lock = threading.Lock()
        with self._init_lock:
            try:
                self._conn().executescript(SCHEMA)
            except sqlite3.Error as exc:  # not a database, a directory, no permission...
                raise SessionError(f"cannot open the session store {self.path}: {exc}") from None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=True
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: an acknowledged turn survives even an OS crash, not just a killed process.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def save(self, state: SessionState, first_new_turn: int) -> None:
        """Append turns ``state.turns[first_new_turn:]`` and upsert the session row, atomically."""
        conn = self._conn()
        row = state.to_row()
        new_turns = state.turns[first_new_turn:]
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO turns(session_id, idx, data) VALUES (?, ?, ?)",
                [
                    (state.id, first_new_turn + i, json.dumps(t.to_dict(), ensure_ascii=False))
                    for i, t in enumerate(new_turns)
                ],
            )
            conn.execute(
                "INSERT INTO sessions(id, user, problem_id, problem_title, stage, finished, "
                "created, updated, n_turns, state) VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET stage=excluded.stage, "
                "finished=excluded.finished, updated=excluded.updated, "
                "n_turns=excluded.n_turns, state=excluded.state",
                (
                    state.id,
                    state.user,
                    state.problem_id,
                    state.problem_title,
                    state.stage,
                    int(state.finished),
                    state.created,
                    state.updated,
                    len(state.turns),
                    json.dumps(row, ensure_ascii=False),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def load(self, session_id: str) -> SessionState:
        conn = self._conn()
        found = conn.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if found is None:
            # No suggestions here: they could name another user's sessions.
            raise UnknownIdError("session", session_id, [])
        turns = [
            Turn.from_dict(json.loads(r[0]))
            for r in conn.execute(
                "SELECT data FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)
            )
        ]
        try:
            return SessionState.from_row(json.loads(found[0]), turns)
        except (KeyError, TypeError, ValueError) as exc:
            raise SessionError(
                f"session {session_id!r} is stored in an unreadable form: {exc}"
            ) from None

    def resolve(self, id_or_prefix: str) -> str:
        """A full session id from an id or a unique prefix (the CLI prints short ids)."""
        conn = self._conn()
        text = id_or_prefix.strip()
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (text,)).fetchone():
            return text
        if text:
            like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = conn.execute(
                "SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 3", (like,)
            ).fetchall()
            if len(rows) == 1:
                return str(rows[0][0])
            if len(rows) > 1:
                raise SessionError(
                    f"session prefix {text!r} is ambiguous: " + ", ".join(r[0] for r in rows)
                )
        raise UnknownIdError("session", text, self._recent_ids())

    def owner(self, session_id: str) -> str | None:
        row = (
            self._conn().execute("SELECT user FROM sessions WHERE id = ?", (session_id,)).fetchone()
        )
        return None if row is None else str(row[0])

    def summaries(self, user: str | None = None, limit: int = 1000) -> list[SessionSummary]:
        sql = (
            "SELECT id, user, problem_id, problem_title, stage, finished, created, updated, "
            "n_turns FROM sessions"
        )
        args: tuple[Any, ...] = ()
        if user is not None:
            sql += " WHERE user = ?"
            args = (user,)
        sql += " ORDER BY updated DESC LIMIT ?"
        rows = self._conn().execute(sql, (*args, limit)).fetchall()
        return [
            SessionSummary(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8]) for r in rows
        ]

    def _recent_ids(self) -> list[str]:
        # Suggestions for a mistyped id come from the most recent sessions only.
        return [
            r[0]
            for r in self._conn().execute("SELECT id FROM sessions ORDER BY updated DESC LIMIT 50")
        ]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
