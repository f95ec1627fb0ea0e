"""The candidate tab's handlers: start, answer, next stage, end, resume, transcript.

Each handler is a thin adapter: identity (:class:`AppContext`), one service call with
``user=`` (the service refuses other users' sessions), then :mod:`ui.render`. Every handler
returns the same tuple of outputs (``CandidateTab.outputs`` in :mod:`ui.candidate_view`), the
whole state, except a turn (``send_message``): it sends the chat, the tracker and the flow line
only, and the rest of the page follows when the turn changed it (:func:`turn_outputs`). The
layout is in ``candidate_view``.
"""

from __future__ import annotations

import html
import time
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError
from interviewer.session.progress import stage_progress
from ui import render, report_view
from ui.charts import stage_scores_figure
from ui.context import AppContext, check_message, log
from ui.identity import ensure_token
from ui.voice import answer_meta

HINT = (
    "Answer in your own words. Ask clarifying questions whenever you need facts. "
    "**Enter** sends, **Shift+Enter** starts a new line. **Next stage** moves on when you are "
    "done; **End interview** writes your report."
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


def chart_html(scores: dict[str, float]) -> str:
    """The stage chart as an <img> whose alt text carries the scores (a Plot's cannot)."""
    import base64
    import io

    figure = stage_scores_figure(scores)
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = report_view.chart_alt_text(scores)
    return (
        f"<figure class='report-chart'><img src='data:image/png;base64,{data}' "
        f"alt='{html.escape(alt, quote=True)}' width='700' height='360'>"
        f"<figcaption class='sr-only'>{html.escape(alt)}</figcaption></figure>"
    )


def _controls(view: Any | None) -> tuple[Any, Any, Any]:
    """Send, Next stage, End: enabled only when they make sense."""
    live = view is not None and not render.field(view, "finished")
    in_wrapup = live and render.field(view, "stage") == "wrapup"
    return (
        gr.update(interactive=live),
        gr.update(interactive=live and not in_wrapup),
        gr.update(interactive=live),
    )


# Updates are plain dicts (gr.update), not component objects: building Gradio components per
# turn cost ~20 ms of every reply. Even a gr.update dict makes Gradio build a new component and
# its config (its API schema: 11 ms for a Chatbot, 4 ms for a DownloadButton), so an output
# that only needs a new value gets a plain value. The report's parts (verdict, chart,
# downloads, citations) sit in ``report_area``, which alone hides them while an interview runs:
# they are emptied with plain values then, and shown with the report.
def session_outputs(
    ctx: AppContext,
    token: str,
    view: Any | None,
    notes: list[str] | None = None,
    extra: list[dict[str, Any]] | None = None,
    *,
    earlier_known: int | None = None,
) -> tuple[Any, ...]:
    """The whole candidate-tab state for ``view`` (None: no interview yet).

    ``earlier_known``: how many earlier messages the page already holds in its collapsed
    "Earlier" view; when unchanged, that view is not sent again (payload stays flat).
    """
    notes_md = [render.note(n) for n in notes or [] if n]
    if view is None:
        return (
            token,
            "",
            notes_md,
            render.tracker_html(None),
            HINT,
            "",
            "",  # chart (hidden with report_area, as the rest of the report)
            None,  # downloads
            None,
            None,  # earlier
            "",
            "",  # verdict
            None,  # citation choices: left as they were, hidden
            *_controls(None),
            gr.update(visible=False),
            gr.update(open=False),
        )
    sid = str(render.field(view, "id"))
    user = str(render.field(view, "user", "") or ctx.user(token))
    earlier, recent = render.split_chat(render.field(view, "turns") or [])
    chat = recent + (extra or []) + notes_md
    # Earlier stages are loaded when the candidate opens their view (``load_earlier``), never
    # pushed with a turn: a turn's payload stays the same however long the interview is.
    same = earlier_known == len(earlier)
    earlier_out = gr.skip() if same else []
    fold = gr.skip() if same else gr.update(open=False)
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
            "",  # chart (hidden with report_area, as the rest of the report)
            None,  # downloads
            None,
            earlier_out,
            render.flow_note(view),
            "",  # verdict
            None,  # citation choices: left as they were, hidden
            *_controls(view),
            gr.update(visible=False),
            fold,
        )
    status = f"**{title}** · session `{sid}` · finished: your report is below."
    report_md = report_markdown(ctx, user, sid, view)
    scores = render.stage_scores(render.field(view, "report"))
    transcript = render.candidate_transcript(ctx.service().transcript(sid, user=user), True)
    md_path, json_path = render.write_exports(transcript, report_md)
    cites = report_view.citations(report_md)
    return (
        token,
        sid,
        chat,
        render.tracker_html(view),
        status,
        report_view.report_body_markdown(report_md),
        gr.update(value=chart_html(scores), visible=True),
        gr.update(value=md_path, visible=True),
        gr.update(value=json_path, visible=True),
        earlier_out,
        "",
        gr.update(value=report_view.verdict_markdown(report_md), visible=True),
        gr.update(choices=[c.label for c in cites], value=None),
        *_controls(view),
        gr.update(visible=True),
        fold,
    )


