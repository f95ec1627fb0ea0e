"""The app's own cost per turn, through real clients, beside the engine's (same run).

Each simulated candidate keeps one Gradio session across its calls, as a page does (a call
without one makes the app build a fresh per-session copy of every component's config, ~20 ms
that no browser pays per turn). Before anything is timed the app process is left to finish its
background warm-up (each problem's texts are embedded once per process, seconds of CPU), as the
service-only figures wait for it (``Engine.wait_prefetch``): both sides measure steady state.

- single client: each message goes through the running app twice, with ``gradio_client`` and
  with a raw HTTP client (:mod:`evals.app_client`, the page's protocol without gradio_client's
  50 ms polling of its own message queue), each on its own interview, and right after to a twin
  session on an in-process InterviewService, so all see the same load and the same interview
  state; ``app_turn_ms_p50`` (gradio_client) / ``app_engine_turn_ms_p50`` is the app's factor;
  ``app_http_turn_ms_p50`` is the raw client's figure beside it;
- payload: the bytes of each turn's event stream (raw client), at turn 5 and at the last turn
  (50 unless the interview finished earlier), so growth with the transcript shows;
- burst: 20 gradio_client clients at once, each starting an interview and sending the same
  messages as the service-only burst (``concurrent_turn_ms_p95``), the two measured back to
  back in paired rounds; the target is the median of the rounds' p95 ratios (:mod:`evals.burst`).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.app_client import call
from evals.metrics import percentile

if TYPE_CHECKING:
    from evals.burst import ServiceBurst

QUESTIONS = (
    "How many daily active users are there?",
    "What latency budget do we have for a request?",
    "What data do we log today?",
    "Are there any privacy constraints I should know about?",
)


def _p(xs: list[float], q: float) -> float | None:
    v = percentile(xs, q)
    return None if v is None else round(v, 2)


def start_app(cmd: list[str], env: dict[str, str], port: int, timeout_s: float = 240.0) -> Any:
    proc = subprocess.Popen(
        [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_app(proc)
    raise RuntimeError(f"the app did not answer within {timeout_s:.0f} s")


def wait_idle(
    pid: int, *, quiet_s: float = 1.0, busy_share: float = 0.05, timeout_s: float = 180.0
) -> float:
    """Seconds until process ``pid`` uses under ``busy_share`` of a core for ``quiet_s``."""
    import psutil

    proc = psutil.Process(pid)

    def cpu() -> float:
        t = proc.cpu_times()
        return float(t.user + t.system)

    start = time.monotonic()
    last_cpu, last_t = cpu(), start
    while time.monotonic() - start < timeout_s:
        time.sleep(quiet_s)
        now_cpu, now_t = cpu(), time.monotonic()
        if now_cpu - last_cpu < busy_share * (now_t - last_t):
            break
        last_cpu, last_t = now_cpu, now_t
    return round(time.monotonic() - start, 1)


def gradio_client(base: str) -> Any:
    """A gradio_client for the app on loopback. Plain HTTP, so there is no certificate to
    check: with ``ssl_verify=True`` the client builds an SSL context from the CA bundle for
    every request anyway (50-100 ms a call on these machines), a cost of the client, not of
    the app or of a browser. No telemetry either."""
    from gradio_client import Client

    return Client(base, verbose=False, ssl_verify=False, analytics_enabled=False)


def predict_ms(client: Any, *args: Any, api_name: str) -> tuple[Any, float]:
    t = time.perf_counter()
    out = client.predict(*args, api_name=api_name)
    return out, (time.perf_counter() - t) * 1000


def stop_app(proc: Any) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def single_client(
    base: str,
    pid_app: int,
    index_dir: Path,
    db: Path,
    turns: int,
    say: Callable[[str], None],
) -> dict[str, Any]:
    from evals.personas import make_persona
    from interviewer.retrieval import get_retriever
    from interviewer.rubrics.loader import effective_rubric, get_problem, load_rubrics
    from interviewer.session.service import InterviewService

    retriever = get_retriever(index_dir)
    svc = InterviewService(
        db, llm_name="offline", search=lambda q, k, s: list(retriever.search(q, k=k, stage=s))
    )
    pid = "video-recommendations"
    problem = get_problem(pid)
    rubrics = {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}
    persona = make_persona("average", problem, rubrics, seed=3)
    page = uuid.uuid4().hex[:11]  # the raw client's session, as a page keeps one
    client = gradio_client(base)
    try:
        # Warm-up (first turns load models on both sides), not measured.
        warm = call(base, "start_interview", "", pid, "offline", session_hash=page).data
        call(base, "send_message", warm[0], warm[1], QUESTIONS[0], session_hash=page)
        svc.respond(svc.start(pid, user="bench-warm").id, QUESTIONS[0])
        svc.engine.wait_prefetch(120)
        waited = wait_idle(pid_app)

        raw = call(base, "start_interview", "", pid, "offline", session_hash=page).data
        started = client.predict("", pid, "offline", api_name="/start_interview")
        twin = svc.start(pid, user="bench-twin")
        last, stage = list(twin.turns), twin.stage
        app_ms: list[float] = []
        engine_ms: list[float] = []
        gc_ms_all: list[float] = []
        payload: dict[int, int] = {}
        for i in range(1, turns + 1):
            # One answer in three, the rest clarifying questions: a long interview that stays
            # open (the wrap-up is never answered, so no report is written in measured turns).
            if i % 3 or stage == "wrapup":
                msg = QUESTIONS[i % len(QUESTIONS)]
            else:
                msg = persona.reply(stage, last)
            res = call(base, "send_message", raw[0], raw[1], msg, session_hash=page)
            _, gc_ms = predict_ms(client, started[0], started[1], msg, api_name="/send_message")
            t = time.perf_counter()
            last = svc.respond(twin.id, msg, user="bench-twin")
            ms = (time.perf_counter() - t) * 1000
            if any(t.kind == "report" for t in last):
                break  # a finished interview's page (the report) is not a turn's payload
            engine_ms.append(ms)
            app_ms.append(res.seconds * 1000)
            gc_ms_all.append(gc_ms)
            payload[i] = res.bytes
            stage = last[-1].stage if last else stage
            if i % 10 == 0:
                say(f"  app turn {i}/{turns}")
    finally:
        client.close()
    n = max(payload)
    app50, gc50, eng50 = _p(app_ms, 50), _p(gc_ms_all, 50), _p(engine_ms, 50)
    tail = [payload[k] for k in payload if k > n - 5]
    return {
        "app_turn_ms_p50": app50,
        "app_turn_ms_p95": _p(app_ms, 95),
        "app_engine_turn_ms_p50": eng50,
        "app_turn_ratio": round(app50 / eng50, 2) if app50 and eng50 else None,
        "app_gradio_client_turn_ms_p50": gc50,
        "app_gradio_client_turn_ratio": round(gc50 / eng50, 2) if gc50 and eng50 else None,
        "app_turns_measured": len(app_ms),
        "app_warm_wait_s": waited,
        "app_payload_bytes_turn5": payload.get(5),
        "app_payload_bytes_last_turn": payload[n],
        "app_payload_last_turn": n,
        "app_payload_bytes_max_last5": max(tail),
    }


def app_bench(
    cmd: list[str],
    env: dict[str, str],
    port: int,
    index_dir: Path,
    data: Path,
    quick: bool,
    say: Callable[[str], None],
    service: ServiceBurst,
    rounds: int,
) -> dict[str, Any]:
    """The single client, then ``rounds`` paired 20-client bursts (``service``'s beside the
    app's, back to back: :mod:`evals.burst`)."""
    from evals.burst import AppBurst, paired_bursts

    proc = start_app(cmd, env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        twin_db = data / "app-twin.db"
        out = single_client(base, proc.pid, index_dir, twin_db, 16 if quick else 50, say)
        say(f"  {service.clients}-client bursts, the service's and the app's back to back")
        app = AppBurst(base, service.clients, service.turns)

        def settle() -> None:  # the app, then this process (the service and the clients)
            wait_idle(proc.pid, quiet_s=0.5, timeout_s=60)
            wait_idle(os.getpid(), quiet_s=0.5, timeout_s=60)

        out.update(paired_bursts(service, app, rounds, settle, say))
        return out
    finally:
        stop_app(proc)
