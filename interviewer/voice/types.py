"""What the voice layer hands around: transcripts, synthesized speech, and the two engine shapes.

Engines see plain arrays (16 kHz mono float32 in, int16 mono out); decoding files and writing
WAVs lives in :mod:`interviewer.voice.audio`, so a new engine only does recognition or speech.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from interviewer.errors import UserInputError

SAMPLE_RATE = 16_000  # what every speech-to-text engine here is given

Progress = Callable[[float], None]  # fraction of the audio done, 0..1


class AudioError(UserInputError):
    """A file or upload that is not audio we can decode (or holds no samples at all)."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


@dataclass(frozen=True)
class Transcript:
    text: str
    audio_seconds: float  # length of the audio
    seconds: float  # compute time (decode + recognition)
    engine: str = ""
    prompt: str = ""  # the vocabulary hint recognition was given ("" for none)
    segments: tuple[Segment, ...] = ()

    @property
    def rtf(self) -> float:
        return self.seconds / self.audio_seconds if self.audio_seconds > 0 else 0.0

    def to_dict(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if file is None else {"file": file}
        out.update(
            text=self.text,
            audio_seconds=round(self.audio_seconds, 3),
            seconds=round(self.seconds, 3),
        )
        return out


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # int16, mono
    sample_rate: int
    seconds: float = 0.0  # compute time
    engine: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def audio_seconds(self) -> float:
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0

    @property
    def rtf(self) -> float:
        return self.seconds / self.audio_seconds if self.audio_seconds > 0 else 0.0

    def wav_bytes(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(int(self.sample_rate))
            w.writeframes(np.asarray(self.samples, dtype=np.int16).tobytes())
        return buf.getvalue()

    def write_wav(self, path: Path | str) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(self.wav_bytes())
        return out


class SpeechToText(Protocol):
    """A recognizer: ``load`` once (idempotent), then ``transcribe`` 16 kHz mono float32."""

    name: str

    def load(self) -> None: ...

    def transcribe(
        self, audio: np.ndarray, *, prompt: str = "", progress: Progress | None = None
    ) -> list[Segment]: ...


class TextToSpeech(Protocol):
    """A voice: ``load`` once (idempotent), then ``synthesize`` text to int16 samples."""

    name: str

    def load(self) -> None: ...

    def synthesize(self, text: str) -> tuple[np.ndarray, int]: ...
