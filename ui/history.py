"""The history tab: this browser's past interviews, reopen or resume one, progress over time.

Scores appear only for finished sessions (their report exists); an unfinished session shows its
stage, never a grade.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError
from ui import render
from ui.candidate import report_markdown
from ui.candidate_view import CandidateTab
from ui.charts import progress_figure, stage_scores_figure
from ui.context import AppContext, log
from ui.identity import ensure_token

HEADERS = ["session", "problem", "status", "updated", "overall"]
_report_cache: dict[tuple[str, float], dict[str, Any]] = {}
_cache_lock = threading.Lock()


@dataclass
class HistoryTab:
    refresh: gr.Button
    table: gr.Dataframe
    picker: gr.Dropdown
    open: gr.Button
    resume: gr.Button
    progress: gr.Plot
    viewer: gr.Chatbot
    report: gr.Markdown
    chart: gr.Plot


def _finished_report(ctx: AppContext, summary: Any) -> dict[str, Any]:
    """A finished session's report dict; cached because a finished session never changes."""
    key = (str(summary.id), float(getattr(summary, "updated", 0.0) or 0.0))
    with _cache_lock:
        hit = _report_cache.get(key)
    if hit is not None:
        return hit
    view = ctx.service().get(summary.id, user=render.field(summary, "user"))
    report = render.field(view, "report") or {}
    with _cache_lock:
        if len(_report_cache) > 5000:
            _report_cache.clear()
        _report_cache[key] = dict(report)
    return dict(report)


def make_handlers(ctx: AppContext) -> dict[str, Any]:
    def list_sessions(user_token: Any) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        try:
            summaries = ctx.service().list_sessions(user=ctx.user(token))
        except InterviewerError as exc:
            gr.Warning(str(exc))
            summaries = []
        overall: dict[str, float | None] = {}
        points: list[tuple[str, dict[str, float]]] = []
        for s in sorted(summaries, key=lambda s: float(getattr(s, "updated", 0) or 0)):
            if not s.finished:
                continue
            try:
                report = _finished_report(ctx, s)
            except InterviewerError:
                log.warning("cannot read the report of session %s", s.id)
                continue
            value = report.get("overall")
            overall[s.id] = float(value) if isinstance(value, int | float) else None
            label = f"{len(points) + 1}. {render.field(s, 'problem_id', '')}"[:28]
            points.append((label, render.stage_scores(report)))
        rows = render.sessions_rows(summaries, overall)
        choices = [(f"{r[1]} · {r[2]} · {r[3]}", r[0]) for r in rows]
        picker = gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)
        return token, rows, picker, progress_figure(points)

    def open_session(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        """A read-only look at a session: the transcript, and the report if it has one."""
        token = ensure_token(user_token)
        try:
            user, sid = ctx.owned_session(token, session_id)
            view = ctx.service().get(sid, user=user)
        except InterviewerError as exc:
            gr.Warning(str(exc))
            return [render.note(str(exc))], "", None
        chat = render.chat_messages(render.field(view, "turns") or [])
        if not render.field(view, "finished"):
            return chat, "_This interview is not finished yet: **Resume** carries on._", None
        figure = stage_scores_figure(render.stage_scores(render.field(view, "report")))
        return chat, report_markdown(ctx, user, sid, view), figure

    return {"list_sessions": list_sessions, "open_session": open_session}


def build_history_tab() -> HistoryTab:
    gr.Markdown(
        "Your interviews in this browser. Pick one to reopen its transcript and report, "
        "or resume an unfinished one."
    )
    with gr.Row():
        # Choices are filled per browser; ownership is checked by the handlers, not the list.
        picker = gr.Dropdown(
            choices=[], label="Session", scale=4, elem_id="history-picker", allow_custom_value=True
        )
        open_btn = gr.Button("Open", scale=1)
        resume = gr.Button("Resume", variant="primary", scale=1)
        refresh = gr.Button("Refresh", scale=1)
    table = gr.Dataframe(headers=HEADERS, value=[], interactive=False, wrap=True, label="Sessions")
    progress = gr.Plot(label="Progress", format="png")
    with gr.Row():
        with gr.Column(scale=3):
            viewer = gr.Chatbot(label="Transcript", height=420, feedback_options=None)
        with gr.Column(scale=2):
            report = gr.Markdown("")
            chart = gr.Plot(label="Stage scores", format="png")
    return HistoryTab(refresh, table, picker, open_btn, resume, progress, viewer, report, chart)


def wire_history_tab(
    ctx: AppContext,
    tab: HistoryTab,
    cand: CandidateTab,
    tabs: gr.Tabs,
    history_tab: gr.Tab,
    candidate_handlers: dict[str, Any],
) -> None:
    h = make_handlers(ctx)
    listing = [cand.user_state, tab.table, tab.picker, tab.progress]
    tab.refresh.click(h["list_sessions"], cand.user_state, listing, api_name="list_sessions")
    history_tab.select(h["list_sessions"], cand.user_state, listing, api_visibility="private")
    tab.open.click(
        h["open_session"],
        [cand.user_state, tab.picker],
        [tab.viewer, tab.report, tab.chart],
        api_name="open_session",
    )

    def resume(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        out = candidate_handlers["resume_session"](user_token, session_id)
        return (*out, gr.Tabs(selected="candidate"))

    tab.resume.click(
        resume, [cand.user_state, tab.picker], [*cand.outputs, tabs], api_name="resume_session"
    )

    def pick_row(evt: gr.SelectData) -> Any:
        row = evt.row_value if isinstance(evt.row_value, list) else None
        return gr.Dropdown(value=row[0]) if row else gr.Dropdown()

    tab.table.select(pick_row, None, tab.picker, api_visibility="private")
