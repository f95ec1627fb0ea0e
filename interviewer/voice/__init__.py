"""Voice, offline: speech to text (faster-whisper, tiny.en) and the interviewer's voice (Piper).

Import-light: the models and PyAV load on first use, never at import (``interviewer --help``
stays fast). No gradio here; the UI and the CLI call these functions.
"""

from interviewer.voice.core import LOAD_SECONDS, get_stt, get_tts, set_engines, speak, transcribe
from interviewer.voice.storage import delete_session_audio, resolve_audio, save_answer_audio
from interviewer.voice.types import AudioError, Segment, Speech, Transcript
from interviewer.voice.vocabulary import stage_prompt

__all__ = [
    "LOAD_SECONDS",
    "AudioError",
    "Segment",
    "Speech",
    "Transcript",
    "delete_session_audio",
    "get_stt",
    "get_tts",
    "resolve_audio",
    "save_answer_audio",
    "set_engines",
    "speak",
    "stage_prompt",
    "transcribe",
]
