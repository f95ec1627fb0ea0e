"""The coach tab: unlock with a password, edit rubric and problem YAML, validate, preview, save.

Without ``INTERVIEWER_COACH_PASSWORD`` the tab only explains how to enable it: no handler that
reads or writes rubric files is even registered. With it, every handler re-checks that the
caller's identity (the user id derived from the browser's secret token, the encrypted
``BrowserState``) is unlocked server-side (:mod:`ui.coach_access`); Gradio's session hash, which
a client chooses, grants nothing. Wrong passwords are throttled per client and globally.
"""

from __future__ import annotations

import hmac
import html
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError, RubricError
from interviewer.stages import STAGES
from ui import coach_preview as coach_preview_mod
from ui import rubric_files as rf
from ui.coach_access import CoachAccess, UnlockThrottle
from ui.context import AppContext, log
from ui.identity import ensure_token, user_id, valid_token

DISABLED = (
    "### Coach tools are disabled\n\n"
    "Editing rubrics and problem cards needs a coach password. Set "
    "`INTERVIEWER_COACH_PASSWORD` (in the environment or in `.env`) and restart "
    "`interviewer serve`; this tab then asks for it."
)
LOCKED = "Locked: enter the coach password first."
COACH_PARAM = "coach"  # a page opened with ?coach=1 (any value) shows the tab


def show_coach_tab(request: gr.Request) -> Any:
    """Page load: the coach tab only on a page opened with ``?coach``, so candidates never see
    it. Showing it grants nothing: unlocking needs the password, and every handler checks the
    server-side unlock."""
    params = getattr(request, "query_params", None) or {}
    return gr.Tab(visible=COACH_PARAM in params)


def password_of(settings: Any) -> str | None:
    secret = getattr(settings, "coach_password", None)
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def _errors_md(lines: list[str], title: str) -> str:
    body = "\n".join(lines)
    return f"**{title}**\n\n```text\n{body}\n```"


def validation_md(result: rf.Validation) -> str:
    if result.ok:
        return "**Valid.** `interviewer rubrics validate` will accept this file."
    out = []
    if result.file_errors:
        out.append(
            _errors_md(result.file_errors, f"{len(result.file_errors)} error(s) in this file")
        )
    if result.other_errors:
        out.append(_errors_md(result.other_errors, "This edit would break other files"))
    return "\n\n".join(out)


def _client(request: gr.Request | None) -> str:
    """The throttle's client key: the peer address (tokens cost nothing to mint)."""
    client = getattr(request, "client", None) if request is not None else None
    return str(getattr(client, "host", "") or "unknown")


def make_handlers(
    ctx: AppContext,
    password: str,
    *,
    throttle: UnlockThrottle | None = None,
    access: CoachAccess | None = None,
) -> dict[str, Any]:
    expected = password.encode("utf-8")
    throttle = throttle or UnlockThrottle()
    access = access or CoachAccess()

    def is_unlocked(token: Any) -> bool:
        return valid_token(token) and access.is_unlocked(user_id(str(token)))

    def locked_outputs(token: str, status: str) -> tuple[Any, ...]:
        return (
            token,
            status,
            gr.Column(visible=False),
            gr.Dropdown(choices=[], value=None),
            "",
        )

    def coach_unlock(user_token: Any, attempt: Any, request: gr.Request) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        client = _client(request)
        # The outcome is the status line under the password box, not a toast: a toast for a
        # wrong password stayed on screen after the right one unlocked the tab.
        refused = throttle.admit(client)
        if refused is not None:
            return locked_outputs(token, refused)
        given = attempt.encode("utf-8", "replace") if isinstance(attempt, str) else b""
        if hmac.compare_digest(given, expected):
            throttle.succeeded(client)
            access.unlock(user_id(token))
            files = rf.list_files(ctx.dirs)
            return (
                token,
                "Unlocked.",
                gr.Column(visible=True),
                gr.Dropdown(choices=files, value=None),
                "",
            )
        throttle.failed(client)
        return locked_outputs(token, "Wrong password.")

    def coach_lock(user_token: Any) -> tuple[Any, ...]:
        token = ensure_token(user_token)
        access.lock(user_id(token))
        return (*locked_outputs(token, LOCKED), "", "")

    def coach_open(unlocked: Any, name: Any) -> tuple[Any, ...]:
        if not is_unlocked(unlocked):
            return "", "", LOCKED
        try:
            text, digest = rf.read_file(ctx.dirs, name)
            return text, digest, validation_md(rf.validate_edit(ctx.dirs, name, text))
        except InterviewerError as exc:
            return "", "", f"Error: {exc}"

    def coach_validate(unlocked: Any, name: Any, text: Any) -> str:
        if not is_unlocked(unlocked):
            return LOCKED
        if not name:
            return ""
        try:
            return validation_md(rf.validate_edit(ctx.dirs, name, str(text or "")))
        except InterviewerError as exc:
            return f"Error: {exc}"

    def coach_preview(
        unlocked: Any, name: Any, text: Any, stage: Any, problem: Any, answer: Any
    ) -> str:
        """The answer (or the saved rubric's sample) graded with the saved file and with the
        edit, side by side (:mod:`ui.coach_preview`); reads files, never writes one."""
        if not is_unlocked(unlocked):
            return LOCKED
        try:
            pair = coach_preview_mod.compare(
                ctx.dirs, name, str(text or ""), str(answer or ""), stage or None, problem or None
            )
            return coach_preview_mod.compare_html(pair)
        except InterviewerError as exc:
            return f"<p role='alert'>Error: {html.escape(str(exc))}</p>"
        except Exception:
            log.exception("coach preview failed")
            return "<p role='alert'>Error: the grader failed on this input; see the server log.</p>"

    def coach_save(unlocked: Any, name: Any, text: Any, loaded_hash: Any) -> tuple[Any, ...]:
        if not is_unlocked(unlocked):
            return LOCKED, loaded_hash, ""
        text = str(text or "")
        try:
            backup = rf.save_file(
                ctx.dirs, name, text, loaded_hash if isinstance(loaded_hash, str) else None
            )
        except RubricError as exc:
            gr.Warning("Not saved: the file has errors.")
            return (
                _errors_md(exc.messages, "Not saved: fix these errors first"),
                loaded_hash,
                validation_md(rf.Validation(exc.messages, [])),
            )
        except InterviewerError as exc:
            gr.Warning(f"Not saved: {exc}")
            return f"Not saved: {exc}", loaded_hash, ""
        shown = rf.display_name(ctx.dirs, name)
        if backup is None:
            return (
                f"No changes to save in `{shown}`.",
                loaded_hash,
                validation_md(rf.Validation([], [])),
            )
        gr.Info(f"Saved {shown}")
        return (
            f"**Saved** `{shown}`; the previous version is in `{rf.show_path(backup)}`.",
            rf.content_hash(rf.normalize(text)),
            validation_md(rf.Validation([], [])),
        )

    return {
        f.__name__: f
        for f in (coach_unlock, coach_lock, coach_open, coach_validate, coach_preview, coach_save)
    }


