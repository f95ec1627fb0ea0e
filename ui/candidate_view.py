"""The candidate tab's layout and event wiring (handlers in :mod:`ui.candidate`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import render
from ui.candidate import HINT, make_handlers
from ui.context import RANDOM, AppContext
from ui.processing import one_trip
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
    chart: gr.HTML
    download_md: gr.DownloadButton
    download_json: gr.DownloadButton
    earlier: gr.Chatbot
    earlier_box: gr.Accordion
    flow: gr.Markdown
    verdict: gr.Markdown
    citations: gr.Dropdown
    passage: gr.Markdown
    report_area: gr.Column
    confirm_box: gr.Column
    confirm_text: gr.Markdown
    confirm_yes: gr.Button
    confirm_no: gr.Button
    confirm_action: gr.Textbox
    pending: gr.Textbox  # the message on its way (the answer box is emptied at once)
    kept: gr.Textbox  # a refused message, which the page puts back into the answer box
    api_start: gr.Button  # hidden: the API's direct start / next / end (no confirmation)
    api_next: gr.Button
    api_end: gr.Button
    print_btn: gr.Button
    page_key: gr.State  # set by a turn that changed the page beyond the chat (ui.candidate)
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
            self.earlier,
            self.flow,
            self.verdict,
            self.citations,
            # Not values, so API clients do not see these: keep them last.
            self.send,
            self.next_stage,
            self.end,
            self.report_area,
            self.earlier_box,
        ]

    @property
    def api_outputs(self) -> list[Any]:
        """``outputs`` without the buttons and layout (the last ones, from Send on), which an
        API client never sees."""
        return self.outputs[: self.outputs.index(self.send)]

    @property
    def turn_outputs(self) -> list[Any]:
        """send_message's outputs before the answer box (``candidate.turn_outputs``)."""
        return [self.chatbot, self.tracker, self.flow, self.page_key]

    @property
    def page_outputs(self) -> list[Any]:
        """``outputs`` without a turn's own (``candidate.PAGE_NAMES``, same order)."""
        return [c for c in self.outputs if c not in (self.chatbot, self.tracker, self.flow)]

    @property
    def confirm_outputs(self) -> list[Any]:
        return [self.confirm_box, self.confirm_text, self.confirm_yes, self.confirm_action]


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
            with gr.Accordion(
                "Earlier in this interview", open=False, elem_id="earlier-box"
            ) as earlier_box:
                earlier = gr.Chatbot(
                    label="Earlier stages",
                    height=360,
                    elem_id="earlier-chat",
                    feedback_options=None,
                    layout="bubble",
                    group_consecutive_messages=False,  # each interviewer turn its own bubble
                    buttons=[],
                )
            chatbot = gr.Chatbot(
                label="Interview",
                height=520,
                elem_id="chat",
                buttons=[],
                feedback_options=None,
                layout="bubble",
                group_consecutive_messages=False,  # each interviewer turn its own bubble
                placeholder="Your interview will appear here.",
            )
            with gr.Row():
                message = gr.Textbox(
                    placeholder="Type your answer or a clarifying question…",
                    lines=3,
                    max_lines=12,
                    label="Your answer",
                    info="Enter sends · Shift+Enter for a new line",
                    scale=5,
                    elem_id="answer-box",
                )
                mic = mic_input()
                send = gr.Button(
                    "Send", variant="primary", scale=1, elem_id="send-btn", interactive=False
                )
            pending = gr.Textbox(visible=False, elem_id="pending-message")
            kept = gr.Textbox(visible=False, elem_id="kept-message")
            voice = reply_controls(mic)
            flow = gr.Markdown("", elem_id="flow-note")
            with gr.Row(elem_id="stage-controls"):
                next_btn = gr.Button("Next stage ▶", elem_id="next-btn", interactive=False)
                gr.HTML("", elem_classes=["control-gap"], padding=False)
                end = gr.Button(
                    "End interview ■", variant="stop", elem_id="end-btn", interactive=False
                )
            with gr.Column(visible=False, elem_id="confirm-box") as confirm_box:
                confirm_text = gr.Markdown("", elem_id="confirm-text")
                with gr.Row():
                    confirm_no = gr.Button("No, keep going", elem_id="confirm-no")
                    confirm_yes = gr.Button("Yes", variant="stop", elem_id="confirm-yes")
                confirm_action = gr.Textbox(visible=False)
            with gr.Row(visible=False):
                api_start = gr.Button("start (API)")
                api_next = gr.Button("next (API)")
                api_end = gr.Button("end (API)")
        with gr.Column(scale=2, min_width=280):
            tracker = gr.HTML(render.tracker_html(None), elem_id="tracker")
    # Hidden until the interview finishes; it alone hides the report's parts (ui.candidate).
    with gr.Column(elem_id="report-area", visible=False) as report_area:
        verdict = gr.Markdown("", elem_id="report-verdict")
        chart = gr.HTML("", elem_id="report-chart")
        with gr.Row(elem_id="report-row", elem_classes=["report-row"]):
            with gr.Column(scale=3, min_width=320):
                report = gr.Markdown("", elem_id="report")
            with gr.Column(
                scale=2, min_width=280, elem_id="citation-panel", elem_classes=["citation-panel"]
            ):
                citations = gr.Dropdown(
                    choices=[],
                    label="Open a cited guide passage",
                    elem_id="citation-choice",
                )
                passage = gr.Markdown(
                    "_Pick a citation to read the passage here._", elem_id="passage"
                )
        with gr.Row(elem_id="report-actions"):
            download_md = gr.DownloadButton("Download transcript (.md)")
            download_json = gr.DownloadButton("Download transcript (.json)")
            print_btn = gr.Button("Print / save as PDF", elem_id="print-btn")
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
        earlier,
        earlier_box,
        flow,
        verdict,
        citations,
        passage,
        report_area,
        confirm_box,
        confirm_text,
        confirm_yes,
        confirm_no,
        confirm_action,
        pending,
        kept,
        api_start,
        api_next,
        api_end,
        print_btn,
        gr.State(""),
    )
    tab.voice = voice
    return tab


