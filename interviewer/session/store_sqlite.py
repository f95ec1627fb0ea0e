"""The embedded default: sessions in one SQLite file.

WAL mode so readers (``interviewer sessions``, the UI listing) never block the writer; one
connection per thread (sqlite3 connections must not be shared across threads without care);
every save is a single ``BEGIN IMMEDIATE`` transaction, committed before the reply is shown to
anyone, so a killed process loses nothing that was acknowledged. Several processes may share
the file (the write lock serialises them; the turn-count check refuses stale writes).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from interviewer.errors import SessionError, UnknownIdError
from interviewer.session.state import SessionState
from interviewer.session.store_base import (
    SCHEMA_VERSION,
    SUMMARY_COLUMNS,
    SessionStore,
    SessionSummary,
    StoredSession,
    conflict,
    import_outcome,
    like_prefix,
    state_from_json,
    state_json,
    summary_from_row,
    turn_json,
)

# Forward migrations, applied in order inside one write transaction. Version 1 is the layout
# stores had before versioning (such a store is recognised by its tables and adopted as 1).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS sessions (
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
        )""",
        "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user, updated)",
        """CREATE TABLE IF NOT EXISTS turns (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            idx INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""",
    ),
    # "user" is a reserved word in PostgreSQL: both backends call the column "owner", so they
    # share their SQL. The listing (newest first, all users) gets its own index.
    2: (
        "ALTER TABLE sessions RENAME COLUMN user TO owner",
        "DROP INDEX IF EXISTS sessions_user",
        "CREATE INDEX IF NOT EXISTS sessions_owner ON sessions(owner, updated)",
        "CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated)",
    ),
}
assert max(MIGRATIONS) == SCHEMA_VERSION