def build_coach_tab(ctx: AppContext, user_state: Any) -> None:
    """``user_state`` is the app's identity BrowserState: the unlock is bound to it."""
    password = password_of(ctx.settings)
    if password is None:
        gr.Markdown(DISABLED, elem_id="coach-disabled")
        return
    h = make_handlers(ctx, password)
    unlocked = user_state  # handlers check this identity's unlock server-side
    loaded_hash = gr.State("")
    with gr.Row():
        attempt = gr.Textbox(
            type="password", label="Coach password", scale=3, elem_id="coach-password"
        )
        unlock = gr.Button("Unlock", scale=1, elem_id="coach-unlock")
        lock = gr.Button("Lock", scale=1, elem_id="coach-lock")
    lock_status = gr.Markdown(LOCKED, elem_id="coach-status")
    with gr.Column(visible=False) as area:
        with gr.Row():
            # Custom values pass through to rubric_files.resolve_file, which is the real gate.
            name = gr.Dropdown(
                choices=[],
                label="Rubric or problem file",
                scale=4,
                elem_id="coach-file",
                allow_custom_value=True,
            )
            save = gr.Button(
                "Save (keeps a backup)", variant="primary", scale=1, elem_id="coach-save"
            )
        save_status = gr.Markdown("", elem_id="coach-save-status")
        validation = gr.Markdown("", elem_id="coach-validation")
        editor = gr.Code(
            language="yaml",
            lines=24,
            max_lines=40,
            label="YAML",
            elem_id="coach-editor",
            interactive=True,
        )
        with gr.Accordion("Preview: the saved file vs your edit, on the same answer", open=False):
            with gr.Row():
                stage = gr.Dropdown(
                    choices=[("(the rubric's own stage)", ""), *[(s.title, s.id) for s in STAGES]],
                    value="",
                    label="Stage (for problem cards)",
                )
                problem = gr.Dropdown(
                    choices=[("none", ""), *ctx.problems()], value="", label="Problem (for rubrics)"
                )
            answer = gr.Textbox(
                lines=6,
                label="A candidate answer to grade",
                info="Empty: a sample built from the saved rubric's strong exemplars.",
            )
            grade_btn = gr.Button("Compare saved and edited")
            result = gr.HTML("", elem_id="coach-preview")
    unlock_outputs = [user_state, lock_status, area, name, attempt]
    unlock.click(h["coach_unlock"], [user_state, attempt], unlock_outputs, api_name="coach_unlock")
    attempt.submit(
        h["coach_unlock"], [user_state, attempt], unlock_outputs, api_visibility="private"
    )
    lock.click(
        h["coach_lock"], user_state, [*unlock_outputs, editor, validation], api_name="coach_lock"
    )
    name.change(
        h["coach_open"], [unlocked, name], [editor, loaded_hash, validation], api_name="coach_open"
    )
    editor.change(
        h["coach_validate"],
        [unlocked, name, editor],
        validation,
        api_name="coach_validate",
        trigger_mode="always_last",
        show_progress="hidden",
        # Validation copies and parses the whole rubrics dir (bounded: see yamlsource); at
        # most two at a time, so keystrokes in an editor never take the workers candidates use.
        concurrency_limit=2,
        concurrency_id="coach_validate",
    )
    grade_btn.click(
        h["coach_preview"],
        [unlocked, name, editor, stage, problem, answer],
        result,
        api_name="coach_preview",
    )
    save.click(
        h["coach_save"],
        [unlocked, name, editor, loaded_hash],
        [save_status, loaded_hash, validation],
        api_name="coach_save",
    )