# The answer box empties the moment a message leaves it (in the browser, no round trip), so
# nothing typed afterwards is ever overwritten by the reply.
TAKE_MESSAGE_JS = """(m, chat) => {
  const text = (t) => [{type: "text", text: t}];
  const shown = (m || "").trim() ? [...(chat || []), {role: "user", content: text(m)},
    {role: "assistant", content: text("…")}] : chat;
  return ["", m, shown];
}"""
# After a turn, in the browser: a refused message goes back into the box to be edited; after
# any other turn the box is left alone (undefined: no update), so what was typed while the reply
# was on its way stays. The server never writes to the box itself: even a gr.skip() output
# costs Gradio a new component and its config on every turn.
PUT_BACK_JS = "(kept) => kept || undefined"
PRINT_JS = "() => { window.print(); }"


def _asker(ask_or_do: Any, action: str) -> Any:
    def ask(token: Any, sid: Any, _pending: Any, problem: Any, provider: Any) -> tuple[Any, ...]:
        return ask_or_do(token, sid, action, problem, provider)

    ask.__name__ = f"ask_{action}"
    return ask


def _values_only(fn: Any, n: int) -> Any:
    """``fn`` returning only its first ``n`` outputs (``CandidateTab.api_outputs``)."""

    @functools.wraps(fn)
    def values(*args: Any) -> tuple[Any, ...]:
        return tuple(fn(*args)[:n])

    return values


