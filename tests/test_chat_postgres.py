"""``interviewer chat`` on PostgreSQL: started in one process and data dir, killed (SIGKILL)
mid-interview, resumed by ``chat --resume ID`` in another process with another data dir. Every
turn the first process had shown is there, and no SQLite file is written anywhere."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from interviewer.session.store import open_store
from tests.pg_cluster import GuideServer
from tests.test_ui_support import ROOT, base_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ANSWERS = (
    "What is the business goal, and how many payments a day do we score?\n",
    "We must decide within 100 ms at checkout; the objective is to cut chargeback losses while "
    "keeping false declines low, with a manual review queue for the uncertain middle.\n",
)


class Reader(threading.Thread):
    """Collects a pipe's text as it arrives (the chat prints each turn once it is committed)."""

    def __init__(self, pipe: object) -> None:
        super().__init__(daemon=True)
        self.pipe, self.text = pipe, ""

    def run(self) -> None:
        for line in self.pipe:  # type: ignore[attr-defined]
            self.text += line


def _wait(predicate: object, what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _sqlite_files(*dirs: Path) -> list[Path]:
    return [p for d in dirs for p in d.rglob("*") if p.is_file() and _is_sqlite(p)]


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def test_chat_killed_and_resumed_elsewhere_keeps_every_shown_turn(
    pg_url: str, guide_server: GuideServer, tmp_path: Path
) -> None:
    first_dir, second_dir = tmp_path / "replica-1", tmp_path / "replica-2"
    # Guides from the Chroma server, sessions from PostgreSQL: nothing shared on local disk.
    env = base_env(INTERVIEWER_DATABASE_URL=pg_url, **guide_server.env())
    proc = subprocess.Popen(
        [sys.executable, "-m", "interviewer", "chat", "--problem", "fraud-detection"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=ROOT, env={**env, "INTERVIEWER_DATA_DIR": str(first_dir)},
    )  # fmt: skip
    assert proc.stdin is not None
    out = Reader(proc.stdout)
    out.start()
    store = open_store(pg_url)
    try:
        _wait(lambda: "session: " in out.text and "interviewer [" in out.text, "the opening")
        sid = out.text.split("session: ", 1)[1].split()[0]

        def shown() -> int:
            return out.text.count("\ninterviewer [")

        def stored() -> int:
            return sum(t.role == "interviewer" for t in store.load(sid).turns)

        for answer in ANSWERS:
            before = shown()
            proc.stdin.write(answer)
            proc.stdin.flush()
            _wait(lambda b=before: shown() > b and shown() == stored(), "the reply")  # type: ignore[misc]
        time.sleep(0.5)  # a turn printed but still being flushed would show as a short text
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -9
        out.join(timeout=10)
        acknowledged = [t for t in store.load(sid).turns if t.role == "interviewer"]
        assert len(acknowledged) == shown() >= 3
    finally:
        if proc.poll() is None:
            proc.kill()
        store.close()

    # The other process has its own data dir. Only the grader's embedding cache is copied
    # over (content-addressed rubric vectors, no session data) to spare ~30 s of warm-up.
    shutil.copytree(first_dir / "cache", second_dir / "cache")
    transcript = tmp_path / "transcript.json"
    resumed = subprocess.run(
        [sys.executable, "-m", "interviewer", "chat", "--resume", sid[:6],
         "--transcript", str(transcript)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=400, cwd=ROOT,
        env={**env, "INTERVIEWER_DATA_DIR": str(second_dir)},
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"session: {sid} (resumed)" in resumed.stdout
    turns = json.loads(transcript.read_text(encoding="utf-8"))["turns"]
    interviewer = [t["text"] for t in turns if t["role"] == "interviewer"]
    assert interviewer[: len(acknowledged)] == [t.text for t in acknowledged]
    position = 0  # ...and each of them is exactly what the first process had printed
    for text in interviewer[: len(acknowledged)]:
        position = out.text.index(text, position) + len(text)
    candidate = [t["text"] for t in turns if t["role"] == "candidate"]
    assert candidate[:2] == [a.strip() for a in ANSWERS]
    assert turns[-1]["kind"] == "report"
    assert _sqlite_files(first_dir, second_dir) == []
    print(
        f"\nchat on PostgreSQL: session {sid}, {len(acknowledged)} interviewer turns shown "
        f"before SIGKILL, all in the transcript resumed from another data dir "
        f"({len(turns)} turns after the report); SQLite files written: 0"
    )
