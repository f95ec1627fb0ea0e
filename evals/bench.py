"""``interviewer bench``: engine speed and memory as ratios measured in one run (DESIGN.md).

Everything runs against a temporary data dir (sessions, index) so a bench never touches the
user's data, and the raw baselines are measured in the same process on the same inputs as the
figures they are compared with:

- turn overhead (an offline InterviewService turn: classify, clarify, grade, policy, phrasing,
  SQLite commit; everything but an LLM call) vs embedding the same answer + one Chroma query;
- ingest throughput vs the embedding model alone on the same chunks (the ingest helper's
  ``measure_ingest_throughput``);
- ``interviewer --help`` and ``interviewer serve`` cold start as subprocesses;
- the largest prompt of a full interview with the scripted fake LLM (and whether it grows);
- the app through real HTTP clients (evals/app_bench.py), its 20-client burst measured back to
  back with the same burst through the service alone, in paired rounds; the burst target is the
  median of the rounds' p95 ratios (evals/burst.py).
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.metrics import percentile

TURN_PROBLEMS = ("video-recommendations", "fraud-detection", "semantic-document-search")
# Paired rounds of the 20-client burst (service, app back to back): evals/burst.py.
BURST_ROUNDS, BURST_ROUNDS_QUICK = 7, 5


def _interviewer_cmd() -> list[str]:
    script = Path(sys.executable).with_name("interviewer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "interviewer"]


def _p(xs: Sequence[float], q: float) -> float | None:
    v = percentile(xs, q)
    return None if v is None else round(v, 2)


def help_seconds(runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([*_interviewer_cmd(), "--help"], check=True, capture_output=True, timeout=60)
        best = min(best, time.perf_counter() - t)
    return round(best, 3)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree_rss_mb(pid: int) -> float | None:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return round(sum(p.memory_info().rss for p in procs) / 2**20, 1)
    except psutil.Error:
        return None


def app_ready_seconds(
    env: dict[str, str], timeout_s: float = 180.0
) -> tuple[float | None, float | None, str]:
    """Start ``interviewer serve`` on a free port and poll it until HTTP 200; returns the
    seconds to ready, the app's RSS (MB) once ready, and an error note."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*_interviewer_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        while time.perf_counter() - t0 < timeout_s:
            if proc.poll() is not None:
                err = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")
                return None, None, f"serve exited with {proc.returncode}: {err.strip()[-300:]}"
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        ready = round(time.perf_counter() - t0, 3)
                        return ready, _tree_rss_mb(proc.pid), ""
            except OSError:
                pass
            time.sleep(0.1)
        return None, None, f"no HTTP 200 from {url} within {timeout_s:.0f} s"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _answers(problems: Sequence[str], per_problem: int) -> list[tuple[str, str, str]]:
    """(problem, stage, answer) from the average simulated candidate (realistic lengths)."""
    from evals.personas import make_persona
    from interviewer.rubrics.loader import effective_rubric, get_problem, load_rubrics

    out = []
    for pid in problems:
        problem = get_problem(pid)
        rubrics = {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}
        persona = make_persona("average", problem, rubrics, seed=1)
        for stage in list(rubrics)[1 : per_problem + 1]:
            persona.sent[stage] = 1
            out.append((pid, stage, persona.answer(stage, None, 1, "")))
    return out


