"""The session store contract, run against SQLite and a real PostgreSQL server: round trips,
the turn-count check that refuses stale writes (also from two processes at once), forward
schema migrations, and ``interviewer sessions migrate`` (idempotent)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.cli import main
from interviewer.errors import SessionError, UnknownIdError
from interviewer.session import state as st
from interviewer.session.state import SessionState, Turn
from interviewer.session.store import (
    SessionConflict,
    SessionStore,
    copy_sessions,
    open_store,
    redact_url,
)
from interviewer.session.store_base import SCHEMA_VERSION
from tests.test_ui_support import ROOT, base_env


def _new(sid: str, user: str = "local", created: float = 1.0) -> SessionState:
    return st.new_session(
        sid, user=user, problem_id="fraud-detection", problem_title="Fraud", engine="offline",
        now=created,
    )  # fmt: skip


def _turn(text: str, when: float = 2.0) -> Turn:
    return Turn("candidate", "requirements", "answer", text, when, meta={"intent": "answer"})


def _grow(s: SessionState, *texts: str) -> SessionState:
    return st.add_turns(s, [_turn(t, s.updated + 1) for t in texts], s.updated + 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "sessions.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(target: str) -> Iterator[SessionStore]:
    with open_store(target) as s:
        yield s


def test_round_trip_resolve_list_and_unknown_ids(store: SessionStore) -> None:
    s = _grow(_new("abc123000001"), "first \x00 answer, ünïcode")
    store.save(s, 0)
    s2 = _grow(s, "second")
    store.save(s2, 1)
    assert store.load(s.id) == s2
    assert store.resolve("abc123000001") == s.id and store.resolve(" abc1230 ") == s.id
    store.save(_new("abc999999999", user="other", created=5.0), 0)
    with pytest.raises(SessionError, match="ambiguous"):
        store.resolve("abc")
    with pytest.raises(UnknownIdError):
        store.resolve("zz%")
    with pytest.raises(UnknownIdError):
        store.load("nope")
    assert store.owner(s.id) == "local" and store.owner("nope") is None
    assert [x.id for x in store.summaries(user="local")] == [s.id]
    listed = {x.id: x for x in store.summaries()}
    assert listed[s.id].turns == 2 and listed["abc999999999"].user == "other"
    assert store.schema_version() == SCHEMA_VERSION


def test_delete_removes_the_session_and_its_turns_only(store: SessionStore) -> None:
    keep, gone = _grow(_new("keep00000001"), "stays"), _grow(_new("gone00000002"), "a", "b")
    store.save(keep, 0)
    store.save(gone, 0)
    assert store.delete(gone.id) is True and store.delete(gone.id) is False
    with pytest.raises(UnknownIdError):
        store.load(gone.id)
    assert [x.id for x in store.summaries()] == [keep.id] and store.load(keep.id) == keep
    store.save(_grow(_new("gone00000002"), "fresh"), 0)  # the id is free again, no stray turns
    assert [t.text for t in store.load("gone00000002").turns] == ["fresh"]


def test_a_stale_write_is_refused_and_writes_nothing(store: SessionStore) -> None:
    s = _grow(_new("race00000001"), "q")
    store.save(s, 0)
    a, b = _grow(s, "from replica A"), _grow(s, "from replica B")
    store.save(a, 1)
    with pytest.raises(SessionConflict, match="expected 1 turns stored, found 2"):
        store.save(b, 1)
    assert [t.text for t in store.load(s.id).turns] == ["q", "from replica A"]
    with pytest.raises(SessionConflict):  # creating an id that already has turns
        store.save(_grow(_new("race00000001"), "x"), 0)
    with pytest.raises(SessionConflict, match="no longer"):
        store.save(_grow(_grow(_new("gone00000001"), "a"), "b"), 1)


def test_two_processes_appending_to_one_session_lose_no_turn(target: str) -> None:
    """Each process loads, appends its turn and saves; a refused save reloads and tries again."""
    with open_store(target) as store:
        store.save(_new("shared000001"), 0)
    script = textwrap.dedent(
        """
        import sys
        import time
        from interviewer.session import state as st
        from interviewer.session.state import Turn
        from interviewer.session.store import SessionConflict, open_store

        store, name, conflicts = open_store(sys.argv[1]), sys.argv[2], 0
        time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # start together
        for i in range(int(sys.argv[3])):
            while True:
                s = store.load("shared000001")
                n = len(s.turns)
                t = Turn("candidate", "requirements", "answer", f"{name}-{i}", float(n))
                try:
                    store.save(st.add_turns(s, [t], float(n)), n)
                    break
                except SessionConflict:
                    conflicts += 1
        print(conflicts)
        """
    )
    per_process = 60
    procs, start_at = [], time.time() + 4.0
    for name in ("A", "B"):
        argv = [sys.executable, "-c", script, target, name, str(per_process), str(start_at)]
        procs.append(
            subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=base_env())
        )
    conflicts = [int(p.communicate(timeout=300)[0].strip() or -1) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    with open_store(target) as store:
        texts = [t.text for t in store.load("shared000001").turns]
        assert store.summaries()[0].turns == 2 * per_process
    for name in ("A", "B"):  # every turn once, each process's turns in its own order
        assert [t for t in texts if t.startswith(name)] == [
            f"{name}-{i}" for i in range(per_process)
        ]
    assert len(texts) == 2 * per_process and min(conflicts) >= 0
    print(f"conflicts refused and retried: {conflicts}")


# ---------------------------------------------------------------------- schema migrations

# The layout every SQLite store had before versioning (schema version 1, column "user").
V1_SCHEMA = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, problem_id TEXT NOT NULL,
  problem_title TEXT NOT NULL, stage TEXT NOT NULL, finished INTEGER NOT NULL,
  created REAL NOT NULL, updated REAL NOT NULL, n_turns INTEGER NOT NULL, state TEXT NOT NULL);
CREATE INDEX sessions_user ON sessions(user, updated);
CREATE TABLE turns (session_id TEXT NOT NULL REFERENCES sessions(id), idx INTEGER NOT NULL,
  data TEXT NOT NULL, PRIMARY KEY (session_id, idx));
"""