BUSY_SECONDS = 30.0


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL. Connections that switch a fresh file at the same moment deadlock
    on its locks, and SQLite then answers one of them "database is locked" at once instead of
    waiting (its busy handler never runs where waiting could deadlock), so that answer is
    retried until the same deadline as any other wait."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SQLiteSessionStore(SessionStore):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate(self._conn())
        except (sqlite3.Error, OSError) as exc:  # not a database, a directory, no permission...
            raise SessionError(f"cannot open the session store {self.path}: {exc}") from None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=True
            )
            _set_wal(conn)
            # FULL: an acknowledged turn survives even an OS crash, not just a killed process.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    # ------------------------------------------------------------------ schema
    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        if row[0] is not None:
            return int(row[0])
        legacy = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'"
        ).fetchone()
        return 1 if legacy else 0

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied REAL NOT NULL)"
        )
        if self._version(conn) == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it
        try:
            current = self._version(conn)
            if current > SCHEMA_VERSION:
                raise SessionError(
                    f"the session store {self.path} has schema version {current}, newer than "
                    f"this interviewer knows ({SCHEMA_VERSION}); upgrade the interviewer"
                )
            if current and not conn.execute("SELECT 1 FROM schema_version").fetchone():
                # A store from before versioning: adopted as version 1, as it is.
                conn.execute("INSERT INTO schema_version VALUES (1, ?)", (time.time(),))
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for sql in MIGRATIONS[version]:
                    conn.execute(sql)
                conn.execute(
                    "INSERT OR REPLACE INTO schema_version(version, applied) VALUES (?, ?)",
                    (version, time.time()),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return self._version(self._conn())

    # ------------------------------------------------------------------ sessions
    def save(self, state: SessionState, first_new_turn: int) -> None:
        conn = self._conn()
        turns = [
            (state.id, first_new_turn + i, turn_json(t))
            for i, t in enumerate(state.turns[first_new_turn:])
        ]
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute(
                "SELECT n_turns FROM sessions WHERE id = ?", (state.id,)
            ).fetchone()
            stored = None if found is None else int(found[0])
            if (stored or 0) != first_new_turn:
                raise conflict(state.id, first_new_turn, stored)
            # If anything below fails, the rollback takes these turn rows back out too.
            conn.executemany("INSERT INTO turns(session_id, idx, data) VALUES (?, ?, ?)", turns)
            values = (
                state.stage,
                int(state.finished),
                state.updated,
                len(state.turns),
                state_json(state),
            )
            if stored is None:
                conn.execute(
                    "INSERT INTO sessions(id, owner, problem_id, problem_title, created, stage, "
                    "finished, updated, n_turns, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        state.id,
                        state.user,
                        state.problem_id,
                        state.problem_title,
                        state.created,
                        *values,
                    ),
                )
            else:
                conn.execute(
                    "UPDATE sessions SET stage = ?, finished = ?, updated = ?, n_turns = ?, "
                    "state = ? WHERE id = ? AND n_turns = ?",
                    (*values, state.id, first_new_turn),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def load(self, session_id: str) -> SessionState:
        conn = self._conn()
        # One read transaction, so the row and its turns are from the same commit.
        conn.execute("BEGIN")
        try:
            found = conn.execute(
                "SELECT state FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            rows = conn.execute(
                "SELECT data FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        if found is None:
            raise self._unknown(session_id)
        return state_from_json(session_id, found[0], [r[0] for r in rows])

    def resolve(self, id_or_prefix: str) -> str:
        conn = self._conn()
        text = id_or_prefix.strip()
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (text,)).fetchone():
            return text
        if text:
            rows = conn.execute(
                "SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 3", (like_prefix(text),)
            ).fetchall()
            if len(rows) == 1:
                return str(rows[0][0])
            if len(rows) > 1:
                raise SessionError(
                    f"session prefix {text!r} is ambiguous: " + ", ".join(r[0] for r in rows)
                )
        # Suggestions for a mistyped id come from the most recent sessions only.
        recent = conn.execute("SELECT id FROM sessions ORDER BY updated DESC LIMIT 50")
        raise UnknownIdError("session", text, [r[0] for r in recent])

    def owner(self, session_id: str) -> str | None:
        row = (
            self._conn()
            .execute("SELECT owner FROM sessions WHERE id = ?", (session_id,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def summaries(self, user: str | None = None, limit: int = 1000) -> list[SessionSummary]:
        sql = f"SELECT {SUMMARY_COLUMNS} FROM sessions"
        args: tuple[object, ...] = ()
        if user is not None:
            sql += " WHERE owner = ?"
            args = (user,)
        sql += " ORDER BY updated DESC LIMIT ?"
        return [summary_from_row(r) for r in self._conn().execute(sql, (*args, limit))]

    def delete(self, session_id: str) -> bool:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            gone = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return bool(gone)

    # ------------------------------------------------------------------ copying
    def ids(self) -> Iterator[str]:
        rows = self._conn().execute("SELECT id FROM sessions ORDER BY created, id").fetchall()
        yield from (str(r[0]) for r in rows)

    def export(self, session_id: str) -> StoredSession:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            row = conn.execute(
                f"SELECT {SUMMARY_COLUMNS}, state FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            turns = conn.execute(
                "SELECT data FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        if row is None:
            raise self._unknown(session_id)
        return StoredSession(summary_from_row(row), str(row[9]), tuple(str(t[0]) for t in turns))

    def import_session(self, stored: StoredSession) -> str:
        s = stored.summary
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute("SELECT n_turns FROM sessions WHERE id = ?", (s.id,)).fetchone()
            outcome = import_outcome(None if found is None else int(found[0]), len(stored.turns))
            if outcome in ("copied", "updated"):
                conn.execute("DELETE FROM turns WHERE session_id = ?", (s.id,))
                conn.execute("DELETE FROM sessions WHERE id = ?", (s.id,))
                conn.execute(
                    f"INSERT INTO sessions({SUMMARY_COLUMNS}, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        s.id,
                        s.user,
                        s.problem_id,
                        s.problem_title,
                        s.stage,
                        int(s.finished),
                        s.created,
                        s.updated,
                        len(stored.turns),
                        stored.state,
                    ),
                )
                conn.executemany(
                    "INSERT INTO turns(session_id, idx, data) VALUES (?, ?, ?)",
                    [(s.id, i, t) for i, t in enumerate(stored.turns)],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return outcome

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