def _page_key(view: Any | None, earlier: int | None) -> tuple[Any, ...]:
    """What the page shows beyond a turn's chat, tracker and flow line, in brief."""
    if view is None:
        return (None,)
    live = not render.field(view, "finished")
    return (
        render.field(view, "id"),
        live,
        live and render.field(view, "stage") == "wrapup",
        earlier,
    )


def turn_outputs(
    ctx: AppContext,
    token: str,
    shown: Any | None,
    view: Any,
    notes: list[str] | None = None,
    *,
    earlier_known: int | None = None,
) -> tuple[Any, ...]:
    """A turn's outputs (``TURN_NAMES`` and the page key): the chat, the tracker and the
    "where you are" line of ``view``; nothing else. Any output of an event costs Gradio a new
    component and its config on every response, even ``gr.skip()`` (most of the app's own cost
    per turn), so the rest of the page is not an output of a turn at all. When a turn changes
    it (the interview finished, the wrap-up began, earlier stages were folded away) compared
    with ``shown`` (the view before the turn; None: unknown), the page key gets a new value and
    its change event (``show_page``) renders the rest; otherwise the key is left as it is.
    """
    full = dict(
        zip(
            _OUTPUT_NAMES,
            session_outputs(ctx, token, view, notes, earlier_known=earlier_known),
            strict=True,
        )
    )
    earlier = len(render.split_chat(render.field(view, "turns") or [])[0])
    same = shown is not None and _page_key(shown, earlier_known) == _page_key(view, earlier)
    key = (
        gr.skip()
        if same
        else f"{render.field(view, 'id')}:{len(render.field(view, 'turns') or [])}"
    )
    return (*(full[name] for name in TURN_NAMES), key)


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


_OUTPUT_NAMES = (
    "user_state", "session_state", "chatbot", "tracker", "status", "report", "chart",
    "download_md", "download_json", "earlier", "flow", "verdict", "citations", "send",
    "next_stage", "end", "report_area", "earlier_box",
)  # fmt: skip
TURN_NAMES = ("chatbot", "tracker", "flow")  # a turn's outputs (then the page key)
PAGE_NAMES = tuple(n for n in _OUTPUT_NAMES if n not in TURN_NAMES)  # show_page's outputs


def _answered_here(view: Any) -> bool:
    stage = render.field(view, "stage")
    progress = stage_progress(
        render.field(view, "turns") or [], stage, False, render.field(view, "stage_times") or {}
    )
    return stage not in {p.id for p in progress} or any(
        p.id == stage and p.answers for p in progress
    )


def confirm_end_text(view: Any) -> str:
    done = sum(
        1
        for p in stage_progress(
            render.field(view, "turns") or [], render.field(view, "stage"), False, {}
        )
        if p.answers
    )
    return (
        f"End the interview now and get your report? You have answered {done} of 8 stages; "
        "the stages you have not reached count as not covered."
    )


def _confirm(question: str, action: str) -> tuple[Any, ...]:
    yes = {"end": "Yes, end and show my report", "next": "Yes, skip it", "start": "Yes, start"}
    return (
        gr.update(visible=True),
        f"**Please confirm.** {question}",
        gr.update(value=yes.get(action, "Yes")),
        action,
    )


