"""The candidate tab's voice: a microphone beside the answer box and a spoken-replies toggle.

Recording fills the answer box (appended to whatever is typed, so speaking and typing mix);
the candidate edits and presses Send, so silence never ends an answer: the candidate does. The
recording is copied into the data dir (``interviewer.voice.storage``) and the Send that follows
references it from the candidate turn's meta (``audio``). Replies are spoken by Piper into a
WAV that the page autoplays once the candidate has touched the page (the toggle is a gesture).
Replies are not kept: the text is the record, and Gradio's cache expires the audio.
"""

from __future__ import annotations

import inspect
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError
from ui import render
from ui.context import AppContext

log = logging.getLogger("interviewer.ui")

MIC_LABEL = "Speak your answer"
SPEAK_LABEL = "Speak the interviewer's replies"
MAX_PENDING = 20  # recordings waiting for one Send (a candidate may speak in several pieces)


@dataclass
class VoiceControls:
    mic: gr.Audio
    speak: gr.Checkbox
    player: gr.Audio
    speak_now: gr.Button  # hidden; the page presses it after a reply when speech is on


# After each reply, in the browser: speech off, nothing more happens (no second request, no
# queue slot, no empty player update); on, the hidden button asks the server for the voice.
SPEAK_IF_ON_JS = """(on) => {
  if (on) document.getElementById("speak-now")?.click();
}"""


@dataclass
class PendingAudio:
    """Recordings transcribed into the answer box and not yet sent, per (user, session)."""

    _items: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, user: str, sid: str, item: dict[str, Any]) -> None:
        with self._lock:
            items = self._items.setdefault((user, sid), [])
            items.append(item)
            del items[:-MAX_PENDING]

    def take(self, user: str, sid: str) -> list[dict[str, Any]]:
        with self._lock:
            return self._items.pop((user, sid), [])


PENDING = PendingAudio()


def mic_input() -> gr.Audio:
    """The microphone button; build it inside the answer row, beside the box."""
    return gr.Audio(
        sources=["microphone"],
        type="filepath",
        format="wav",
        label=MIC_LABEL,
        show_label=True,
        scale=2,
        min_width=200,
        elem_id="mic",
        buttons=[],
        editable=False,
    )


def reply_controls(mic: gr.Audio) -> VoiceControls:
    """The spoken-replies toggle and the player (a row below the answer row)."""
    with gr.Row(equal_height=True):
        speak = gr.Checkbox(
            label=SPEAK_LABEL, value=False, elem_id="speak-toggle", scale=1, min_width=240
        )
        player = gr.Audio(
            label="Interviewer's voice",
            type="filepath",
            interactive=False,
            autoplay=True,
            elem_id="voice-reply",
            format="wav",
            scale=3,
            buttons=[],
        )
    # In the page (so the browser can press it) but never shown or focusable.
    speak_now = gr.Button("Speak the latest reply", visible="hidden", elem_id="speak-now")
    return VoiceControls(mic=mic, speak=speak, player=player, speak_now=speak_now)


def _accepts_meta(svc: Any) -> bool:
    try:
        return "meta" in inspect.signature(svc.respond_stream).parameters
    except (TypeError, ValueError):
        return False


def answer_meta(ctx: AppContext, svc: Any, user: str, sid: str, text: str) -> dict[str, Any]:
    """Keyword arguments for ``respond_stream``: the recordings behind this answer, if any,
    kept in the candidate turn's meta as ``audio`` (data-dir-relative files, transcripts)."""
    items = PENDING.take(user, sid)
    if not items or not _accepts_meta(svc):  # a service without turn meta (test doubles)
        return {}
    return {"meta": {"audio": items}}


