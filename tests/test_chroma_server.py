"""Ingest and search against a real ``chroma run`` server on loopback (HttpClient path)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.cli import main

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chroma_bin() -> str | None:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    exe = _chroma_bin()
    if exe is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "wb")  # noqa: SIM115 - closed in the finaliser below
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.skip(f"chroma run exited with {proc.returncode}; see {data / 'server.log'}")
            try:
                url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.skip("chroma run did not answer its heartbeat within 30 s")
            time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_ingest_and_search_through_a_chroma_server(
    chroma_server: tuple[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from interviewer.settings import get_settings

    host, port = chroma_server
    monkeypatch.setenv("INTERVIEWER_CHROMA_HOST", host)
    monkeypatch.setenv("INTERVIEWER_CHROMA_PORT", str(port))
    monkeypatch.setenv("INTERVIEWER_COLLECTION", "server_guides")
    get_settings.cache_clear()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "drift.md").write_text(
        "# Monitoring\n\n<!-- stage: monitoring -->\n\n## Drift\n\nCompare live feature "
        "distributions with training data and alert when they diverge.\n",
        encoding="utf-8",
    )

    assert main(["ingest", "g", "--json", "--no-progress"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["added"] == 1 and first["index"].startswith(f"http://{host}:{port}")
    assert main(["ingest", "g", "--json", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0

    assert main(["search", "alert on distribution change", "--json", "--stage", "monitoring"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert hit["source"] == "g/drift.md" and hit["stage"] == "monitoring"
    # nothing was written locally: the server holds the index
    assert not (get_settings().index_path / "chroma.sqlite3").exists()