def turn_overhead(index_dir: Path, db: Path, quick: bool) -> dict[str, Any]:
    """Offline turns of full interviews vs the raw embed + query of the same answers."""
    from evals.personas import make_persona
    from interviewer.embeddings import get_embedder
    from interviewer.retrieval import get_retriever
    from interviewer.retrieval.store import open_collection
    from interviewer.rubrics.loader import effective_rubric, get_problem, load_rubrics
    from interviewer.session.service import InterviewService

    retriever = get_retriever(index_dir)

    def search(q: str, k: int, stage: str | None) -> list[Any]:
        return list(retriever.search(q, k=k, stage=stage))

    from interviewer.grading import grade

    grade_in_turn: list[float] = []

    def timed_grade(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return grade(*args, **kwargs)
        finally:
            grade_in_turn.append((time.perf_counter() - t) * 1000)

    svc = InterviewService(db, llm_name="offline", search=search, grader=timed_grade)
    embedder = get_embedder()
    collection = open_collection(index_dir)

    def raw(text: str) -> float:
        t = time.perf_counter()
        vec = embedder.embed([text])
        collection.query(query_embeddings=[vec[0].tolist()], n_results=5)
        return (time.perf_counter() - t) * 1000

    # The raw baseline is measured right after each turn on the same message, so both see the
    # same machine conditions (on a shared box the load can change within seconds).
    turn_ms: list[float] = []
    raw_ms: list[float] = []
    in_grade_ms: list[float] = []  # time inside grade() during each measured turn
    problems = TURN_PROBLEMS[:2] if quick else TURN_PROBLEMS
    for i, pid in enumerate(("visual-search", *problems)):  # the first is a warm-up
        problem = get_problem(pid)
        rubrics = {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}
        persona = make_persona("average", problem, rubrics, seed=i)
        view = svc.start(pid, user="bench")
        last, stage = list(view.turns), view.stage
        if i > 0:  # the problem's texts are embedded in the background once per process
            msg = persona.reply(stage, last)
            last = svc.respond(view.id, msg)  # (the prefetch waits for the model's first use)
            svc.engine.wait_prefetch(120)
            stage = last[-1].stage if last else stage
        for _ in range(60):
            msg = persona.reply(stage, last)
            graded_before = len(grade_in_turn)
            t = time.perf_counter()
            last = svc.respond(view.id, msg)
            ms = (time.perf_counter() - t) * 1000
            done = any(r.kind == "report" for r in last)
            if i > 0 and not done and msg.strip():  # the report turn is not a typical turn
                turn_ms.append(ms)
                raw_ms.append(raw(msg))
                in_grade_ms.append(sum(grade_in_turn[graded_before:]))
            if done:
                break
            stage = last[-1].stage if last else stage
    return {
        "turn_overhead_ms_p50": _p(turn_ms, 50),
        "turn_overhead_ms_p95": _p(turn_ms, 95),
        "raw_embed_query_ms_p50": _p(raw_ms, 50),
        "turns_measured": len(turn_ms),
        # Where the turn goes: grading the stage's merged answer (all answers so far).
        "turn_grade_ms_p50": _p(in_grade_ms, 50),
        "turn_grade_share": round(sum(in_grade_ms) / sum(turn_ms), 3) if turn_ms else None,
    }


def grade_ms(quick: bool) -> float | None:
    from interviewer.grading import grade
    from interviewer.rubrics.loader import get_problem

    items = _answers(TURN_PROBLEMS, 4 if quick else 7)
    ms = []
    for pid, stage, answer in items:
        t = time.perf_counter()
        grade(stage, answer, get_problem(pid))
        ms.append((time.perf_counter() - t) * 1000)
    return _p(ms, 50)


def prompt_tokens_fake_llm(db: Path) -> dict[str, Any]:
    """A full interview (weak candidate: the most turns) with the scripted fake LLM phrasing,
    clarifying and grading; the largest prompt, and early vs late halves of the interview."""
    from evals import fakes
    from evals.harness import Case, run_interview
    from evals.variants import Variant

    fakes.register()
    variant = Variant(name="bench-fake", provider=fakes.PROVIDER, model="fake-v1", retrieval_k=0)
    rec = run_interview(Case(variant, "weak", "video-recommendations", 0), db)
    if not rec.get("ok"):
        return {"max_prompt_tokens": None, "prompt_tokens_error": rec.get("error")}
    m = rec["metrics"]
    calls = list(rec["prompt_tokens_per_call"])
    half = len(calls) // 2
    return {
        "max_prompt_tokens": m["max_prompt_tokens"],
        "llm_calls": m["llm_calls"],
        "max_prompt_tokens_early": max(calls[:half], default=0),
        "max_prompt_tokens_late": max(calls[half:], default=0),
    }


def app_over_http(
    env: dict[str, str], data: Path, quick: bool, say: Callable[[str], None]
) -> dict[str, Any]:
    """The real app through a real HTTP client (evals/app_bench.py), its 20-client bursts
    paired with the service's (evals/burst.py); an app that does not start is reported, not
    fatal, and the service's bursts are then measured alone."""
    from evals.app_bench import app_bench
    from evals.burst import ServiceBurst, paired_bursts

    rounds = BURST_ROUNDS_QUICK if quick else BURST_ROUNDS
    service = ServiceBurst(data / "concurrent.db", 20, 2 if quick else 4)
    try:
        return app_bench(
            _interviewer_cmd(), env, _free_port(), data / "index", data, quick, say, service, rounds
        )
    except Exception as exc:
        out: dict[str, Any] = {"app_http_error": f"{type(exc).__name__}: {exc}"[:300]}
    say("  the service's bursts alone (the app did not run)")
    service.cross_talk.clear()
    return {**paired_bursts(service, None, rounds, say=say), **out}


def run_bench(quick: bool = False, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """All measurements; ``progress`` is called with a short note before each step."""
    from interviewer.settings import get_settings

    say = progress or (lambda _msg: None)
    settings = get_settings()
    corpus = sorted(settings.corpus_dir.glob("*.md"))
    if not corpus:
        from interviewer.errors import UserInputError

        raise UserInputError(f"no corpus files in {str(settings.corpus_dir)!r} to benchmark")
    paths = corpus[:4] if quick else corpus
    out: dict[str, Any] = {"quick": quick, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="interviewer-bench-") as tmp:
        data = Path(tmp)
        env = {
            **os.environ,
            "INTERVIEWER_DATA_DIR": str(data),
            "INTERVIEWER_INDEX_DIR": str(data / "index"),
            "INTERVIEWER_LLM": "offline",
        }
        say("interviewer --help (subprocess)")
        out["help_s"] = help_seconds(3 if quick else 7)
        say("ingest vs raw embedding throughput")
        from interviewer.ingest import ingest_paths, measure_ingest_throughput

        ing = measure_ingest_throughput(paths)
        out.update(
            {
                k: ing[k]
                for k in (
                    "ingest_chunks_per_s",
                    "raw_embed_chunks_per_s",
                    "chunks",
                    "reingest_seconds",
                )
            }
        )
        say("building the bench index")
        ingest_paths(paths, data / "index")
        say("app cold start (interviewer serve subprocess)")
        out["app_ready_s"], out["rss_mb_app_ready"], why = app_ready_seconds(env)
        if why:
            out["app_ready_error"] = why
        say("offline turn overhead vs embed + vector query")
        out.update(turn_overhead(data / "index", data / "turns.db", quick))
        say("grading latency")
        out["grade_ms_p50"] = grade_ms(quick)
        say("prompt tokens over a full interview (scripted fake LLM)")
        out.update(prompt_tokens_fake_llm(data / "fake.db"))
        say("the app over HTTP: one client beside the engine, payload per turn, 20-client bursts")
        out.update(app_over_http(env, data, quick, say))
        say("voice: model loads, speech and recognition vs real time")
        from evals.voice import voice_bench

        out.update(voice_bench(quick))
    out["rss_mb_peak"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    raw = out.get("raw_embed_query_ms_p50")
    turn = out.get("turn_overhead_ms_p50")
    out["turn_overhead_ratio"] = round(turn / raw, 3) if turn and raw else None
    ing_s, raw_s = out.get("ingest_chunks_per_s"), out.get("raw_embed_chunks_per_s")
    out["ingest_ratio"] = round(ing_s / raw_s, 3) if ing_s and raw_s else None
    out["targets"] = targets(out, settings.llm_max_prompt_tokens)
    return out


def targets(r: dict[str, Any], prompt_cap: int) -> dict[str, dict[str, Any]]:
    """Pass/fail per DESIGN.md performance target (None when a figure is missing)."""

    def check(value: Any, ok: Callable[[Any], bool], want: str) -> dict[str, Any]:
        return {"value": value, "target": want, "pass": None if value is None else ok(value)}

    early, late = r.get("max_prompt_tokens_early"), r.get("max_prompt_tokens_late")
    growth = round(late / early, 3) if early and late else None
    return {
        "turn_overhead_ratio": check(r.get("turn_overhead_ratio"), lambda v: v <= 3.0, "<= 3"),
        "turn_overhead_ms_p50": check(r.get("turn_overhead_ms_p50"), lambda v: v < 100, "< 100 ms"),
        "ingest_ratio": check(r.get("ingest_ratio"), lambda v: v >= 0.8, ">= 0.8"),
        "help_s": check(r.get("help_s"), lambda v: v < 0.5, "< 0.5 s"),
        "max_prompt_tokens": check(
            r.get("max_prompt_tokens"),
            lambda v: v <= prompt_cap,
            f"<= {prompt_cap} (llm_max_prompt_tokens)",
        ),
        "prompt_tokens_growth": check(
            growth, lambda v: v <= 1.25, "late/early max <= 1.25 (no growth with turns)"
        ),
        "cross_talk_sessions": check(
            r.get("cross_talk_sessions"), lambda v: v == 0, "0 (20 concurrent sessions a round)"
        ),
        "stt_rtf": check(r.get("stt_rtf"), lambda v: v <= 0.3, "<= 0.3 (well under real time)"),
        "tts_rtf": check(r.get("tts_rtf"), lambda v: v <= 0.2, "<= 0.2 (well under real time)"),
        "app_turn_ratio": check(
            r.get("app_turn_ratio"), lambda v: v <= 3.0, "<= 3 (app p50 / engine p50, 1 client)"
        ),
        "app_gradio_client_turn_ratio": check(
            r.get("app_gradio_client_turn_ratio"),
            lambda v: v <= 3.0,
            "<= 3 (the same through gradio_client, as the app issue asks)",
        ),
        "app_burst_ratio": check(
            r.get("app_burst_ratio"),
            lambda v: v <= 1.5,
            "<= 1.5 (app/service p95, median of paired rounds)",
        ),
        "app_payload_growth": check(
            payload_growth(r), lambda v: v <= 1.5, "last turn / turn 5 bytes <= 1.5 (flat)"
        ),
    }


def payload_growth(r: dict[str, Any]) -> float | None:
    early, late = r.get("app_payload_bytes_turn5"), r.get("app_payload_bytes_last_turn")
    return round(late / early, 2) if early and late else None


def table(r: dict[str, Any]) -> str:
    keys = (
        "turn_overhead_ms_p50",
        "turn_overhead_ms_p95",
        "raw_embed_query_ms_p50",
        "turn_overhead_ratio",
        "turn_grade_ms_p50",
        "turn_grade_share",
        "grade_ms_p50",
        "ingest_chunks_per_s",
        "raw_embed_chunks_per_s",
        "ingest_ratio",
        "reingest_seconds",
        "help_s",
        "app_ready_s",
        "rss_mb_peak",
        "rss_mb_app_ready",
        "max_prompt_tokens",
        "max_prompt_tokens_early",
        "max_prompt_tokens_late",
        "concurrent_turn_ms_p95",
        "cross_talk_sessions",
        "app_turn_ms_p50",
        "app_engine_turn_ms_p50",
        "app_turn_ratio",
        "app_gradio_client_turn_ms_p50",
        "app_gradio_client_turn_ratio",
        "app_burst20_turn_ms_p95",
        "burst_rounds",
        "app_burst_ratio_pooled",
        "app_burst_ratio",
        "app_payload_bytes_turn5",
        "app_payload_bytes_last_turn",
        "app_payload_last_turn",
        "stt_rtf",
        "stt_load_s",
        "tts_rtf",
        "tts_load_s",
    )
    lines = [f"{'measure':<26}{'value':>12}"]
    lines += [f"{k:<26}{_show(r.get(k)):>12}" for k in keys]
    lines += ["", f"{'target':<24}{'value':>10}  {'want':<48}result"]
    for k, t in r["targets"].items():
        res = {True: "PASS", False: "FAIL", None: "n/a"}[t["pass"]]
        lines.append(f"{k:<24}{_show(t['value']):>10}  {t['target']:<48}{res}")
    if r.get("app_ready_error"):
        lines.append(f"app_ready_error: {r['app_ready_error']}")
    if r.get("app_http_error"):
        lines.append(f"app_http_error: {r['app_http_error']}")
    return "\n".join(lines)


def _show(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if isinstance(v, float) else str(v)
