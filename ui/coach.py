"""The coach tab: unlock with a password, edit rubric and problem YAML, validate, preview, save.

Without ``INTERVIEWER_COACH_PASSWORD`` the tab only explains how to enable it: no handler that
reads or writes rubric files is even registered. With it, every handler re-checks the unlocked
flag, which lives in server-side session state (``gr.State``), so a client cannot forge it.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError, RubricError
from interviewer.stages import STAGES
from ui import rubric_files as rf
from ui.context import AppContext, log

DISABLED = (
    "### Coach tools are disabled\n\n"
    "Editing rubrics and problem cards needs a coach password. Set "
    "`INTERVIEWER_COACH_PASSWORD` (in the environment or in `.env`) and restart "
    "`interviewer serve`; this tab then asks for it."
)
LOCKED = "Locked: enter the coach password first."
FAILED_UNLOCK_DELAY_S = 1.0  # slows down password guessing; costs one worker a second


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


def preview_md(result: dict[str, Any]) -> str:
    lines = [
        f"**Stage score: {result.get('score')} / {result.get('max_score', 4)}** "
        f"(engine: {result.get('engine', 'offline')})",
        "",
        "| criterion | score | evidence (quoted from the answer) |",
        "|---|---|---|",
    ]
    for c in result.get("criteria") or []:
        evidence = str(c.get("evidence") or "—").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{c.get('id')}` | {c.get('score')} | {evidence[:300]} |")
    missing = result.get("missing") or []
    if missing:
        lines += ["", "Missing (≤1): " + ", ".join(f"`{m}`" for m in missing)]
    flags = result.get("flags") or []
    if flags:
        lines += ["", "Flags: " + ", ".join(flags)]
    return "\n".join(lines)


def make_handlers(ctx: AppContext, password: str) -> dict[str, Any]:
    expected = password.encode("utf-8")

    def coach_unlock(attempt: Any) -> tuple[Any, ...]:
        given = attempt.encode("utf-8", "replace") if isinstance(attempt, str) else b""
        if hmac.compare_digest(given, expected):
            files = rf.list_files(ctx.dirs)
            return (
                True,
                "Unlocked.",
                gr.Column(visible=True),
                gr.Dropdown(choices=files, value=None),
                "",
            )
        time.sleep(FAILED_UNLOCK_DELAY_S)
        gr.Warning("Wrong coach password.")
        return (
            False,
            "Wrong password.",
            gr.Column(visible=False),
            gr.Dropdown(choices=[], value=None),
            "",
        )

    def coach_open(unlocked: Any, name: Any) -> tuple[Any, ...]:
        if unlocked is not True:
            return "", "", LOCKED
        try:
            text, digest = rf.read_file(ctx.dirs, name)
            return text, digest, validation_md(rf.validate_edit(ctx.dirs, name, text))
        except InterviewerError as exc:
            return "", "", f"Error: {exc}"

    def coach_validate(unlocked: Any, name: Any, text: Any) -> str:
        if unlocked is not True:
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
        if unlocked is not True:
            return LOCKED
        try:
            result = rf.preview_grade(
                ctx.dirs, name, str(text or ""), str(answer or ""), stage or None, problem or None
            )
            return preview_md(result)
        except RubricError as exc:
            return _errors_md(exc.messages, "Fix these errors first")
        except InterviewerError as exc:
            return f"Error: {exc}"
        except Exception:
            log.exception("coach preview failed")
            return "Error: the grader failed on this input; see the server log."

    def coach_save(unlocked: Any, name: Any, text: Any, loaded_hash: Any) -> tuple[Any, ...]:
        if unlocked is not True:
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
        f.__name__: f for f in (coach_unlock, coach_open, coach_validate, coach_preview, coach_save)
    }


def build_coach_tab(ctx: AppContext) -> None:
    password = password_of(ctx.settings)
    if password is None:
        gr.Markdown(DISABLED, elem_id="coach-disabled")
        return
    h = make_handlers(ctx, password)
    unlocked = gr.State(False)
    loaded_hash = gr.State("")
    with gr.Row():
        attempt = gr.Textbox(
            type="password", label="Coach password", scale=3, elem_id="coach-password"
        )
        unlock = gr.Button("Unlock", scale=1, elem_id="coach-unlock")
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
        with gr.Accordion("Preview grading against the edited (unsaved) file", open=False):
            with gr.Row():
                stage = gr.Dropdown(
                    choices=[("(the rubric's own stage)", ""), *[(s.title, s.id) for s in STAGES]],
                    value="",
                    label="Stage (for problem cards)",
                )
                problem = gr.Dropdown(
                    choices=[("none", ""), *ctx.problems()], value="", label="Problem (for rubrics)"
                )
            answer = gr.Textbox(lines=6, label="A candidate answer to grade")
            grade_btn = gr.Button("Grade this answer")
            result = gr.Markdown("")
    unlock.click(
        h["coach_unlock"],
        attempt,
        [unlocked, lock_status, area, name, attempt],
        api_name="coach_unlock",
    )
    attempt.submit(
        h["coach_unlock"],
        attempt,
        [unlocked, lock_status, area, name, attempt],
        api_visibility="private",
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
