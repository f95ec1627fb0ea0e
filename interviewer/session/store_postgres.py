"""Sessions in PostgreSQL, shared by every app replica (``INTERVIEWER_DATABASE_URL``).

A ``psycopg_pool`` connection pool per process (connections checked before use, so a restarted
database costs one failed turn at most, not a dead replica). Every save is one transaction,
committed before the reply is shown; the turn-count check in its ``UPDATE ... WHERE n_turns =``
makes a concurrent writer on the same session wait for the row lock and then find the count
moved, so it is refused instead of writing over the other's turns. Blobs are ``json`` (not
``jsonb``): stored as written, so a copy reads back byte for byte, and ``\\u0000`` in an answer is
accepted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
    redact_url,
    state_from_json,
    state_json,
    summary_from_row,
    turn_json,
)

# Same logical versions as the SQLite store's MIGRATIONS (2 = "owner" column, listing index).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS sessions (
            id text PRIMARY KEY,
            owner text NOT NULL,
            problem_id text NOT NULL,
            problem_title text NOT NULL,
            stage text NOT NULL,
            finished boolean NOT NULL,
            created double precision NOT NULL,
            updated double precision NOT NULL,
            n_turns integer NOT NULL,
            state json NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS sessions_owner ON sessions(owner, updated)",
        """CREATE TABLE IF NOT EXISTS turns (
            session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            idx integer NOT NULL,
            data json NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""",
    ),
    2: ("CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated)",),
}
assert max(MIGRATIONS) == SCHEMA_VERSION

# Taken (transaction-scoped) while migrating, so replicas starting together migrate once.
_MIGRATION_LOCK = 0x1E7E_0014

_INSERT = (
    f"INSERT INTO sessions({SUMMARY_COLUMNS}, state) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json)"
)
# A session stored without turns yet may be written again from first_new_turn=0.
_UPSERT_EMPTY = (
    " ON CONFLICT (id) DO UPDATE SET stage = excluded.stage, finished = excluded.finished, "
    "updated = excluded.updated, n_turns = excluded.n_turns, state = excluded.state "
    "WHERE sessions.n_turns = 0"
)
_INSERT_TURN = "INSERT INTO turns(session_id, idx, data) VALUES (%s, %s, %s::json)"
# One statement, so the row and its turns come from one snapshot (idx < n_turns changes nothing
# in practice, turns and row being committed together, but says so); the state blob comes once,
# not once per turn as a join would repeat it.
_SELECT_ONE = (
    f"SELECT {SUMMARY_COLUMNS}, state::text, "
    "(SELECT array_agg(t.data::text ORDER BY t.idx) FROM turns t "
    "WHERE t.session_id = s.id AND t.idx < s.n_turns) FROM sessions s WHERE s.id = %s"
)


class PostgresSessionStore(SessionStore):
    def __init__(self, url: str, *, pool_size: int = 10, connect_timeout_s: float = 10.0) -> None:
        import psycopg
        import psycopg_pool

        self.where = redact_url(url)
        try:
            # One direct connection first: a wrong host, port or password fails at once with
            # the server's reason, instead of the pool retrying in the background until its
            # timeout and then only saying that it timed out.
            psycopg.connect(url, connect_timeout=max(1, int(connect_timeout_s))).close()
        except psycopg.Error as exc:
            raise SessionError(
                f"cannot open the session store {self.where}: {_reason(exc)}"
            ) from None
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs={
                "autocommit": True,
                "connect_timeout": max(1, int(connect_timeout_s)),
                "application_name": "interviewer",
            },
            check=psycopg_pool.ConnectionPool.check_connection,
            timeout=30.0,
            name="interviewer-sessions",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout_s)
            self._migrate()
        except SessionError:
            self._pool.close()
            raise
        except Exception as exc:
            self._pool.close()
            raise SessionError(
                f"cannot open the session store {self.where}: {_reason(exc)}"
            ) from None

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        import psycopg
        import psycopg_pool

        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            raise SessionError(
                f"the session database {self.where} is unreachable: {_reason(exc)}"
            ) from None

    # ------------------------------------------------------------------ schema
    @staticmethod
    def _version(conn: Any) -> int:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return 0 if row[0] is None else int(row[0])

    def _migrate(self) -> None:
        with self._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version integer PRIMARY KEY, applied double precision NOT NULL)"
            )
            current = self._version(conn)
            if current > SCHEMA_VERSION:
                raise SessionError(
                    f"the session store {self.where} has schema version {current}, newer than "
                    f"this interviewer knows ({SCHEMA_VERSION}); upgrade the interviewer"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for sql in MIGRATIONS[version]:
                    conn.execute(sql)
                conn.execute(
                    "INSERT INTO schema_version(version, applied) VALUES (%s, %s)",
                    (version, time.time()),
                )

    def schema_version(self) -> int:
        with self._conn() as conn:
            return self._version(conn)

    # ------------------------------------------------------------------ sessions
    def save(self, state: SessionState, first_new_turn: int) -> None:
        turns = [
            (state.id, first_new_turn + i, turn_json(t))
            for i, t in enumerate(state.turns[first_new_turn:])
        ]
        blob = state_json(state)
        with self._conn() as conn, conn.transaction():
            if first_new_turn == 0:
                cur = conn.execute(
                    _INSERT + _UPSERT_EMPTY,
                    (
                        state.id,
                        state.user,
                        state.problem_id,
                        state.problem_title,
                        state.stage,
                        state.finished,
                        state.created,
                        state.updated,
                        len(state.turns),
                        blob,
                    ),
                )
            else:
                # Waits for a concurrent writer's row lock, then re-checks n_turns on the
                # committed row: the loser of a race updates nothing.
                cur = conn.execute(
                    "UPDATE sessions SET stage = %s, finished = %s, updated = %s, n_turns = %s, "
                    "state = %s::json WHERE id = %s AND n_turns = %s",
                    (
                        state.stage,
                        state.finished,
                        state.updated,
                        len(state.turns),
                        blob,
                        state.id,
                        first_new_turn,
                    ),
                )
            if cur.rowcount != 1:
                found = conn.execute(
                    "SELECT n_turns FROM sessions WHERE id = %s", (state.id,)
                ).fetchone()
                raise conflict(state.id, first_new_turn, None if found is None else found[0])
            if turns:
                with conn.cursor() as c:
                    c.executemany(_INSERT_TURN, turns)

    def _fetch(self, session_id: str) -> tuple[Any, ...]:
        """The session's listing columns, its state blob and its turn blobs (a list)."""
        with self._conn() as conn:
            row: tuple[Any, ...] | None = conn.execute(_SELECT_ONE, (session_id,)).fetchone()
        if row is None:
            raise self._unknown(session_id)
        return (*row[:10], list(row[10] or ()))

    def load(self, session_id: str) -> SessionState:
        row = self._fetch(session_id)
        return state_from_json(session_id, row[9], row[10])

    def resolve(self, id_or_prefix: str) -> str:
        text = id_or_prefix.strip()
        with self._conn() as conn:
            if conn.execute("SELECT 1 FROM sessions WHERE id = %s", (text,)).fetchone():
                return text
            if text:
                rows = conn.execute(
                    "SELECT id FROM sessions WHERE id LIKE %s ESCAPE '\\' ORDER BY id LIMIT 3",
                    (like_prefix(text),),
                ).fetchall()
                if len(rows) == 1:
                    return str(rows[0][0])
                if len(rows) > 1:
                    raise SessionError(
                        f"session prefix {text!r} is ambiguous: " + ", ".join(r[0] for r in rows)
                    )
            recent = conn.execute("SELECT id FROM sessions ORDER BY updated DESC LIMIT 50")
            raise UnknownIdError("session", text, [r[0] for r in recent])

    def owner(self, session_id: str) -> str | None:
        with self._conn() as conn:
            row = conn.execute("SELECT owner FROM sessions WHERE id = %s", (session_id,)).fetchone()
        return None if row is None else str(row[0])

    def summaries(self, user: str | None = None, limit: int = 1000) -> list[SessionSummary]:
        sql = f"SELECT {SUMMARY_COLUMNS} FROM sessions"
        args: tuple[object, ...] = ()
        if user is not None:
            sql += " WHERE owner = %s"
            args = (user,)
        sql += " ORDER BY updated DESC LIMIT %s"
        with self._conn() as conn:
            return [summary_from_row(r) for r in conn.execute(sql, (*args, limit))]

    def delete(self, session_id: str) -> bool:
        with self._conn() as conn:  # turns cascade
            gone = conn.execute("DELETE FROM sessions WHERE id = %s", (session_id,)).rowcount
        return bool(gone)

    # ------------------------------------------------------------------ copying
    def ids(self) -> Iterator[str]:
        with self._conn() as conn:
            rows = conn.execute("SELECT id FROM sessions ORDER BY created, id").fetchall()
        yield from (str(r[0]) for r in rows)

    def export(self, session_id: str) -> StoredSession:
        row = self._fetch(session_id)
        return StoredSession(summary_from_row(row), str(row[9]), tuple(str(t) for t in row[10]))

    def import_session(self, stored: StoredSession) -> str:
        s = stored.summary
        with self._conn() as conn, conn.transaction():
            found = conn.execute(
                "SELECT n_turns FROM sessions WHERE id = %s FOR UPDATE", (s.id,)
            ).fetchone()
            outcome = import_outcome(None if found is None else int(found[0]), len(stored.turns))
            if outcome in ("copied", "updated"):
                conn.execute("DELETE FROM sessions WHERE id = %s", (s.id,))  # turns cascade
                conn.execute(
                    _INSERT,
                    (
                        s.id,
                        s.user,
                        s.problem_id,
                        s.problem_title,
                        s.stage,
                        s.finished,
                        s.created,
                        s.updated,
                        len(stored.turns),
                        stored.state,
                    ),
                )
                with conn.cursor() as c:
                    c.executemany(_INSERT_TURN, [(s.id, i, t) for i, t in enumerate(stored.turns)])
        return outcome

    def close(self) -> None:
        self._pool.close()


def _reason(exc: BaseException) -> str:
    """The first line of a driver error (libpq's messages run over several lines)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
