"""A provider that hangs, rate-limits, errors, talks nonsense or cuts its reply: the interview
still finishes in bounded time, and the candidate is told it fell back to the offline engine.

The provider is a real local HTTP server speaking (badly) the OpenAI API, driven through the
real ``openai-compatible`` adapter and the real ``interviewer chat`` CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from interviewer.errors import ProviderError
from interviewer.llm import invoke_text, stream_text
from interviewer.llm.base import LLM, Message
from interviewer.llm.fake import ScriptedChatModel
from interviewer.llm.resilience import FALLBACK_NOTICE, fallback_notice, turn_budget
from tests.test_ui_support import ROOT, base_env, shared_index

MSGS = [Message("user", "Ask the candidate about latency.")]
MESSAGES = [
    "The goal is long-term watch time; we have hundreds of millions of users and 200 ms.",
    "What is the latency budget?",
    "It is a ranking problem: predict watch time per user and video, NDCG offline.",
]


class FaultServer:
    """A threaded HTTP server whose every reply fails in one way (``mode``)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                outer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.reply(self, bool(body.get("stream")))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def reply(self, h: BaseHTTPRequestHandler, stream: bool) -> None:
        if self.mode == "hang":
            self.stop.wait(300)  # never answers while the test runs
            return
        if self.mode in ("429", "500"):
            data = json.dumps({"error": {"message": "try later", "type": "x"}}).encode()
            h.send_response(int(self.mode))
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        if self.mode == "malformed":
            data = b'{"id": "x", "choices": [{"message": {"content": '  # no end
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        # "cut": promise a long reply, send its start, hang up.
        if stream:
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}
            chunk["choices"] = [{"index": 0, "delta": {"content": "What is the"}}]
            h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        else:
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            h.wfile.write(b'{"id": "chatcmpl-1", "object": "chat.completion", "choi')
        h.wfile.flush()
        h.close_connection = True


MODES = ["hang", "429", "500", "malformed", "cut"]


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[FaultServer]:
    srv = FaultServer(request.param).start()
    yield srv
    srv.close()


def _chat(
    env: dict[str, str], messages: list[str]
) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "chat", "--problem", "video-recommendations"],
        input="\n".join([*messages, "/end"]) + "\n",
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc, time.perf_counter() - start


@pytest.fixture(scope="module")
def warm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A guide index and a data dir whose grader caches are warm (an offline chat ran once):
    building those is ingest's and the first start's cost, not the provider's."""
    index = shared_index(tmp_path_factory)
    data = tmp_path_factory.mktemp("faults-data")
    env = base_env(INTERVIEWER_DATA_DIR=str(data), INTERVIEWER_INDEX_DIR=str(index))
    proc, _ = _chat(env, MESSAGES[:1])
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc, elapsed = _chat(env, MESSAGES)  # the same interview offline: the baseline
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {**env, "_offline_s": f"{elapsed:.3f}"}


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("server", MODES, indirect=True)
def test_three_message_chat_finishes_fast_and_tells_the_candidate(
    server: FaultServer, warm_env: dict[str, str]
) -> None:
    """Default deadlines and breaker: well under a minute whatever the provider does."""
    offline_s = float(warm_env["_offline_s"])
    env = {k: v for k, v in warm_env.items() if not k.startswith("_")}
    env.update(INTERVIEWER_LLM="openai-compatible", OPENAI_BASE_URL=server.base_url)
    proc, elapsed = _chat(env, MESSAGES)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert f"(note: {FALLBACK_NOTICE})" in proc.stdout
    assert proc.stdout.count(FALLBACK_NOTICE) == 1  # once, not on every turn
    assert "[Requirements · report]" in proc.stdout
    assert "continuing with the offline engine" in proc.stderr  # the log line
    assert server.requests >= 1
    print(f"{server.mode}: {elapsed:.1f} s (offline {offline_s:.1f} s), {server.requests} req")
    # What the provider adds: at most one phrasing budget per failing call until the breaker
    # opens (3 x 6 s when it hangs), plus the LLM path's own retrieval. The absolute bound is
    # loose because the machine is shared; on a quiet one the interview takes well under 60 s.
    assert elapsed - offline_s < 45, f"{server.mode}: {elapsed:.1f} s vs {offline_s:.1f} s"
    assert elapsed < 120


# ------------------------------------------------------------------------------ units


def _llm(fake: ScriptedChatModel) -> LLM:
    return LLM("fake", "scripted", fake)


def test_turn_deadline_covers_all_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("INTERVIEWER_LLM_TURN_DEADLINE_S", "0.5")
    get_settings.cache_clear()

    class Slow(ScriptedChatModel):
        def _next(self, messages: Any) -> str:
            time.sleep(5)
            return "late"

    llm = _llm(Slow())
    start = time.perf_counter()
    with turn_budget(), pytest.raises(ProviderError, match="turn deadline"):
        invoke_text(llm, MSGS, retries=5, backoff_s=0)
    assert time.perf_counter() - start < 2.0
    assert fallback_notice(llm) == FALLBACK_NOTICE


def test_one_turn_shares_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("INTERVIEWER_LLM_TURN_DEADLINE_S", "0.6")
    monkeypatch.setenv("INTERVIEWER_LLM_BREAKER_FAILURES", "10")
    get_settings.cache_clear()

    class Slow(ScriptedChatModel):
        def _next(self, messages: Any) -> str:
            time.sleep(0.25)
            return "What is your latency budget for this?"

    llm = _llm(Slow())
    start = time.perf_counter()
    outcomes = []
    with turn_budget():
        for _ in range(5):
            try:
                invoke_text(llm, MSGS, retries=0)
                outcomes.append("ok")
            except ProviderError:
                outcomes.append("deadline")
    assert outcomes[:2] == ["ok", "ok"] and outcomes[-1] == "deadline"
    assert time.perf_counter() - start < 1.5


def test_breaker_opens_skips_then_recovers(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("INTERVIEWER_LLM_BREAKER_FAILURES", "2")
    monkeypatch.setenv("INTERVIEWER_LLM_BREAKER_COOLDOWN_S", "0.3")
    get_settings.cache_clear()
    fake = ScriptedChatModel().enqueue(
        ConnectionError("down"), ConnectionError("down"), "Back: what is the latency budget?"
    )
    llm = _llm(fake)
    for _ in range(2):
        with pytest.raises(ProviderError):
            invoke_text(llm, MSGS, retries=0)
    calls = len(fake.history)
    with pytest.raises(ProviderError, match="skipped"):
        invoke_text(llm, MSGS, retries=0)
    assert len(fake.history) == calls  # not called while open
    assert fallback_notice(llm) == FALLBACK_NOTICE
    deadline = time.monotonic() + 10
    while True:  # cool-down over: the trial call goes through and closes the breaker
        try:
            assert invoke_text(llm, MSGS, retries=0).value.startswith("Back")
            break
        except ProviderError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert fallback_notice(llm) == ""


@pytest.mark.parametrize("server", ["cut", "hang"], indirect=True)
def test_stream_cut_or_stalled_mid_reply_raises_provider_error(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interviewer.llm import get_llm
    from interviewer.settings import get_settings

    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("INTERVIEWER_LLM_TURN_DEADLINE_S", "1.5")
    get_settings.cache_clear()
    llm = get_llm("openai-compatible", "m")
    got: list[str] = []
    start = time.perf_counter()
    with pytest.raises(ProviderError, match="stream failed"):
        for piece in stream_text(llm, MSGS):
            got.append(piece)
    assert time.perf_counter() - start < 10
    assert fallback_notice(llm) == FALLBACK_NOTICE
