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
from interviewer.voice.storage import delete_session_audio
from ui import render, report_view
from ui.candidate import chart_html, report_markdown
from ui.candidate_view import CandidateTab
from ui.charts import progress_figure
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
    chart: gr.HTML
    verdict: gr.Markdown
    citations: gr.Dropdown
    passage: gr.Markdown
    delete: gr.Button
    confirm_box: gr.Column
    confirm_text: gr.Markdown
    confirm_yes: gr.Button
    confirm_no: gr.Button
    print_btn: gr.Button


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
        """A read-only look at a session at full width: the report first (verdict, chart,
        sections), then the transcript; an unfinished one only shows its transcript."""
        token = ensure_token(user_token)
        try:
            user, sid = ctx.owned_session(token, session_id)
            view = ctx.service().get(sid, user=user)
        except InterviewerError as exc:
            gr.Warning(str(exc))
            return [render.note(str(exc))], "", None, "", gr.Dropdown(choices=[], value=None)
        chat = render.chat_messages(render.field(view, "turns") or [])
        if not render.field(view, "finished"):
            note = "_This interview is not finished yet: **Resume** carries on._"
            return chat, "", None, note, gr.Dropdown(choices=[], value=None)
        report_md = report_markdown(ctx, user, sid, view)
        scores = render.stage_scores(render.field(view, "report"))
        cites = report_view.citations(report_md)
        return (
            chat,
            report_view.report_body_markdown(report_md),
            chart_html(scores),
            report_view.verdict_markdown(report_md),
            gr.Dropdown(choices=[c.label for c in cites], value=None),
        )

    def delete_session(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        """Delete one of this browser's sessions: its turns, its transcript and its audio."""
        token = ensure_token(user_token)
        try:
            user, sid = ctx.owned_session(token, session_id)
            ctx.service().get(sid, user=user)  # another browser's session: "unknown session"
            ctx.service().store.delete(sid)
            delete_session_audio(ctx.settings.data_dir, sid)
            render.remove_exports(sid)
            with _cache_lock:
                for key in [k for k in _report_cache if k[0] == sid]:
                    del _report_cache[key]
            gr.Info("Interview deleted.")
        except InterviewerError as exc:
            gr.Warning(str(exc))
        return list_sessions(token)

    return {
        "list_sessions": list_sessions,
        "open_session": open_session,
        "delete_session": delete_session,
    }


def build_history_tab() -> HistoryTab:
    gr.Markdown(
        "Your interviews in this browser. Pick one to reopen its transcript and report, "
        "resume an unfinished one, or delete one (with its transcript and recordings)."
    )
    with gr.Row():
        # Choices are filled per browser; ownership is checked by the handlers, not the list.
        picker = gr.Dropdown(
            choices=[], label="Session", scale=4, elem_id="history-picker", allow_custom_value=True
        )
        open_btn = gr.Button("Open", scale=1, elem_id="history-open")
        resume = gr.Button("Resume", variant="primary", scale=1)
        refresh = gr.Button("Refresh", scale=1)
        delete = gr.Button("Delete…", scale=1, elem_id="history-delete")
    with gr.Column(visible=False, elem_id="history-confirm") as confirm_box:
        confirm_text = gr.Markdown("")
        with gr.Row():
            confirm_no = gr.Button("No, keep it")
            confirm_yes = gr.Button("Yes, delete it", variant="stop", elem_id="history-delete-yes")
    table = gr.Dataframe(
        headers=HEADERS,
        value=[],
        interactive=False,
        wrap=True,
        label="Sessions",
        elem_id="history-table",
        column_widths=["16%", "30%", "24%", "18%", "12%"],
    )
    gr.Markdown("### Progress over your finished interviews")
    progress = gr.Plot(label="Progress", format="png", show_label=False)
    # A reopened report reads at the page's full width: verdict and chart, then the sections
    # beside the cited passages, then the transcript.
    with gr.Column(elem_id="history-report-area"):
        verdict = gr.Markdown("", elem_id="history-verdict")
        chart = gr.HTML("", elem_id="history-chart")
        with gr.Row(elem_id="history-report-row", elem_classes=["report-row"]):
            with gr.Column(scale=3, min_width=320):
                report = gr.Markdown("", elem_id="history-report")
            with gr.Column(
                scale=2,
                min_width=280,
                elem_id="history-citation-panel",
                elem_classes=["citation-panel"],
            ):
                citations = gr.Dropdown(
                    choices=[], label="Open a cited guide passage", elem_id="history-citation"
                )
                passage = gr.Markdown("_Pick a citation to read the passage here._")
        print_btn = gr.Button("Print / save as PDF", elem_id="history-print-btn")
        viewer = gr.Chatbot(
            label="Transcript",
            height=420,
            feedback_options=None,
            buttons=[],
            layout="bubble",
            group_consecutive_messages=False,
        )
    return HistoryTab(
        refresh, table, picker, open_btn, resume, progress, viewer, report, chart, verdict,
        citations, passage, delete, confirm_box, confirm_text, confirm_yes, confirm_no, print_btn,
    )  # fmt: skip


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
        [tab.viewer, tab.report, tab.chart, tab.verdict, tab.citations],
        api_name="open_session",
    )
    tab.citations.change(
        candidate_handlers["open_citation"],
        [cand.user_state, tab.picker, tab.citations],
        tab.passage,
        api_visibility="private",
        show_progress="hidden",
    )
    tab.print_btn.click(None, None, None, js="() => { window.print(); }", queue=False)

    def ask_delete(session_id: Any) -> tuple[Any, ...]:
        if not session_id:
            return gr.Column(visible=False), ""
        return gr.Column(visible=True), (
            f"**Delete session `{session_id}`?** Its transcript, report and recordings are "
            "removed for good."
        )

    tab.delete.click(
        ask_delete, tab.picker, [tab.confirm_box, tab.confirm_text], api_visibility="private"
    )
    tab.confirm_no.click(
        lambda: gr.Column(visible=False), None, tab.confirm_box, api_visibility="private"
    )
    tab.confirm_yes.click(
        h["delete_session"], [cand.user_state, tab.picker], listing, api_name="delete_session"
    ).then(lambda: gr.Column(visible=False), None, tab.confirm_box, api_visibility="private")

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