def make_voice_handlers(ctx: AppContext) -> dict[str, Any]:
    def transcribe_answer(
        user_token: Any,
        session_id: Any,
        audio: Any,
        message: Any,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio's injection idiom)
    ) -> tuple[str, Any]:
        """A recording → its transcript appended to the answer box (returns box, cleared mic)."""
        typed = message if isinstance(message, str) else ""
        if not audio:
            return typed, None
        path = (
            audio
            if isinstance(audio, str)
            else (audio.get("path") if isinstance(audio, dict) else None)
        )
        if not path:
            return typed, None
        try:
            user, sid = ctx.owned_session(user_token, session_id)
            view = ctx.service_for(sid).get(sid, user=user)
            if render.field(view, "finished"):
                raise InterviewerError(
                    "This interview has finished. Start a new one to practise again."
                )
            from interviewer.voice import save_answer_audio, transcribe

            stage = str(render.field(view, "stage") or "")
            problem = str(render.field(view, "problem_id") or "") or None
            progress(0.0, desc="Transcribing your answer…")
            result = transcribe(
                path,
                stage,
                problem=problem,
                progress=lambda f: progress(f, desc="Transcribing your answer…"),
            )
        except InterviewerError as exc:
            gr.Warning(str(exc))
            return typed, None
        except Exception:
            log.exception("transcription failed")
            gr.Warning("That recording could not be transcribed. Please try again or type.")
            return typed, None
        if not result.text:
            gr.Info("No speech was heard in that recording; nothing was added.")
            return typed, None
        try:
            ref = save_answer_audio(ctx.settings.data_dir, sid, path)
            PENDING.add(
                user,
                sid,
                {
                    "file": ref,
                    "transcript": result.text,
                    "audio_seconds": round(result.audio_seconds, 2),
                    "stage": stage,
                },
            )
        except (OSError, ValueError):
            log.exception("could not keep the recording")
        joined = f"{typed.rstrip()} {result.text}".strip() if typed.strip() else result.text
        return joined, None

    def speak_reply(user_token: Any, session_id: Any, enabled: Any) -> Any:
        """The interviewer's latest words to autoplay, as (rate, samples); None when off."""
        if not enabled:
            return None
        try:
            user, sid = ctx.owned_session(user_token, session_id)
            view = ctx.service_for(sid).get(sid, user=user)
        except InterviewerError:
            return None
        text = latest_reply(render.field(view, "turns") or [])
        if not text:
            return None
        try:
            from interviewer.voice import speak

            speech = speak(text)
        except Exception:
            log.exception("speech synthesis failed")
            gr.Warning("The interviewer's voice is not available right now; the text is above.")
            return None
        # (rate, samples): Gradio writes the WAV into its own cache and serves it from there.
        return speech.sample_rate, speech.samples

    return {"transcribe_answer": transcribe_answer, "speak_reply": speak_reply}


REPORT_WORDS = "Your interview is over. Your report, with scores and what to study next, is below."


def latest_reply(turns: list[Any]) -> str:
    """What the interviewer said since the candidate last spoke (the report is summarised)."""
    out: list[str] = []
    for turn in reversed(turns):
        if render.field(turn, "role") == "candidate":
            break
        kind = render.field(turn, "kind")
        out.append(REPORT_WORDS if kind == "report" else str(render.field(turn, "text", "") or ""))
    return "\n\n".join(reversed(out)).strip()


def warm_up_in_background() -> None:
    """Load the recognizer and the voice in a background thread (the first answer is then as
    fast as the rest); a failure is logged and the first use reports it."""

    def work() -> None:
        try:
            from interviewer.voice import get_stt, get_tts

            get_stt()
            get_tts()
        except Exception:
            log.exception("voice warm-up failed")

    threading.Thread(target=work, name="interviewer-voice-warm-up", daemon=True).start()


def wire_voice(
    ctx: AppContext,
    controls: VoiceControls,
    user_state: Any,
    session_state: Any,
    message: Any,
    reply_events: list[Any],
) -> dict[str, Any]:
    """Events: recording stops → transcribe; each reply event (and the toggle) → speak.

    A reply is spoken only when the toggle is on: the check runs in the browser
    (:data:`SPEAK_IF_ON_JS`), so with speech off a turn is one request, not two."""
    h = make_voice_handlers(ctx)
    ids = [user_state, session_state]
    if not ctx._ready.is_set():  # the served app is warming up: load the voice models too
        warm_up_in_background()
    controls.mic.stop_recording(
        h["transcribe_answer"],
        [*ids, controls.mic, message],
        [message, controls.mic],
        api_name="transcribe_answer",
        trigger_mode="always_last",
        show_progress="full",
        show_progress_on=[message],
    )
    speak_io: dict[str, Any] = dict(
        fn=h["speak_reply"],
        inputs=[*ids, controls.speak],
        outputs=controls.player,
        show_progress="hidden",
    )
    # One server event speaks the latest reply (the public "speak_reply" endpoint); a reply
    # that arrives while the last is still being voiced is spoken after it, not dropped.
    controls.speak_now.click(**speak_io, api_name="speak_reply", trigger_mode="always_last")
    for event in reply_events:
        event.then(None, [controls.speak], None, js=SPEAK_IF_ON_JS, queue=False)
    controls.speak.change(**speak_io, api_name="speak_toggle", api_visibility="private")
    return h
