"""Helpers for the UI tests: a real ``interviewer serve`` subprocess on a free loopback port.

(No tests here; the UI test modules import this. The server runs in its own process with its own
environment, so the per-test settings isolation of conftest cannot change it mid-module.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ui.render import message_text

ROOT = Path(__file__).resolve().parent.parent
_INDEX: dict[str, Path] = {}
_SCRUB = ("OPENAI_API_KEY", "OPENAI_BASE_URL")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(**overrides: str) -> dict[str, str]:
    """The parent's environment minus anything that could point the server elsewhere."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_") and k not in _SCRUB
    }
    env.update(
        {
            "INTERVIEWER_LLM": "offline",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def shared_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One guide index per pytest run, built by the real ``interviewer ingest``."""
    if "dir" not in _INDEX:
        target = tmp_path_factory.mktemp("ui-index")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "interviewer",
                "ingest",
                str(ROOT / "corpus"),
                "--index",
                str(target),
                "--json",
            ],
            env=base_env(INTERVIEWER_DATA_DIR=str(target.parent / "ui-index-data")),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(f"ingest failed ({proc.returncode}): {proc.stderr[-2000:]}")
        _INDEX["dir"] = target
    return _INDEX["dir"]


class AppServer:
    """``python -m interviewer serve`` in a subprocess; ``kill()`` is a hard crash (SIGKILL)."""

    def __init__(
        self,
        data_dir: Path,
        index_dir: Path,
        *,
        port: int | None = None,
        log_path: Path | None = None,
        **env: str,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.log_path = log_path or data_dir / f"server-{self.port}.log"
        self.env = base_env(
            INTERVIEWER_DATA_DIR=str(data_dir), INTERVIEWER_INDEX_DIR=str(index_dir), **env
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 240.0) -> AppServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "interviewer",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "config", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False)


# The tuple every candidate endpoint returns (ui.candidate.CandidateTab.outputs).
TOKEN, SESSION, CHAT, TRACKER, STATUS, REPORT, CHART, DOWNLOAD_MD, DOWNLOAD_JSON = range(9)
# Then: the collapsed earlier stages, the "where you are" line, the report's verdict, its
# citations (buttons and layout come last and are not API values).
EARLIER, FLOW, VERDICT, CITATIONS = range(9, 13)


# A turn (send_message) returns only what a turn changes: the chat, the tracker, the
# "where you are" line, then the answer box (ui.candidate.turn_outputs).
TURN_CHAT, TURN_TRACKER, TURN_FLOW, TURN_BOX = range(4)


def chat_of(result: tuple[Any, ...]) -> list[Any]:
    """The chat of a whole-page result (start, resume, next, end) or of a turn's."""
    return list(result[TURN_CHAT] if len(result) == TURN_BOX + 1 else result[CHAT])


def chat_texts(result: tuple[Any, ...]) -> list[tuple[str, str]]:
    return [(m["role"], message_text(m)) for m in chat_of(result)]


def last_text(result: tuple[Any, ...]) -> str:
    texts = chat_texts(result)
    return texts[-1][1] if texts else ""


def download_path(value: Any) -> Path | None:
    """The local copy gradio_client made of a DownloadButton output (an update dict)."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, Mapping):
        value = value.get("path")
    return Path(value) if isinstance(value, str) and value else None


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# Answers that touch each stage's vocabulary, so an offline interview makes real progress.
STAGE_ANSWERS = {
    "requirements": "What is the business goal and how many daily active users do we have? "
    "What latency budget applies?",
    "framing": "I would frame it as a ranking problem: predict the probability of a meaningful "
    "interaction for each candidate, optimise NDCG offline and engagement online.",
    "data": "Training data comes from impression logs and click logs as implicit labels; "
    "split by time to avoid leakage and handle class imbalance by downsampling.",
    "features": "User features, item features, context features like time of day, and cross "
    "features; embeddings for ids, stored in a feature store to avoid skew.",
    "modeling": "Start with a popularity baseline, then a two-stage system: candidate "
    "retrieval with two-tower embeddings, then a gradient boosted ranker.",
    "evaluation": "Offline NDCG and AUC with calibration checks per slice, then an A/B test "
    "on engagement with guardrail metrics.",
    "deployment": "Serve online with a 200 ms latency budget, shadow deploy first, then a "
    "canary rollout with automatic rollback.",
    "monitoring": "Monitor latency and error rates plus prediction drift and feature drift; "
    "retrain weekly and alert on drops in online metrics.",
}
