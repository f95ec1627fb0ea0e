"""The candidate tab's handlers: start, answer, next stage, end, resume, transcript.

Each handler is a thin adapter: identity (:class:`AppContext`), one service call with
``user=`` (the service refuses other users' sessions), then :mod:`ui.render`. Every handler
returns the same tuple of outputs (``CandidateTab.outputs`` in :mod:`ui.candidate_view`), so
the page and API clients always see one consistent state. The layout is in ``candidate_view``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError
from ui import render
from ui.charts import stage_scores_figure
from ui.context import AppContext, check_message, log
from ui.identity import ensure_token
from ui.voice import answer_meta

HINT = (
    "Answer in your own words. Ask clarifying questions whenever you need facts. "
    "**Next stage** moves on when you are done; **End interview** writes your report."
)


# ------------------------------------------------------------------------------ rendering


def report_markdown(ctx: AppContext, user: str, sid: str, view: Any) -> str:
    """The finished session's report (never called before the end: it would show scores)."""
    try:
        body = str(ctx.service().report_markdown(sid, user=user))
    except InterviewerError as exc:
        body = f"_The written report is not available: {exc}_"
    table = render.scores_table(render.field(view, "report"))
    if table and "| Stage" not in body:  # the service's report normally carries the table
        body = f"### Scores\n\n{table}\n\n{body}"
    return body


def _no_chart() -> Any:
    return gr.Plot(value=None, visible=False)


def _hidden_downloads() -> tuple[Any, Any]:
    return (
        gr.DownloadButton(value=None, visible=False),
        gr.DownloadButton(value=None, visible=False),
    )


