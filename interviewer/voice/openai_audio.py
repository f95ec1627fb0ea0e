"""Speech engines behind an OpenAI-style audio API (OpenAI, or a local server speaking it).

Opt-in by setting (``INTERVIEWER_STT=openai`` / ``INTERVIEWER_TTS=openai``); the offline
engines stay the default. Uses the ``openai`` client the LLM providers already depend on.
"""

from __future__ import annotations

import io
import wave
from typing import Any

import numpy as np

from interviewer.voice.types import SAMPLE_RATE, Progress, Segment


def _client(base_url: str | None, api_key: str | None, timeout: float) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout)


def _wav(samples: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return buf.getvalue()


class OpenAISTT:
    """``POST /audio/transcriptions`` (``whisper-1``, ``gpt-4o-transcribe``, a local server)."""

    def __init__(
        self,
        model: str = "whisper-1",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        client: Any = None,
    ) -> None:
        self.model = model
        self.name = f"openai-stt:{model}"
        self._client = client
        self._args = (base_url, api_key, timeout)

    def load(self) -> None:
        if self._client is None:
            self._client = _client(*self._args)

    def transcribe(
        self, audio: np.ndarray, *, prompt: str = "", progress: Progress | None = None
    ) -> list[Segment]:
        self.load()
        data = _wav(audio, SAMPLE_RATE)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "file": ("answer.wav", data),
            "language": "en",
        }
        if prompt:
            kwargs["prompt"] = prompt
        result = self._client.audio.transcriptions.create(**kwargs)
        if progress is not None:
            progress(1.0)
        text = str(getattr(result, "text", result) or "").strip()
        return [Segment(0.0, audio.size / SAMPLE_RATE, text)] if text else []


class OpenAITTS:
    """``POST /audio/speech`` returning WAV (``tts-1``/``gpt-4o-mini-tts``, a local server)."""

    def __init__(
        self,
        model: str = "tts-1",
        voice: str = "alloy",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        client: Any = None,
    ) -> None:
        self.model = model
        self.voice = voice
        self.name = f"openai-tts:{model}:{voice}"
        self._client = client
        self._args = (base_url, api_key, timeout)

    def load(self) -> None:
        if self._client is None:
            self._client = _client(*self._args)

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        self.load()
        resp = self._client.audio.speech.create(
            model=self.model, voice=self.voice, input=text, response_format="wav"
        )
        data = resp.read() if hasattr(resp, "read") else bytes(resp.content)
        with wave.open(io.BytesIO(data), "rb") as w:
            rate = w.getframerate()
            frames = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            if w.getnchannels() > 1:
                frames = frames.reshape(-1, w.getnchannels()).mean(axis=1).astype(np.int16)
        return frames, rate
