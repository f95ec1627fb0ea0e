"""Two ``interviewer serve`` replicas on two ports sharing one PostgreSQL database and one
``chroma run`` guide server, driven by gradio_client as a load balancer would spread browsers:

- an interview started on replica A carries on on replica B;
- A and B answering the same session at the same moment keep both messages;
- 20 concurrent clients, first all on A, then every turn on alternate replicas: no cross-talk,
  no lost turn; turns per second through two replicas vs one and p95 latency are printed;
- A killed with SIGKILL mid-interview: B has every turn A acknowledged, and carries on.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.pg_cluster import Cluster, GuideServer
from tests.test_ui_support import (
    SESSION,
    STAGE_ANSWERS,
    TOKEN,
    AppServer,
    chat_texts,
    client,
    last_text,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

UI_SECRET = "replica-test-secret-" + "0123456789abcdef" * 2
CLIENTS = 20
STAGES = ("requirements", "framing")


@dataclass
class Replicas:
    a: AppServer
    b: AppServer
    database_url: str


@pytest.fixture(scope="module")
def replicas(
    pg_cluster: Cluster, guide_server: GuideServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicas]:
    url = pg_cluster.create_database()
    env = {"INTERVIEWER_DATABASE_URL": url, "INTERVIEWER_UI_SECRET": UI_SECRET}
    env.update(guide_server.env())
    servers = []
    for name in ("a", "b"):  # separate data dirs: nothing is shared through local files
        data = tmp_path_factory.mktemp(f"replica-{name}")
        servers.append(AppServer(data, data / "no-local-index", **env))
    errors: list[BaseException] = []

    def start(server: AppServer) -> None:
        try:
            server.start(timeout=400)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        if errors:
            raise errors[0]
        yield Replicas(servers[0], servers[1], url)
    finally:
        for s in servers:
            s.stop()


def _turns(c: Any, token: str, sid: str) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = c.predict(token, sid, api_name="/get_transcript")["turns"]
    return turns


def test_an_interview_started_on_one_replica_continues_on_the_other(replicas: Replicas) -> None:
    a, b = client(replicas.a.url), client(replicas.b.url)
    out = a.predict("", "video-recommendations", "offline", api_name="/start_interview")
    token, sid = out[TOKEN], out[SESSION]
    out = a.predict(token, sid, STAGE_ANSWERS["requirements"], api_name="/send_message")
    shown_on_a = chat_texts(out)
    out = b.predict(token, sid, api_name="/resume_session")
    assert (out[TOKEN], out[SESSION]) == (token, sid) and chat_texts(out) == shown_on_a
    out = b.predict(token, sid, STAGE_ANSWERS["framing"], api_name="/send_message")
    assert not last_text(out).startswith("⚠️") and chat_texts(out)[: len(shown_on_a)] == shown_on_a
    assert _turns(a, token, sid) == _turns(b, token, sid)
    assert sid in [r[0] for r in a.predict(token, api_name="/list_sessions")[1]["data"]]


def test_both_replicas_answering_one_session_at_once_keep_both(replicas: Replicas) -> None:
    a, b = client(replicas.a.url), client(replicas.b.url)
    out = a.predict("", "feed-ranking", "offline", api_name="/start_interview")
    token, sid = out[TOKEN], out[SESSION]
    before = len(_turns(a, token, sid))
    messages = {
        "a": "FROM-A: " + STAGE_ANSWERS["requirements"],
        "b": "FROM-B: we should clarify the latency budget and the number of daily users first.",
    }
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def send(name: str, c: Any) -> None:
        barrier.wait()
        results[name] = c.predict(token, sid, messages[name], api_name="/send_message")

    threads = [threading.Thread(target=send, args=x) for x in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("a", "b"):
        assert not last_text(results[name]).startswith("⚠️"), last_text(results[name])
    turns = _turns(b, token, sid)
    candidate = [t["text"] for t in turns if t["role"] == "candidate"]
    assert sorted(candidate) == sorted(messages.values())  # each once, neither lost
    assert len(turns) > before + 2 and _turns(a, token, sid) == turns


def _interview(urls: list[str], worker: int, clients: dict[str, Any]) -> dict[str, Any]:
    """One candidate: start, then one answer per stage, turn j on replica (worker + j) % n."""
    marker = f"MARKER-{worker:02d}"
    first = clients[urls[worker % len(urls)]]
    out = first.predict("", "random", "offline", api_name="/start_interview")
    token, sid = out[TOKEN], out[SESSION]
    latencies = []
    for j, stage in enumerate(STAGES):
        c = clients[urls[(worker + j + 1) % len(urls)]]
        t0 = time.perf_counter()
        answer = f"{marker} turn {j}: {STAGE_ANSWERS[stage]}"
        out = c.predict(token, sid, answer, api_name="/send_message")
        latencies.append(time.perf_counter() - t0)
        assert not last_text(out).startswith("⚠️"), last_text(out)
        if j < len(STAGES) - 1:
            c.predict(token, sid, api_name="/next_stage")
    transcript = first.predict(token, sid, api_name="/get_transcript")
    return {"marker": marker, "sid": sid, "transcript": transcript, "latencies": latencies}


def _load(urls: list[str]) -> dict[str, Any]:
    per_worker = [{u: client(u) for u in urls} for _ in range(CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(lambda i: _interview(urls, i, per_worker[i]), range(CLIENTS)))
    wall = time.perf_counter() - started
    assert len({r["sid"] for r in results}) == CLIENTS
    markers = {r["marker"] for r in results}
    for r in results:
        candidate = [t["text"] for t in r["transcript"]["turns"] if t["role"] == "candidate"]
        assert len(candidate) == len(STAGES)  # no lost turn
        assert all(text.startswith(f"{r['marker']} turn {j}:") for j, text in enumerate(candidate))
        everything = " ".join(t["text"] for t in r["transcript"]["turns"])
        assert not [m for m in markers - {r["marker"]} if m in everything]  # no cross-talk
    latencies = sorted(x for r in results for x in r["latencies"])
    # Every request through the app is counted: start, answers, stage moves, transcript.
    requests = CLIENTS * (1 + len(STAGES) + (len(STAGES) - 1) + 1)
    return {
        "replicas": len(urls),
        "clients": CLIENTS,
        "answer_turns": len(latencies),
        "requests": requests,
        "wall_s": round(wall, 2),
        "answer_turns_per_s": round(len(latencies) / wall, 2),
        "requests_per_s": round(requests / wall, 2),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[-1] * 1000),
    }


def test_twenty_clients_over_two_replicas_vs_one(replicas: Replicas, tmp_path: Path) -> None:
    one = _load([replicas.a.url])
    two = _load([replicas.a.url, replicas.b.url])
    figures = {"one_replica": one, "two_replicas": two}
    (tmp_path / "replica-figures.json").write_text(json.dumps(figures, indent=2))
    print("\nreplica load (same run):\n" + json.dumps(figures, indent=2))


def test_a_replica_killed_mid_interview_loses_no_acknowledged_turn(replicas: Replicas) -> None:
    a = client(replicas.a.url)
    out = a.predict("", "fraud-detection", "offline", api_name="/start_interview")
    token, sid = out[TOKEN], out[SESSION]
    for stage in STAGES[:2]:
        out = a.predict(token, sid, STAGE_ANSWERS[stage], api_name="/send_message")
        assert not last_text(out).startswith("⚠️")
    acknowledged = chat_texts(out)  # everything the candidate has been shown by A
    replicas.a.kill()
    assert replicas.a.proc is not None and replicas.a.proc.returncode == -9
    b = client(replicas.b.url)
    out = b.predict(token, sid, api_name="/resume_session")
    assert chat_texts(out) == acknowledged
    out = b.predict(token, sid, STAGE_ANSWERS["data"], api_name="/send_message")
    assert chat_texts(out)[: len(acknowledged)] == acknowledged
    assert ("user", STAGE_ANSWERS["data"]) in chat_texts(out)
