"""A minimal HTTP client for the running app's API (Gradio's documented ``/gradio_api/call``
protocol: POST the inputs, then read the event's server-sent stream), counting the bytes each
call brings back. ``interviewer bench`` and the UI tests use it to see what a turn costs over
HTTP: latency and payload (which must not grow with the transcript).
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class CallResult:
    data: list[Any]  # the outputs of the last message (the event's final state)
    bytes: int  # every byte of the event stream (all streamed updates), headers excluded
    seconds: float


class AppCallError(RuntimeError):
    pass


def call(
    base_url: str,
    api_name: str,
    *args: Any,
    timeout: float = 300.0,
    session_hash: str | None = None,
) -> CallResult:
    """One call; ``session_hash`` keeps Gradio's per-session state across calls, as a page (or
    gradio_client) does: without one, every call builds a new session's component config."""
    base = base_url.rstrip("/")
    t0 = time.perf_counter()
    request: dict[str, Any] = {"data": list(args)}
    if session_hash:
        request["session_hash"] = session_hash
    body = json.dumps(request).encode()
    req = urllib.request.Request(
        f"{base}/gradio_api/call/{api_name}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        event_id = json.loads(resp.read())["event_id"]
    total = 0
    event = ""
    data: list[Any] | None = None
    with urllib.request.urlopen(
        f"{base}/gradio_api/call/{api_name}/{event_id}", timeout=timeout
    ) as stream:
        for raw in stream:
            total += len(raw)
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                payload = line[5:].strip()
                if event == "error":
                    raise AppCallError(f"{api_name}: {payload[:300]}")
                if event in ("complete", "generating"):
                    parsed = json.loads(payload)
                    data = parsed if isinstance(parsed, list) else [parsed]
                if event == "complete":
                    break
    if data is None:
        raise AppCallError(f"{api_name}: the stream ended without a result")
    return CallResult(data, total, time.perf_counter() - t0)