def session_outputs(
    ctx: AppContext,
    token: str,
    view: Any | None,
    notes: list[str] | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> tuple[Any, ...]:
    """The whole candidate-tab state for ``view`` (None: no interview yet)."""
    notes_md = [render.note(n) for n in notes or [] if n]
    if view is None:
        return (
            token,
            "",
            notes_md,
            render.tracker_html(None),
            HINT,
            "",
            _no_chart(),
            *_hidden_downloads(),
        )
    sid = str(render.field(view, "id"))
    user = str(render.field(view, "user", "") or ctx.user(token))
    chat = render.chat_messages(render.field(view, "turns") or []) + (extra or []) + notes_md
    finished = bool(render.field(view, "finished"))
    title = render.field(view, "problem_title", "")
    if not finished:
        status = f"**{title}** · session `{sid}`\n\n{HINT}"
        return (
            token,
            sid,
            chat,
            render.tracker_html(view),
            status,
            "",
            _no_chart(),
            *_hidden_downloads(),
        )
    status = f"**{title}** · session `{sid}` · finished: your report is below."
    report_md = report_markdown(ctx, user, sid, view)
    figure = stage_scores_figure(render.stage_scores(render.field(view, "report")))
    transcript = render.candidate_transcript(ctx.service().transcript(sid, user=user), True)
    md_path, json_path = render.write_exports(transcript, report_md)
    return (
        token,
        sid,
        chat,
        render.tracker_html(view),
        status,
        report_md,
        gr.Plot(value=figure, visible=True),
        gr.DownloadButton(value=md_path, visible=True),
        gr.DownloadButton(value=json_path, visible=True),
    )


def _current_view(ctx: AppContext, token: str, sid: str) -> Any | None:
    if not sid:
        return None
    try:
        user, sid = ctx.owned_session(token, sid)
        return ctx.service().get(sid, user=user)
    except InterviewerError:
        return None


def _guard(ctx: AppContext, token: str, sid: str, exc: BaseException) -> tuple[Any, ...]:
    """A failed action: a toast and a chat note, with the session (if any) as stored."""
    if isinstance(exc, InterviewerError):
        message = str(exc)
    else:
        # Never a traceback in the page: log it here, tell the candidate their work is safe.
        log.exception("UI handler failed")
        message = (
            "Something went wrong on our side. Everything you sent before this is "
            "saved; try again in a moment."
        )
    gr.Warning(message)
    return session_outputs(ctx, token, _current_view(ctx, token, sid), notes=[message])


def _llm_notice(svc: Any) -> list[str]:
    """The one-line fallback notice while the service's LLM is failing (a chat note)."""
    from interviewer.llm.resilience import fallback_notice

    return [fallback_notice(getattr(svc, "llm", None))]


def _keep(message: Any) -> str:
    """What stays in the answer box after a refused message (so it can be edited); lone
    surrogates are dropped, or the whole response would fail to encode."""
    from ui.safe_text import repair_text

    return repair_text(message) if isinstance(message, str) and len(message) <= 200_000 else ""


# ------------------------------------------------------------------------------ handlers


def make_handlers(ctx: AppContext) -> dict[str, Any]:
    """Handlers named as their API endpoints (gradio_client calls ``/<name>``)."""

    def start_interview(user_token: Any, problem: Any, provider: Any) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        try:
            ctx.wait_ready()
            pid = ctx.pick_problem(problem)
            svc = ctx.service(provider if isinstance(provider, str) else None)
            view = svc.start(pid, user=ctx.user(token))
            ctx.remember_provider(str(render.field(view, "id")), provider)
            return session_outputs(ctx, token, view, notes=_llm_notice(svc))
        except Exception as exc:
            return _guard(ctx, token, "", exc)

    def send_message(user_token: Any, session_id: Any, message: Any) -> Iterator[tuple[Any, ...]]:
        token = ensure_token(user_token)
        sid = session_id if isinstance(session_id, str) else ""
        try:
            user, sid = ctx.owned_session(token, sid)
            svc = ctx.service_for(sid)
            view = svc.get(sid, user=user)
            text, problem = check_message(message, ctx.settings.max_answer_chars)
            if text is None:
                keep = "" if problem and "binary" in problem else _keep(message)
                yield (*session_outputs(ctx, token, view, notes=[problem or ""]), keep)
                return
            if render.field(view, "finished"):
                note = "This interview has finished. Start a new one to practise again."
                yield (*session_outputs(ctx, token, view, notes=[note]), _keep(message))
                return
            pending = [{"role": "user", "content": text}]
            yield (*session_outputs(ctx, token, view, extra=pending), "")
            ctx.wait_ready()
            streamed = ""
            spoken = answer_meta(ctx, svc, user, sid, text)  # recordings behind this answer
            for chunk in svc.respond_stream(sid, text, user=user, **spoken):
                streamed += chunk
                reply = {"role": "assistant", "content": streamed}
                yield (*session_outputs(ctx, token, view, extra=[*pending, reply]), "")
            # The stored turns are the truth (stage headings, several interviewer turns).
            view = svc.get(sid, user=user)
            yield (*session_outputs(ctx, token, view, notes=_llm_notice(svc)), "")
        except Exception as exc:
            yield (*_guard(ctx, token, sid, exc), _keep(message))

    def next_stage(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        sid = session_id if isinstance(session_id, str) else ""
        try:
            user, sid = ctx.owned_session(token, sid)
            svc = ctx.service_for(sid)
            ctx.wait_ready()
            svc.next_stage(sid, user=user)
            return session_outputs(ctx, token, svc.get(sid, user=user), notes=_llm_notice(svc))
        except Exception as exc:
            return _guard(ctx, token, sid, exc)

    def end_interview(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        sid = session_id if isinstance(session_id, str) else ""
        try:
            user, sid = ctx.owned_session(token, sid)
            svc = ctx.service_for(sid)
            if not render.field(svc.get(sid, user=user), "finished"):
                ctx.wait_ready()
                svc.end(sid, user=user)
            return session_outputs(ctx, token, svc.get(sid, user=user))
        except Exception as exc:
            return _guard(ctx, token, sid, exc)

    def resume_session(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        """Page load and the history tab: show this browser's session as stored."""
        token = ensure_token(user_token)
        if not session_id:
            return session_outputs(ctx, token, None)
        try:
            user, sid = ctx.owned_session(token, session_id)
            return session_outputs(ctx, token, ctx.service().get(sid, user=user))
        except Exception as exc:
            return _guard(ctx, token, "", exc)

    def restore_page(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        """Page load: like resume_session, but a session that is gone is quietly forgotten."""
        token = ensure_token(user_token)
        try:
            user, sid = ctx.owned_session(token, session_id)
            return session_outputs(ctx, token, ctx.service().get(sid, user=user))
        except InterviewerError:
            return session_outputs(ctx, token, None)
        except Exception as exc:
            return _guard(ctx, token, "", exc)

    def get_transcript(user_token: str, session_id: str) -> dict[str, Any]:
        """DESIGN transcript JSON; before the report only role/stage/kind/text per turn."""
        try:
            user, sid = ctx.owned_session(user_token, session_id)
            svc = ctx.service()
            finished = bool(render.field(svc.get(sid, user=user), "finished"))
            return render.candidate_transcript(svc.transcript(sid, user=user), finished)
        except InterviewerError as exc:
            return {"error": str(exc)}

    def refresh_tracker(user_token: Any, session_id: Any) -> str:
        try:
            user, sid = ctx.owned_session(user_token, session_id)
            return render.tracker_html(ctx.service().get(sid, user=user))
        except InterviewerError:
            return render.tracker_html(None)

    return {
        f.__name__: f
        for f in (
            start_interview,
            send_message,
            next_stage,
            end_interview,
            resume_session,
            restore_page,
            get_transcript,
            refresh_tracker,
        )
    }