def _confirm_hidden() -> tuple[Any, ...]:
    return gr.update(visible=False), "", gr.update(), ""


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

    def send_message(user_token: Any, session_id: Any, message: Any) -> tuple[Any, ...]:
        """One response per turn: ``turn_outputs`` and a refused message ("" when none). The
        box is emptied in the browser when the message leaves it, and the page puts a refused
        message back into it to be edited (``PUT_BACK_JS``); nothing else writes to it, so text
        typed while the reply is on its way is kept."""
        token = ensure_token(user_token)
        sid = session_id if isinstance(session_id, str) else ""
        try:
            user, sid = ctx.owned_session(token, sid)
            svc = ctx.service_for(sid)
            view = svc.get(sid, user=user)
            known = len(render.split_chat(render.field(view, "turns") or [])[0])
            text, problem = check_message(message, ctx.settings.max_answer_chars)
            if text is None:
                keep = "" if problem and "binary" in problem else _keep(message)
                refused = turn_outputs(ctx, token, view, view, [problem or ""], earlier_known=known)
                return (*refused, keep)
            if render.field(view, "finished"):
                note = "This interview has finished. Start a new one to practise again."
                return (*turn_outputs(ctx, token, None, view, [note]), _keep(message))
            # The page already shows the message and a "…" (client-side, no round trip): one
            # response per turn, with the stored turns (each interviewer turn its own bubble).
            ctx.wait_ready()
            spoken = answer_meta(ctx, svc, user, sid, text)  # recordings behind this answer
            svc.respond(sid, text, user=user, **spoken)
            after = svc.get(sid, user=user)
            return (*turn_outputs(ctx, token, view, after, earlier_known=known), "")
        except Exception as exc:
            full = dict(zip(_OUTPUT_NAMES, _guard(ctx, token, sid, exc), strict=True))
            resync = f"error:{time.monotonic_ns()}"  # re-render the page as stored
            return (*(full[n] for n in TURN_NAMES), resync, _keep(message))

    def ask_or_do(
        user_token: Any, session_id: Any, action: Any, problem: Any = None, provider: Any = None
    ) -> tuple[Any, ...]:
        """The page's Start / Next / End buttons: ask first when the action loses something
        (ending early, skipping an unanswered stage, leaving an unfinished interview)."""
        token = ensure_token(user_token)
        sid = session_id if isinstance(session_id, str) else ""
        view = _current_view(ctx, token, sid)
        live = view is not None and not render.field(view, "finished")
        question = ""
        if action == "end" and live:
            question = confirm_end_text(view)
        elif action == "next" and live and not _answered_here(view):
            question = (
                f"You have not answered **{render.where_you_are(view)}** yet. "
                "Skip it and move to the next stage?"
            )
        elif action == "start" and live:
            question = (
                f"Start a new interview? Your current one (**{render.where_you_are(view)}**) "
                "is kept: **History → Resume** carries on with it."
            )
        if question:
            return (*[gr.skip()] * len(_OUTPUT_NAMES), *_confirm(question, action))
        return (*do_action(token, sid, action, problem, provider), *_confirm_hidden())

    def confirm_action(
        user_token: Any, session_id: Any, action: Any, problem: Any = None, provider: Any = None
    ) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        sid = session_id if isinstance(session_id, str) else ""
        return (*do_action(token, sid, action, problem, provider), *_confirm_hidden())

    def do_action(
        token: str, sid: str, action: Any, problem: Any, provider: Any
    ) -> tuple[Any, ...]:
        if action == "start":
            return start_interview(token, problem, provider)
        if action == "next":
            return next_stage(token, sid)
        if action == "end":
            return end_interview(token, sid)
        return tuple([gr.skip()] * len(_OUTPUT_NAMES))

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

    def show_page(user_token: Any, session_id: Any) -> tuple[Any, ...]:
        """The page around the chat, after a turn changed it (see ``turn_outputs``)."""
        full = dict(zip(_OUTPUT_NAMES, resume_session(user_token, session_id), strict=True))
        return tuple(full[name] for name in PAGE_NAMES)

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

    def load_earlier(user_token: Any, session_id: Any) -> Any:
        """The earlier part of the interview, when its collapsed view is opened."""
        try:
            user, sid = ctx.owned_session(user_token, session_id)
            view = ctx.service().get(sid, user=user)
        except InterviewerError:
            return gr.update(value=[])
        return gr.update(value=render.split_chat(render.field(view, "turns") or [])[0])

    def open_citation(user_token: Any, session_id: Any, choice: Any) -> str:
        """A cited guide passage of this session's report, for the side panel."""
        if not choice:
            return report_view.passage_markdown(None, ctx.settings.corpus_dir)
        try:
            user, sid = ctx.owned_session(user_token, session_id)
            view = ctx.service().get(sid, user=user)
            if not render.field(view, "finished"):
                return "_The report's passages open once the interview has finished._"
            cite = report_view.find_citation(report_markdown(ctx, user, sid, view), choice)
            return report_view.passage_markdown(cite, ctx.settings.corpus_dir)
        except InterviewerError as exc:
            return f"_{exc}_"

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
            ask_or_do,
            confirm_action,
            next_stage,
            end_interview,
            resume_session,
            show_page,
            restore_page,
            get_transcript,
            open_citation,
            load_earlier,
            refresh_tracker,
        )
    }
