"""Voice in the real app: an audio answer through the Gradio API (gradio_client with a file),
and Chromium's fake microphone recording a spoken answer into the answer box.

Set ``INTERVIEWER_UI_SCREENSHOTS=DIR`` to keep the screenshot (a spoken answer transcribed and
a spoken reply playing).
"""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evals.voice import word_errors
from tests.test_ui_support import SESSION, TOKEN, AppServer, client, last_text, shared_index

CHROMIUM = Path("/usr/bin/chromium")
ANSWER = "The business goal is to reduce fraud losses without declining legitimate payments."

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
# The reply player's play/pause button reads "pause" while a clip plays.
PLAYING = (
    "() => { const b = document.querySelector('#voice-reply button.play-pause-button');"
    " return !!b && /pause/i.test(b.getAttribute('aria-label') || ''); }"
)
LOADED = (
    "() => { const d = document.querySelector('#voice-reply #duration')?.innerText;"
    " return !!d && d !== '0:00'; }"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    index = shared_index(tmp_path_factory)
    app = AppServer(tmp_path_factory.mktemp("ui-voice-data"), index).start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def answer_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The answer in our own voice with a little silence around it (16-bit PCM WAV, which is
    also what Chromium's fake capture device needs)."""
    from interviewer.voice import speak

    speech = speak(ANSWER)
    rate = speech.sample_rate
    pad = np.zeros(int(0.5 * rate), dtype=np.int16)
    tail = np.zeros(int(2.0 * rate), dtype=np.int16)
    path = tmp_path_factory.mktemp("voice-ui") / "answer.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate([pad, speech.samples, tail]).tobytes())
    return path


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / float(w.getframerate())


def test_audio_answer_through_the_api(server: AppServer, answer_wav: Path) -> None:
    from gradio_client import handle_file

    api = client(server.url)
    names = set(api.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/transcribe_answer", "/speak_reply"} <= names
    out = api.predict("", "fraud-detection", "offline", api_name="/start_interview")
    token, sid = out[TOKEN], out[SESSION]
    assert sid

    # Typed words stay; the transcript is appended for the candidate to edit, then Send.
    box, mic = api.predict(
        token, sid, handle_file(str(answer_wav)), "To start:", api_name="/transcribe_answer"
    )
    assert box.startswith("To start: ") and mic is None
    assert word_errors(ANSWER, box.removeprefix("To start: "))[0] <= 2, box

    # Silence adds nothing and keeps nothing.
    quiet = answer_wav.with_name("quiet.wav")
    with wave.open(str(quiet), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(16000 * 3, dtype=np.int16).tobytes())
    same, _ = api.predict(token, sid, handle_file(str(quiet)), box, api_name="/transcribe_answer")
    assert same == box

    reply = api.predict(token, sid, box, api_name="/send_message")
    assert last_text(reply).strip()

    # The recording is in the data dir, linked to the answer it became.
    folder = server.data_dir / "audio" / sid
    recordings = sorted(folder.glob("*.wav"))
    assert len(recordings) == 1
    from interviewer.session.service import InterviewService

    svc = InterviewService(db_path=server.data_dir / "sessions.db", llm_name="offline")
    turns = svc.transcript(sid, full=True)["turns"]
    answer = [t for t in turns if t["role"] == "candidate"][-1]
    assert answer["text"] == box
    assert [a["file"] for a in answer["audio"]] == [f"audio/{sid}/{recordings[0].name}"]
    assert answer["audio"][0]["transcript"] in box
    before_report = api.predict(token, sid, api_name="/get_transcript")
    assert all("audio" not in t for t in before_report["turns"])  # provenance stays hidden

    # The interviewer's reply, spoken.
    spoken = api.predict(token, sid, True, api_name="/speak_reply")
    assert spoken and _wav_seconds(Path(spoken)) > 1.0
    assert api.predict(token, sid, False, api_name="/speak_reply") is None


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium "
    "(apt-get install -y chromium; `make test` tries this)",
)
def _start_fraud_interview(page: Any, url: str) -> None:
    """Open the app, start the fraud interview and wait for its first question."""
    page.goto(url, wait_until="load")
    page.locator("#start-btn").wait_for(timeout=60_000)
    page.locator("#problem-choice input").fill("fraud")
    page.get_by_role("option", name="Payment fraud detection").first.click()
    page.locator("#start-btn").click()
    page.locator('#chat [data-testid="bot"]').first.wait_for(timeout=120_000)


def test_fake_microphone_answer_in_the_browser(
    server: AppServer, answer_wav: Path, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={answer_wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    external: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            ctx = browser.new_context(
                viewport={"width": 1400, "height": 1100}, permissions=["microphone"]
            )
            page = ctx.new_page()
            page.route("**/*", route)
            _start_fraud_interview(page, server.url)

            # Spoken replies on (a user gesture, so autoplay is allowed): the question plays.
            page.locator("#speak-toggle input").check()
            page.wait_for_function(PLAYING, timeout=120_000)
            page.wait_for_function(LOADED, timeout=60_000)
            question_length = page.locator("#voice-reply #duration").inner_text()

            # Record for the length of the file, stop: the transcript lands in the answer box.
            page.locator("#mic button.record-button").click()
            page.wait_for_timeout(int(_wav_seconds(answer_wav) * 1000) + 500)
            page.locator("#mic button.stop-button").click()
            page.wait_for_function(
                "() => document.querySelector('#answer-box textarea').value.includes('fraud')",
                timeout=180_000,
            )
            box = page.locator("#answer-box textarea").input_value()
            assert word_errors(ANSWER, box)[0] <= 3, box

            # Send: the reply arrives and is spoken (a new clip, not the question's).
            page.locator("#send-btn").click()
            page.wait_for_function(
                "() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length >= 2",
                timeout=180_000,
            )
            page.wait_for_function(
                "q => { const d = document.querySelector('#voice-reply #duration')?.innerText;"
                " return !!d && d !== q && d !== '0:00'; }",
                arg=question_length,
                timeout=120_000,
            )
            page.wait_for_function(PLAYING, timeout=120_000)
            user_text = page.locator('#chat [data-testid="user"]').last.inner_text()
            assert "fraud" in user_text.lower()
            page.wait_for_timeout(1200)
            shot = tmp_path / "ui_voice_answer.png"
            page.screenshot(path=str(shot), full_page=True)
            keep = os.environ.get("INTERVIEWER_UI_SCREENSHOTS")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(keep) / shot.name)
            print(f"\nscreenshot: {shot}")
            assert external == [], f"the page fetched external resources: {external}"
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_replies_are_voiced_only_when_speech_is_on(server: AppServer) -> None:
    """Speech off: a turn is the turn's request alone (the page asks for no voice). On: the
    page asks for the reply's voice and it plays."""
    import json
    import urllib.request

    sync_api = pytest.importorskip("playwright.sync_api")
    with urllib.request.urlopen(server.url + "config", timeout=30) as resp:
        config = json.loads(resp.read())
    player = [c["id"] for c in config["components"] if c["props"].get("elem_id") == "voice-reply"]
    # Every server event that voices something (whichever event it follows): it fills the player.
    speak_fns = {d["id"] for d in config["dependencies"] if set(player) & set(d["outputs"])}
    assert len(player) == 1 and speak_fns
    joined: list[int] = []

    def on_request(request: Any) -> None:
        if "/queue/join" in request.url and request.post_data:
            joined.append(json.loads(request.post_data).get("fn_index"))

    def voiced() -> int:
        return len([f for f in joined if f in speak_fns])

    def send(text: str) -> None:
        """Enter sends; waits until the reply has replaced the page's '…'."""
        page.locator("#answer-box textarea").fill(text)
        page.keyboard.press("Enter")
        page.wait_for_function(
            """(sent) => {
              const users = [...document.querySelectorAll('#chat [data-testid="user"]')];
              const bots = [...document.querySelectorAll('#chat [data-testid="bot"]')];
              return users.some(u => u.innerText.includes(sent))
                && !bots.some(b => b.innerText.trim() === '…');
            }""",
            arg=text,
            timeout=180_000,
        )

    args = ["--headless", "--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on("request", on_request)
            _start_fraud_interview(page, server.url)
            assert not page.locator("#speak-now").is_visible()

            send("How many transactions a day do we see?")
            page.wait_for_timeout(2000)  # anything chained after the turn has been sent by now
            assert joined and voiced() == 0, joined

            page.locator("#speak-toggle input").check()  # speaks the latest reply
            page.wait_for_function(PLAYING, timeout=120_000)
            assert voiced() == 1, joined
            send("What latency budget do we have?")
            for _ in range(240):
                if voiced() > 1:
                    break
                page.wait_for_timeout(250)
            page.wait_for_timeout(1000)
            assert voiced() == 2, joined
            page.wait_for_function(PLAYING, timeout=120_000)
        finally:
            browser.close()
