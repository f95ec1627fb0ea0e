"""Audio in and out: decode any file PyAV (bundled FFmpeg) reads to 16 kHz mono, write WAVs.

PyAV comes with faster-whisper and carries its own FFmpeg build, so WAV, FLAC, OGG/Opus/Vorbis,
MP3 and the browser's WebM recordings decode with no system library and no network.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from interviewer.voice.types import SAMPLE_RATE, AudioError

# An answer is minutes long; hours of audio are a mistake (and memory: 1 h is 230 MB float32).
MAX_AUDIO_SECONDS = 30 * 60.0


def decode_file(path: Path | str) -> np.ndarray:
    """16 kHz mono float32 samples of an audio file; AudioError (exit 2) for anything else."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"no such file: {str(p)!r}")
    if p.is_dir():
        raise AudioError(f"{str(p)!r} is a directory, not an audio file")
    if p.stat().st_size == 0:
        raise AudioError(f"{str(p)!r} is empty (0 bytes), not audio")
    samples = _decode(p)
    if samples.size == 0:
        raise AudioError(f"{str(p)!r} holds no audio samples")
    if samples.size > MAX_AUDIO_SECONDS * SAMPLE_RATE:
        minutes = samples.size / SAMPLE_RATE / 60
        raise AudioError(
            f"{str(p)!r} is {minutes:.0f} minutes long; the limit is "
            f"{MAX_AUDIO_SECONDS / 60:.0f} minutes per answer"
        )
    return samples


def _decode(p: Path) -> np.ndarray:
    try:
        import av  # noqa: F401  (import errors are real installation problems: let them show)
        from faster_whisper.audio import decode_audio
    except ImportError as exc:  # pragma: no cover - part of the default install
        raise AudioError(f"audio decoding is not installed ({exc}); run `make install`") from None
    try:
        out = decode_audio(str(p), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # av.error.InvalidDataError and friends: not audio we can read
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = re.sub(r"^\[Errno -?\d+\]\s*", "", reason).split(": '")[0].strip()
        raise AudioError(f"{str(p)!r} is not audio this tool can read ({reason})") from None
    return np.asarray(out, dtype=np.float32)


def as_samples(audio: np.ndarray | Path | str) -> np.ndarray:
    """Samples from a path, or an array already at 16 kHz (float32 in [-1, 1] or int16)."""
    if isinstance(audio, np.ndarray):
        if audio.dtype == np.int16:
            return audio.astype(np.float32) / 32768.0
        return np.asarray(audio, dtype=np.float32).reshape(-1)
    return decode_file(audio)


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Linear resampling (enough for speech going into a recognizer; tests and the bench)."""
    x = np.asarray(samples, dtype=np.float32)
    if rate == target or x.size == 0:
        return x
    n = round(x.size * target / rate)
    return np.interp(np.linspace(0, x.size - 1, n), np.arange(x.size), x).astype(np.float32)
