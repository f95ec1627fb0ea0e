"""A server killed mid-interview (SIGKILL) and restarted on the same data dir resumes the session
with every turn the client had been shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_ui_support import (
    SESSION,
    STAGE_ANSWERS,
    TOKEN,
    AppServer,
    chat_texts,
    client,
    last_text,
    shared_index,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_killed_server_resumes_every_acknowledged_turn(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    index = shared_index(tmp_path_factory)
    data: Path = tmp_path_factory.mktemp("ui-restart-data")
    first = AppServer(data, index).start()
    try:
        c = client(first.url)
        out = c.predict("", "people-you-may-know", "offline", api_name="/start_interview")
        token, sid = out[TOKEN], out[SESSION]
        for answer in (STAGE_ANSWERS["requirements"], STAGE_ANSWERS["framing"]):
            out = c.predict(token, sid, answer, api_name="/send_message")
            assert not last_text(out).startswith("⚠️")
        acknowledged = chat_texts(out)  # everything the candidate has been shown
        transcript = c.predict(token, sid, api_name="/get_transcript")
    finally:
        first.kill()  # no shutdown hooks, no flush: a crash
    assert first.proc is not None and first.proc.returncode == -9

    second = AppServer(data, index, port=first.port).start()
    try:
        c2 = client(second.url)
        out = c2.predict(token, sid, api_name="/resume_session")
        assert out[SESSION] == sid and out[TOKEN] == token
        assert chat_texts(out) == acknowledged
        assert c2.predict(token, sid, api_name="/get_transcript") == transcript
        # ...and the interview carries on from where it stopped.
        out = c2.predict(token, sid, STAGE_ANSWERS["data"], api_name="/send_message")
        assert chat_texts(out)[: len(acknowledged)] == acknowledged
        assert ("user", STAGE_ANSWERS["data"]) in chat_texts(out)
        after = c2.predict(token, sid, api_name="/get_transcript")
        assert len(after["turns"]) > len(transcript["turns"])
        assert after["turns"][: len(transcript["turns"])] == transcript["turns"]
    finally:
        second.stop()