def _api_event(button: gr.Button, fn: Any, inputs: list[Any], tab: CandidateTab) -> Any:
    """One of the API's direct endpoints (start, next, end; no page ever presses these
    hidden buttons). Its outputs are the values a client gets: the buttons' and layout's
    updates, which gradio_client drops, made Gradio build five components and their configs
    on the event loop per call. Its processing runs in the handler's thread (one trip)."""
    outputs = tab.api_outputs
    return button.click(
        **one_trip(_values_only(fn, len(outputs)), inputs, outputs), api_name=fn.__name__
    )


def wire_candidate_tab(ctx: AppContext, tab: CandidateTab) -> dict[str, Any]:
    h = make_handlers(ctx)
    ids = [tab.user_state, tab.session_state]
    outs = tab.outputs
    # The API keeps its direct endpoints (clients confirm on their side).
    started = _api_event(
        tab.api_start, h["start_interview"], [tab.user_state, tab.problem, tab.provider], tab
    )
    moved = _api_event(tab.api_next, h["next_stage"], ids, tab)
    ended = _api_event(tab.api_end, h["end_interview"], ids, tab)
    # The page's buttons ask first when the action would lose something.
    action_inputs = [*ids, tab.confirm_action, tab.problem, tab.provider]
    ui_events = []
    for button, action in ((tab.start, "start"), (tab.next_stage, "next"), (tab.end, "end")):
        name = f"ask_{action}"
        ui_events.append(
            button.click(
                _asker(h["ask_or_do"], action),
                action_inputs,
                [*outs, *tab.confirm_outputs],
                api_name=name,
                api_visibility="private",
            )
        )
    confirmed = tab.confirm_yes.click(
        h["confirm_action"],
        action_inputs,
        [*outs, *tab.confirm_outputs],
        api_visibility="private",
    )
    tab.confirm_no.click(
        lambda: (gr.Column(visible=False), "", gr.Button(), ""),
        None,
        tab.confirm_outputs,
        api_visibility="private",
        queue=False,
    )
    # A turn's processing runs in its handler's thread (ui.processing): one trip, not seven.
    send_io = dict(
        **one_trip(h["send_message"], [*ids, tab.pending], [*tab.turn_outputs, tab.kept]),
        trigger_mode="multiple",
        show_progress="hidden",
    )
    take: dict[str, Any] = {
        "fn": None,
        "inputs": [tab.message, tab.chatbot],
        "outputs": [tab.message, tab.pending, tab.chatbot],
        "js": TAKE_MESSAGE_JS,
        "queue": False,
    }
    sent = tab.send.click(**take).then(**send_io, api_name="send_message")
    submitted = tab.message.submit(**take).then(**send_io, api_visibility="private")
    for turn in (sent, submitted):
        turn.then(None, [tab.kept], [tab.message], js=PUT_BACK_JS, queue=False)
    # A turn that changed more than the chat (finished, wrap-up, earlier stages folded).
    tab.page_key.change(
        h["show_page"], ids, tab.page_outputs, api_visibility="private", show_progress="hidden"
    )
    if tab.voice is not None:
        events = [sent, submitted, started, moved, ended, *ui_events, confirmed]
        h.update(wire_voice(ctx, tab.voice, tab.user_state, tab.session_state, tab.message, events))
    gr.api(h["get_transcript"], api_name="get_transcript")
    tab.citations.change(
        h["open_citation"],
        [*ids, tab.citations],
        tab.passage,
        api_name="open_citation",
        show_progress="hidden",
    )
    tab.print_btn.click(None, None, None, js=PRINT_JS, queue=False)
    # Opening the earlier stages loads them (a turn that moves the cut folds and empties it).
    tab.earlier_box.expand(
        h["load_earlier"], ids, tab.earlier, api_visibility="private", show_progress="hidden"
    )
    # The tracker's clocks move while the candidate thinks; a cheap read every 20 s.
    timer = gr.Timer(20)
    timer.tick(
        h["refresh_tracker"], ids, tab.tracker, api_visibility="private", show_progress="hidden"
    )
    return h
