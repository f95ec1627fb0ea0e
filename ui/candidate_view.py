"""The candidate tab's layout and event wiring (handlers in :mod:`ui.candidate`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import render
from ui.candidate import HINT, make_handlers
from ui.context import RANDOM, AppContext
from ui.voice import VoiceControls, mic_input, reply_controls, wire_voice


@dataclass
class CandidateTab:
    user_state: gr.BrowserState
    session_state: gr.BrowserState
    problem: gr.Dropdown
    provider: gr.Dropdown
    start: gr.Button
    chatbot: gr.Chatbot
    message: gr.Textbox
    send: gr.Button
    next_stage: gr.Button
    end: gr.Button
    tracker: gr.HTML
    status: gr.Markdown
    report: gr.Markdown
    chart: gr.Plot
    download_md: gr.DownloadButton
    download_json: gr.DownloadButton
    voice: VoiceControls | None = None

    @property
    def outputs(self) -> list[Any]:
        return [
            self.user_state,
            self.session_state,
            self.chatbot,
            self.tracker,
            self.status,
            self.report,
            self.chart,
            self.download_md,
            self.download_json,
        ]


# ------------------------------------------------------------------------------ layout


def build_candidate_tab(
    ctx: AppContext, user_state: gr.BrowserState, session_state: gr.BrowserState
) -> CandidateTab:
    problems = ctx.problems()
    with gr.Row():
        with gr.Column(scale=3, min_width=320):
            with gr.Row():
                problem = gr.Dropdown(
                    choices=[("Random problem", RANDOM), *problems],
                    value=RANDOM,
                    label="Problem",
                    scale=3,
                    elem_id="problem-choice",
                    # The handler validates (one line, the value escaped); Gradio's own check
                    # echoes a bad value raw and fails on characters JSON cannot carry.
                    allow_custom_value=True,
                )
                provider = gr.Dropdown(
                    choices=ctx.providers,
                    value=ctx.default_provider,
                    label="Interviewer engine",
                    info=(
                        "model: " + str(ctx.settings.model)
                        if ctx.default_provider != "offline"
                        else "deterministic, no LLM"
                    ),
                    scale=2,
                    interactive=len(ctx.providers) > 1,
                    allow_custom_value=True,  # validated by the handler, as above
                )
                start = gr.Button(
                    "Start interview", variant="primary", scale=1, elem_id="start-btn"
                )
            status = gr.Markdown(HINT, elem_id="status")
            chatbot = gr.Chatbot(
                label="Interview",
                height=520,
                elem_id="chat",
                buttons=["copy"],
                feedback_options=None,
                layout="bubble",
                placeholder="Your interview will appear here.",
            )
            with gr.Row():
                message = gr.Textbox(
                    placeholder="Type your answer or a clarifying question…",
                    lines=3,
                    max_lines=12,
                    show_label=False,
                    scale=5,
                    elem_id="answer-box",
                )
                mic = mic_input()
                send = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
            voice = reply_controls(mic)
            with gr.Row():
                next_btn = gr.Button("Next stage ▶", elem_id="next-btn")
                end = gr.Button("End interview ■", variant="stop", elem_id="end-btn")
        with gr.Column(scale=2, min_width=280):
            tracker = gr.HTML(render.tracker_html(None), elem_id="tracker")
    with gr.Column(elem_id="report-area"):
        report = gr.Markdown("", elem_id="report")
        chart = gr.Plot(label="Stage scores", format="png", elem_id="report-chart", visible=False)
        with gr.Row():
            download_md = gr.DownloadButton("Download transcript (.md)", visible=False)
            download_json = gr.DownloadButton("Download transcript (.json)", visible=False)
    tab = CandidateTab(
        user_state,
        session_state,
        problem,
        provider,
        start,
        chatbot,
        message,
        send,
        next_btn,
        end,
        tracker,
        status,
        report,
        chart,
        download_md,
        download_json,
    )
    tab.voice = voice
    return tab


def wire_candidate_tab(ctx: AppContext, tab: CandidateTab) -> dict[str, Any]:
    h = make_handlers(ctx)
    ids = [tab.user_state, tab.session_state]
    started = tab.start.click(
        h["start_interview"],
        [tab.user_state, tab.problem, tab.provider],
        tab.outputs,
        api_name="start_interview",
    )
    sent = tab.send.click(
        h["send_message"],
        [*ids, tab.message],
        [*tab.outputs, tab.message],
        api_name="send_message",
        trigger_mode="once",
        show_progress="minimal",
    )
    submitted = tab.message.submit(
        h["send_message"],
        [*ids, tab.message],
        [*tab.outputs, tab.message],
        api_visibility="private",
        trigger_mode="once",
        show_progress="minimal",
    )
    moved = tab.next_stage.click(h["next_stage"], ids, tab.outputs, api_name="next_stage")
    ended = tab.end.click(h["end_interview"], ids, tab.outputs, api_name="end_interview")
    if tab.voice is not None:
        events = [sent, submitted, started, moved, ended]
        h.update(wire_voice(ctx, tab.voice, tab.user_state, tab.session_state, tab.message, events))
    gr.api(h["get_transcript"], api_name="get_transcript")
    # The tracker's clocks move while the candidate thinks; a cheap read every 20 s.
    timer = gr.Timer(20)
    timer.tick(
        h["refresh_tracker"], ids, tab.tracker, api_visibility="private", show_progress="hidden"
    )
    return h