def test_many_threads_opening_one_fresh_sqlite_store_all_succeed(tmp_path: Path) -> None:
    # Connections switching a new file to WAL at the same moment deadlock on its locks, and
    # SQLite answers one "database is locked" at once, busy timeout or not (seen as an eval
    # worker's "cannot open the session store"); the switch is retried instead. Before the fix
    # about 1 open in 120 failed here, so 40 rounds of 8 almost surely meet one.
    import threading

    from interviewer.session.store_sqlite import SQLiteSessionStore

    errors: list[Exception] = []
    for i in range(40):
        path = tmp_path / f"s{i}.db"

        def open_it(path: Path = path) -> None:
            try:
                SQLiteSessionStore(path)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[:2]


def test_an_unversioned_sqlite_store_is_migrated_forward_with_its_sessions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    s = _grow(_new("old000000001", user="web-1"), "kept")
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
        conn.execute(
            "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?)",
            (s.id, s.user, s.problem_id, s.problem_title, s.stage, 0, s.created, s.updated, 1,
             json.dumps(s.to_row())),
        )  # fmt: skip
        conn.execute("INSERT INTO turns VALUES (?, 0, ?)", (s.id, json.dumps(s.turns[0].to_dict())))
    conn.close()
    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.load(s.id) == s and store.summaries(user="web-1")[0].id == s.id
    with sqlite3.connect(path) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(sessions)")]
    conn.close()
    assert versions == list(range(1, SCHEMA_VERSION + 1)) and "owner" in columns


def test_a_store_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 0)")
    conn.close()
    with pytest.raises(SessionError, match="schema version 99, newer"):
        open_store(path)


