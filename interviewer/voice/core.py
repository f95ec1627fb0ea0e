"""``transcribe`` and ``speak``: one recognizer and one voice per process, loaded on first use.

Engines are chosen by :class:`~interviewer.voice.settings.VoiceSettings`; tests and other
callers can install their own with :func:`set_engines`. Load times are kept for the bench.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import numpy as np

from interviewer.voice.audio import as_samples
from interviewer.voice.types import (
    SAMPLE_RATE,
    Progress,
    Speech,
    SpeechToText,
    TextToSpeech,
    Transcript,
)
from interviewer.voice.vocabulary import stage_prompt

_lock = threading.Lock()
_stt: SpeechToText | None = None
_tts: TextToSpeech | None = None
LOAD_SECONDS: dict[str, float] = {}  # "stt" / "tts" -> seconds the first load took
MAX_SPOKEN_CHARS = 4000  # a reply longer than this is cut at a sentence (reports: see below)


def _build_stt() -> SpeechToText:
    from interviewer.voice.settings import VoiceSettings

    cfg = VoiceSettings()
    if cfg.stt == "openai":
        from interviewer.voice.openai_audio import OpenAISTT

        key = cfg.openai_api_key.get_secret_value() if cfg.openai_api_key else None
        return OpenAISTT(
            cfg.stt_model or "whisper-1",
            base_url=cfg.voice_base_url or cfg.openai_base_url,
            api_key=key,
        )
    from interviewer.voice.whisper import FasterWhisperSTT

    return FasterWhisperSTT(cfg.stt_model, threads=cfg.stt_threads, beam_size=cfg.stt_beam_size)


def _build_tts() -> TextToSpeech:
    from interviewer.voice.settings import VoiceSettings

    cfg = VoiceSettings()
    if cfg.tts == "openai":
        from interviewer.voice.openai_audio import OpenAITTS

        key = cfg.openai_api_key.get_secret_value() if cfg.openai_api_key else None
        return OpenAITTS(
            cfg.tts_model or "tts-1",
            cfg.tts_voice,
            base_url=cfg.voice_base_url or cfg.openai_base_url,
            api_key=key,
        )
    from interviewer.voice.piper_voice import PiperTTS

    return PiperTTS(cfg.tts_model)


def get_stt() -> SpeechToText:
    """The process's recognizer, loaded (the first call pays the load time)."""
    global _stt
    with _lock:
        if _stt is None:
            engine = _build_stt()
            t0 = time.perf_counter()
            engine.load()
            LOAD_SECONDS["stt"] = time.perf_counter() - t0
            _stt = engine
        return _stt


def get_tts() -> TextToSpeech:
    global _tts
    with _lock:
        if _tts is None:
            engine = _build_tts()
            t0 = time.perf_counter()
            engine.load()
            LOAD_SECONDS["tts"] = time.perf_counter() - t0
            _tts = engine
        return _tts


def set_engines(stt: SpeechToText | None = None, tts: TextToSpeech | None = None) -> None:
    """Install engines (tests, embedding); None leaves the current one (or the default)."""
    global _stt, _tts
    with _lock:
        if stt is not None:
            _stt = stt
        if tts is not None:
            _tts = tts


def transcribe(
    audio: np.ndarray | Path | str,
    stage: str | None = None,
    *,
    problem: str | None = None,
    prompt: str | None = None,
    progress: Progress | None = None,
) -> Transcript:
    """Speech to text. ``audio``: a file (anything PyAV decodes) or 16 kHz mono samples.
    ``stage`` (and ``problem``) bias recognition toward their vocabulary; ``prompt`` gives the
    hint directly. Silence and noise give ``text == ""``."""
    hint = prompt if prompt is not None else stage_prompt(stage, problem)
    engine = get_stt()  # outside the clock: the first call pays the model load once
    t0 = time.perf_counter()
    samples = as_samples(audio)
    segments = engine.transcribe(samples, prompt=hint, progress=progress)
    text = re.sub(r"\s+", " ", " ".join(s.text for s in segments)).strip()
    return Transcript(
        text=text,
        audio_seconds=samples.size / SAMPLE_RATE,
        seconds=time.perf_counter() - t0,
        engine=engine.name,
        prompt=hint,
        segments=tuple(segments),
    )


def speakable(text: str, limit: int = MAX_SPOKEN_CHARS) -> str:
    """Markdown as it should be read aloud: no markup, links as their words, code as words."""
    t = re.sub(r"```.*?```", " ", text, flags=re.S)
    t = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", t)
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)
    t = re.sub(r"^\s{0,3}(#{1,6}|[-*+]|\d+[.)]|>)\s+", "", t, flags=re.M)
    t = re.sub(r"[*_`|#>]+", " ", t)
    t = re.sub(r"\s*\n\s*\n\s*", ". ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"(\.\s*){2,}", ". ", t)
    if len(t) > limit:
        cut = t[:limit]
        end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
        t = cut[: end + 1] if end > limit // 2 else cut
    return t


def speak(text: str) -> Speech:
    """The interviewer's voice for ``text`` (Markdown is read as plain words)."""
    words = speakable(text)
    engine = get_tts()
    t0 = time.perf_counter()
    samples, rate = (np.zeros(0, dtype=np.int16), 22050) if not words else engine.synthesize(words)
    return Speech(samples, rate, seconds=time.perf_counter() - t0, engine=engine.name)
