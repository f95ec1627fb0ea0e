"""Session state transitions (pure) and the SQLite store (WAL, atomic saves, threads)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from interviewer.errors import SessionError, UnknownIdError
from interviewer.session import state as st
from interviewer.session.state import WRAPUP, Turn
from interviewer.session.store import SQLiteSessionStore as SessionStore
from interviewer.stages import STAGE_IDS


def _new(sid: str = "abc123def456", user: str = "local") -> st.SessionState:
    return st.new_session(
        sid,
        user=user,
        problem_id="video-recommendations",
        problem_title="Video recs",
        engine="offline",
        now=1000.0,
    )


def test_new_session_starts_in_requirements_with_budgets() -> None:
    s = _new()
    assert s.stage == "requirements" and not s.finished
    assert list(s.stages) == list(STAGE_IDS)
    assert s.stages["requirements"].status == "active"
    assert s.stages["modeling"].budget_s == 8 * 60


def test_transitions_are_pure_and_walk_every_stage_then_wrapup() -> None:
    s = _new()
    seen = [s.stage]
    for _ in STAGE_IDS:
        nxt = st.advance(s)
        assert s.stage == seen[-1]  # the input state is untouched
        s = nxt
        seen.append(s.stage)
    assert seen == [*STAGE_IDS, WRAPUP]
    assert all(x.status == "done" for x in s.stages.values())
    assert st.advance(s).stage == WRAPUP  # advancing past the wrap-up is a no-op


def test_record_answer_followup_clarification_do_not_mutate_input() -> None:
    s = _new()
    s2 = st.record_answer(s, "we log clicks")
    s3 = st.record_followup(s2, "What about labels?", "labels")
    s4 = st.record_clarification(s3, ["users_scale", "users_scale", "latency_budget"])
    assert s.stages["requirements"].answers == []
    assert s4.stages["requirements"].answers == ["we log clicks"]
    assert s4.stages["requirements"].followups == ["What about labels?"]
    assert s4.stages["requirements"].followup_targets == ["labels"]
    assert s4.stages["requirements"].clarifications == ["users_scale", "latency_budget"]
    assert s4.revealed_facts() == {"users_scale", "latency_budget"}


def test_best_grade_is_kept() -> None:
    s = st.record_grade(_new(), {"score": 2.5, "missing": ["a"]})
    s = st.record_grade(s, {"score": 1.0, "missing": ["a", "b"]})
    assert s.stages["requirements"].grade == {"score": 2.5, "missing": ["a"]}
    s = st.record_grade(s, {"score": 3.0, "missing": []})
    assert s.stages["requirements"].grade == {"score": 3.0, "missing": []}


def test_tick_charges_time_to_the_current_stage_with_idle_cap() -> None:
    s = st.tick(_new(), 1000.0 + 90)
    assert s.stages["requirements"].elapsed_s == 90
    s = st.tick(s, s.last_activity + 10_000)  # away for hours: capped
    assert s.stages["requirements"].elapsed_s == 90 + st.IDLE_CAP_S
    s = st.tick(st.advance(s), s.last_activity + 30)
    assert s.stages["framing"].elapsed_s == 30


def test_add_turns_tracks_prompt_versions_and_max_tokens() -> None:
    s = st.add_turns(
        _new(),
        [
            Turn(
                "interviewer",
                "requirements",
                "question",
                "hi",
                1.0,
                ("ask@v1",),
                "x",
                {"prompt_tokens": 120},
            ),
            Turn(
                "interviewer",
                "requirements",
                "followup",
                "more?",
                2.0,
                ("ask@v1", "clarify@v1"),
                "x",
                {"prompt_tokens": 90},
            ),
        ],
        now=5.0,
    )
    assert s.prompt_versions == ["ask@v1", "clarify@v1"]
    assert s.max_prompt_tokens == 120 and s.updated == 5.0


def test_turn_round_trip_and_public_view() -> None:
    t = Turn(
        "interviewer",
        "data",
        "followup",
        "Where do labels come from?",
        12.5,
        ("ask@v1",),
        "offline",
        {"subkind": "probe", "target": "labels"},
    )
    d = t.to_dict()
    assert {"role", "stage", "kind", "text"} <= set(d) and d["target"] == "labels"
    assert Turn.from_dict(d) == t
    assert set(t.public_dict()) == {"role", "stage", "kind", "text", "timestamp"}


def test_store_round_trip_resolve_and_list(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.db")
    s = st.add_turns(_new(), [Turn("interviewer", "requirements", "question", "Q?", 1.0)], 2.0)
    store.save(s, 0)
    s2 = st.add_turns(
        st.record_answer(s, "ans"), [Turn("candidate", "requirements", "answer", "ans", 3.0)], 3.0
    )
    store.save(s2, 1)
    loaded = store.load(s.id)
    assert loaded == s2
    assert store.resolve(s.id[:5]) == s.id
    with pytest.raises(UnknownIdError):
        store.resolve("zzz")
    store.save(_new("abc999999999", user="other"), 0)
    with pytest.raises(SessionError, match="ambiguous"):
        store.resolve("abc")
    assert [x.id for x in store.summaries(user="local")] == [s.id]
    assert {x.id for x in store.summaries()} == {s.id, "abc999999999"}
    mode = sqlite3.connect(tmp_path / "s.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_store_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SessionStore(tmp_path / "s.db")
    s = st.add_turns(_new(), [Turn("interviewer", "requirements", "question", "Q?", 1.0)], 2.0)
    store.save(s, 0)
    bad = st.add_turns(s, [Turn("candidate", "requirements", "answer", "x", 3.0)], 3.0)
    # The new turn row is written first; then the session row cannot be serialised. Without the
    # transaction, turn 1 would stay behind and the next load would show it.
    monkeypatch.setattr(st.SessionState, "to_row", lambda self: {"x": object()})
    with pytest.raises(TypeError):
        store.save(bad, 1)
    monkeypatch.undo()
    assert store.load(s.id) == s
    store.save(bad, 1)  # and the same save goes through once it can
    assert store.load(s.id) == bad


def test_store_is_safe_across_threads(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.db")
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            s = _new(f"sess{i:08d}", user=f"u{i}")
            store.save(s, 0)
            for j in range(5):
                n = len(s.turns)
                s = st.add_turns(
                    s, [Turn("candidate", "requirements", "answer", f"{i}-{j}", float(j))], float(j)
                )
                store.save(s, n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(12):
        texts = [t.text for t in store.load(f"sess{i:08d}").turns]
        assert texts == [f"{i}-{j}" for j in range(5)]


@pytest.mark.parametrize("kind", ["directory", "not-a-database"])
def test_an_unusable_store_path_is_a_one_line_session_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "s.db"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(SessionError, match="cannot open the session store"):
        SessionStore(path)
