"""The real app driven through its API by gradio_client: a whole interview, bad input, isolation,
and 20 concurrent clients without cross-talk (p95 turn latency printed, not asserted)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from evals.app_client import call
from tests.test_ui_support import (
    CHART,
    CITATIONS,
    DOWNLOAD_JSON,
    DOWNLOAD_MD,
    REPORT,
    SESSION,
    STAGE_ANSWERS,
    TOKEN,
    TURN_BOX,
    TURN_TRACKER,
    VERDICT,
    AppServer,
    chat_texts,
    client,
    download_path,
    last_text,
    read_json,
    shared_index,
)
from ui.render import REPORT_POINTER

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    index = shared_index(tmp_path_factory)
    app = AppServer(tmp_path_factory.mktemp("ui-api-data"), index).start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def api(server: AppServer) -> Any:
    return client(server.url)


def _start(c: Any, problem: str = "feed-ranking", token: str = "") -> tuple[Any, ...]:
    out = c.predict(token, problem, "offline", api_name="/start_interview")
    assert out[SESSION], f"no session started: {chat_texts(out)}"
    return tuple(out)


def test_api_endpoints_are_named(api: Any) -> None:
    names = set(api.view_api(return_format="dict", print_info=False)["named_endpoints"])
    for name in (
        "start_interview",
        "send_message",
        "next_stage",
        "end_interview",
        "get_transcript",
        "resume_session",
        "list_sessions",
        "open_session",
    ):
        assert f"/{name}" in names
    # No coach password configured for this server: no coach endpoint exists at all.
    assert not any(n.startswith("/coach") for n in names)


def _current_stage(api: Any, token: str, sid: str) -> str:
    return str(api.predict(token, sid, api_name="/get_transcript")["turns"][-1]["stage"])


def test_whole_interview_over_the_api(api: Any) -> None:
    out = _start(api)
    token, sid = out[TOKEN], out[SESSION]
    assert len(token) == 32 and chat_texts(out)[0][0] == "assistant"
    answered: list[str] = []
    for _ in range(20):  # the interviewer may also move on by itself after a full answer
        stage = _current_stage(api, token, sid)
        if stage not in STAGE_ANSWERS:
            break
        answer = STAGE_ANSWERS[stage]
        out = api.predict(token, sid, answer, api_name="/send_message")
        answered.append(answer)
        assert answer in [t for r, t in chat_texts(out) if r == "user"]
        assert not last_text(out).startswith("⚠️"), last_text(out)
        # Before the report: the tracker shows stages and time, never a score; the transcript
        # carries no report and no grading metadata.
        # A turn sends the chat, the tracker and the flow line, never the report's parts.
        assert len(out) == TURN_BOX + 1 and "score" not in out[TURN_TRACKER].lower()
        before = api.predict(token, sid, api_name="/get_transcript")
        assert before["report"] is None and before["session_id"] == sid
        assert all(
            set(t) <= {"role", "stage", "kind", "text", "timestamp"} for t in before["turns"]
        )
        if _current_stage(api, token, sid) == stage:
            out = api.predict(token, sid, api_name="/next_stage")
    assert _current_stage(api, token, sid) == "wrapup"
    assert {t["stage"] for t in before["turns"]} >= set(STAGE_ANSWERS)
    out = api.predict(token, sid, api_name="/end_interview")
    assert chat_texts(out)[-1] == ("assistant", REPORT_POINTER)
    # The report's layout: verdict (with the score table) first, then the chart, whose alt
    # text carries the scores, then the sections, folded, and the cited passages.
    verdict = out[VERDICT]["value"]
    assert "report" in verdict.lower() and "| Stage" in verdict and out[VERDICT]["visible"]
    assert out[CHART]["visible"] is True and "alt='Score per stage, 0 to 4: " in out[CHART]["value"]
    assert "<details class='report-section' open>" in out[REPORT]
    cites = [c[0] for c in out[CITATIONS]["choices"]]
    assert cites and cites[0].startswith("[1] ")
    passage = api.predict(token, sid, cites[0], api_name="/open_citation")
    assert passage.startswith("**[1] ") and "\n## " in passage and "<!--" not in passage
    transcript = api.predict(token, sid, api_name="/get_transcript")
    report = transcript["report"]
    assert report and 0 <= report["overall"] <= 4
    assert set(report["stages"]) == set(STAGE_ANSWERS)
    assert transcript["turns"][-1]["kind"] == "report"
    candidate = [t["text"] for t in transcript["turns"] if t["role"] == "candidate"]
    assert candidate == answered and set(candidate) == set(STAGE_ANSWERS.values())
    md, js = download_path(out[DOWNLOAD_MD]), download_path(out[DOWNLOAD_JSON])
    assert md is not None and js is not None
    assert "Interview report" in md.read_text(encoding="utf-8")
    assert read_json(js)["report"]["overall"] == report["overall"]
    # A finished session shows its score in the history list, and takes no more answers.
    listing = api.predict(token, api_name="/list_sessions")
    rows = listing[1]["data"]
    assert listing[3] is not None  # the progress chart
    row = next(r for r in rows if r[0] == sid)
    assert row[2] == "finished" and row[4] != ""
    # The history tab reopens it read-only, with its report; other browsers cannot.
    chat, report_md, chart, verdict, _ = api.predict(token, sid, api_name="/open_session")
    assert [m for m in chat if m["role"] == "user"] and "| Stage" in verdict
    assert "<details" in report_md and chart and "alt=" in chart
    stranger = api.predict("", "random", "offline", api_name="/start_interview")[TOKEN]
    chat, report_md, chart, _, _ = api.predict(stranger, sid, api_name="/open_session")
    assert "unknown session" in chat[-1]["content"][0]["text"] and report_md == ""
    assert chart is None
    out = api.predict(token, sid, "one more thing", api_name="/send_message")
    assert "finished" in last_text(out)


def test_bad_input_gets_a_friendly_note_and_loses_nothing(api: Any) -> None:
    out = _start(api, "fraud-detection")
    token, sid = out[TOKEN], out[SESSION]
    out = api.predict(token, sid, STAGE_ANSWERS["requirements"], api_name="/send_message")
    turns = api.predict(token, sid, api_name="/get_transcript")["turns"]
    cases = {
        "": "empty",
        "   \n\t ": "empty",
        "x" * 100_000: "characters",
        "\x00\x01\x02\xff\xfe\x7f" * 200: "binary",
    }
    for bad, expected in cases.items():
        out = api.predict(token, sid, bad, api_name="/send_message")
        note = last_text(out)
        assert note.startswith("⚠️") and expected in note, note
        assert "Traceback" not in note
        assert api.predict(token, sid, api_name="/get_transcript")["turns"] == turns
    # The long answer stays in the box to be shortened; binary garbage is cleared.
    assert len(api.predict(token, sid, "y" * 100_000, api_name="/send_message")[-1]) == 100_000
    # ...and the session carries on normally.
    out = api.predict(token, sid, STAGE_ANSWERS["framing"], api_name="/send_message")
    assert not last_text(out).startswith("⚠️")


def test_history_deletes_only_your_own_session(api: Any) -> None:
    out = _start(api, "fraud-detection")
    token, sid = out[TOKEN], out[SESSION]
    api.predict(token, sid, STAGE_ANSWERS["requirements"], api_name="/send_message")
    stranger = _start(api)[TOKEN]
    listing = api.predict(stranger, sid, api_name="/delete_session")
    assert sid not in [r[0] for r in listing[1]["data"]]
    assert api.predict(token, sid, api_name="/get_transcript")["session_id"] == sid  # kept
    listing = api.predict(token, sid, api_name="/delete_session")
    assert sid not in [r[0] for r in listing[1]["data"]]
    assert "error" in api.predict(token, sid, api_name="/get_transcript")


def test_payload_per_turn_does_not_grow_with_the_transcript(server: AppServer) -> None:
    """Bytes of each send_message event stream (raw HTTP, evals.app_client): the chat shows
    the current part of the interview, so turn 40 costs what turn 20 did."""
    questions = [
        "How many daily active users are there?",
        "What latency budget do we have?",
        "What data do we log today?",
        "Are there privacy constraints?",
    ]
    started = call(server.url, "start_interview", "", "feed-ranking", "offline").data
    sizes = {}
    for i in range(1, 41):
        res = call(server.url, "send_message", started[0], started[1], questions[i % 4])
        sizes[i] = res.bytes
    early = max(sizes[i] for i in range(11, 21))
    late = max(sizes[i] for i in range(31, 41))
    print(f"\npayload per turn: turn 5 {sizes[5]} B, turn 40 {sizes[40]} B")
    assert late <= 1.25 * early, sizes
    assert sizes[40] <= 3 * sizes[5], sizes


def test_sessions_are_isolated_per_browser(api: Any) -> None:
    mine = _start(api)
    other = _start(api)
    token, sid = mine[TOKEN], mine[SESSION]
    assert other[TOKEN] != token
    # Another browser's token cannot read, answer, advance or end my session.
    for endpoint, args in (
        ("/send_message", (sid, "hello")),
        ("/next_stage", (sid,)),
        ("/end_interview", (sid,)),
        ("/resume_session", (sid,)),
    ):
        out = api.predict(other[TOKEN], *args, api_name=endpoint)
        assert "unknown session" in last_text(out), endpoint
        # A turn's result carries no session id at all (chat, tracker, flow, answer box).
        assert len(out) == TURN_BOX + 1 if endpoint == "/send_message" else out[SESSION] == ""
    assert "error" in api.predict(other[TOKEN], sid, api_name="/get_transcript")
    # Made-up identities (e.g. the CLI's "local" user) are refused, not adopted.
    for fake in ("local", "web-" + "0" * 24, "../" + token):
        out = api.predict(fake, sid, "hi", api_name="/send_message")
        assert "unknown session" in last_text(out) and fake not in str(out)
    listed = api.predict(other[TOKEN], api_name="/list_sessions")[1]["data"]
    assert sid not in [r[0] for r in listed]
    assert api.predict(token, sid, api_name="/get_transcript")["session_id"] == sid


def _short_interview(url: str, worker: int) -> dict[str, Any]:
    c = client(url)
    marker = f"MARKER-{worker:02d}"
    out = c.predict("", "random", "offline", api_name="/start_interview")
    token, sid = out[TOKEN], out[SESSION]
    latencies = []
    for j, stage in enumerate(("requirements", "framing", "data")):
        t0 = time.perf_counter()
        out = c.predict(
            token, sid, f"{marker} turn {j}: {STAGE_ANSWERS[stage]}", api_name="/send_message"
        )
        latencies.append(time.perf_counter() - t0)
        if j < 2:
            c.predict(token, sid, api_name="/next_stage")
    c.predict(token, sid, api_name="/end_interview")
    transcript = c.predict(token, sid, api_name="/get_transcript")
    return {"marker": marker, "sid": sid, "transcript": transcript, "latencies": latencies}


def test_twenty_concurrent_clients_do_not_cross_talk(server: AppServer) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: _short_interview(server.url, i), range(20)))
    assert len({r["sid"] for r in results}) == 20
    markers = {r["marker"] for r in results}
    for r in results:
        candidate = [t["text"] for t in r["transcript"]["turns"] if t["role"] == "candidate"]
        assert len(candidate) == 3
        assert all(r["marker"] in text for text in candidate)
        everything = " ".join(t["text"] for t in r["transcript"]["turns"])
        assert not [m for m in markers - {r["marker"]} if m in everything]
        assert r["transcript"]["report"] is not None
    latencies = sorted(x for r in results for x in r["latencies"])
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"\n20 concurrent UI clients: {len(latencies)} turns, "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