def test_postgres_schema_is_versioned_and_migrated_once(pg_url: str) -> None:
    import psycopg

    for _ in range(2):
        open_store(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_unreachable_database_is_one_line_without_the_password() -> None:
    from tests.test_ui_support import free_port

    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/interviewer"
    with pytest.raises(SessionError) as info:
        open_store(url)
    assert "s3cret" not in str(info.value) and "app:***@127.0.0.1" in str(info.value)
    assert "\n" not in str(info.value)
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"


# ---------------------------------------------------------------------- migrate command


def _dump(target: str) -> list[tuple[object, ...]]:
    with open_store(target) as store:
        return [
            (x.summary, x.state, x.turns) for x in (store.export(i) for i in sorted(store.ids()))
        ]


def test_sessions_migrate_copies_50_sessions_and_is_idempotent(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_path = tmp_path / "data" / "sessions.db"
    monkeypatch.setenv("INTERVIEWER_DB_PATH", str(sqlite_path))
    with open_store(sqlite_path) as src:
        for i in range(50):
            s = _new(f"sess{i:08d}", user=f"web-{i % 7}", created=float(i))
            src.save(s, 0)
            src.save(_grow(s, *(f"answer {i}.{j}" for j in range(i % 5 + 1))), 0)

    def migrate() -> dict[str, object]:
        assert main(["sessions", "migrate", "--to", pg_url, "--json"]) == 0
        out: dict[str, object] = json.loads(capsys.readouterr().out)
        return out

    first = migrate()
    assert first["sessions"] == 50 and first["copied"] == 50 and first["turns"] == 150
    rows = _dump(pg_url)
    second = migrate()
    assert second["copied"] == 0 and second["unchanged"] == 50
    assert _dump(pg_url) == rows == _dump(str(sqlite_path))
    # A session that went on in SQLite is brought up to date; one that went on in PostgreSQL
    # after the copy is left alone.
    with open_store(sqlite_path) as src, open_store(pg_url) as dst:
        src.save(_grow(src.load("sess00000001"), "more in sqlite"), 2)
        dst.save(_grow(dst.load("sess00000002"), "more in pg"), 3)
    third = migrate()
    assert (third["updated"], third["kept"], third["unchanged"]) == (1, 1, 48)
    with open_store(pg_url) as dst:
        assert dst.load("sess00000001").turns[-1].text == "more in sqlite"
        assert dst.load("sess00000002").turns[-1].text == "more in pg"


def test_copy_refuses_the_same_store_and_bad_targets(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as a, pytest.raises(SessionError, match="same store"):
        copy_sessions(a, a)
    assert main(["sessions", "migrate", "--to", "mysql://x/y"]) == 2


# ---------------------------------------------------------------------- the service on a race


@pytest.mark.slow
def test_the_service_recomputes_a_message_another_process_answered_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interviewer.session.service import InterviewService

    db = tmp_path / "s.db"
    a = InterviewService(db, "offline", search=lambda q, k, stage: [])
    b = InterviewService(db, "offline", search=lambda q, k, stage: [])  # another replica
    sid = a.start("fraud-detection").id
    real_save, seen = a.store.save, []

    def b_commits_first(state: SessionState, first: int) -> None:
        seen.append(first)
        if len(seen) == 1:  # B answers while A is still preparing its reply
            b.respond(sid, "FROM-B: how many payments a day do we score?")
        real_save(state, first)

    monkeypatch.setattr(a.store, "save", b_commits_first)
    a.respond(sid, "FROM-A: what does a fraudulent payment cost us?")
    candidate = [t.text for t in b.get(sid).turns if t.role == "candidate"]
    assert [t[:7] for t in candidate] == ["FROM-B:", "FROM-A:"]  # both kept, in commit order
    assert seen[1] > seen[0]  # A's second attempt started from B's turns

    def always_lose(state: SessionState, first: int) -> None:
        raise SessionConflict("another writer won")

    monkeypatch.setattr(a.store, "save", always_lose)
    before = b.get(sid).turns
    with pytest.raises(SessionConflict, match="send it again"):
        a.respond(sid, "never stored")
    assert b.get(sid).turns == before
