"""Pure rendering: service views → chatbot messages, the stage tracker, the report, exports.

Nothing here shows a score, a rubric or a hidden fact for an unfinished session: the tracker
renders stages and time only, and :func:`candidate_transcript` whitelists the turn fields a
candidate may see until the report exists.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from interviewer.session.progress import moved_on_by_interviewer, stage_progress
from interviewer.stages import STAGES, WRAP_UP_MINUTES
from ui.safe_text import inert_markdown

ChatMessage = dict[str, Any]
REPORT_POINTER = (
    "That's the end of the interview, thank you. Your report (scores per stage, "
    "strengths, gaps with what to study) is below the chat."
)
_TURN_FIELDS = ("role", "stage", "kind", "text", "timestamp")
_TITLES = {s.id: s.title for s in STAGES}
_WRAPUP_IDS = ("wrapup", "wrap_up", "wrap-up")
_export_lock = threading.Lock()
_export_root: Path | None = None


def field(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or key access, so views may be dataclasses or plain dicts."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def stage_title(stage_id: str | None) -> str:
    if not stage_id:
        return ""
    if stage_id in _WRAPUP_IDS:
        return "Wrap-up"
    return _TITLES.get(stage_id, stage_id)


# ----------------------------------------------------------------------------- chat


def chat_messages(turns: Iterable[Any]) -> list[ChatMessage]:
    """Turns as Gradio 6 chatbot messages; a stage heading marks the first turn of each stage."""
    out: list[ChatMessage] = []
    seen_stage: str | None = None
    for turn in turns:
        role = field(turn, "role")
        text = str(field(turn, "text", "") or "")
        stage = field(turn, "stage")
        # Candidate words (also quoted by the interviewer) must not fetch or link anything.
        text = inert_markdown(text)
        if role == "candidate":
            out.append({"role": "user", "content": text})
            continue
        kind = field(turn, "kind")
        if kind == "report":
            # The full report sits below the chat (with the chart and downloads).
            out.append({"role": "assistant", "content": REPORT_POINTER})
            continue
        if stage and stage != seen_stage:
            # The heading is its own message: a follow-up left unanswered and the next stage's
            # opening must never read as one bubble.
            out.append(heading_message(stage))
        seen_stage = stage or seen_stage
        out.append({"role": "assistant", "content": text})
    return out


def heading_message(stage_id: str) -> ChatMessage:
    return {"role": "assistant", "content": f"**{stage_heading(stage_id)}**"}


def split_chat(turns: Sequence[Any]) -> tuple[list[ChatMessage], list[ChatMessage]]:
    """``chat_messages(turns)`` cut in two: (earlier, recent).

    The page shows in full the stage the candidate last spoke in and everything after it;
    the earlier messages sit in a collapsed "Earlier in this interview" view that changes only
    when this cut moves. So a turn sends a bounded payload however long the interview has run.
    A stage with very many messages is cut in fixed chunks of ``WINDOW_CHUNK`` (stable cuts).
    """
    messages = chat_messages(turns)
    # chat_messages adds one heading message per stage change; find them from the turns.
    starts: list[int] = []
    spoke = -1
    i, seen = 0, None
    for turn in turns:
        stage = field(turn, "stage")
        role = field(turn, "role")
        if role != "candidate" and field(turn, "kind") != "report" and stage and stage != seen:
            starts.append(i)
            i += 1
        if role != "candidate" and field(turn, "kind") != "report":
            seen = stage or seen
        if role == "candidate":
            spoke = i
        i += 1
    start = max((s for s in starts if s <= spoke), default=0)
    extra = len(messages) - start
    if extra > 2 * WINDOW_CHUNK:
        start += ((extra - WINDOW_CHUNK) // WINDOW_CHUNK) * WINDOW_CHUNK
    return messages[:start], messages[start:]


WINDOW_CHUNK = 20


def stage_heading(stage_id: str) -> str:
    ids = [s.id for s in STAGES]
    if stage_id in ids:
        return f"Stage {ids.index(stage_id) + 1}/{len(ids)} · {stage_title(stage_id)}"
    return stage_title(stage_id)


def note(text: str) -> ChatMessage:
    """A transient note from the app (not the interviewer); never stored in the session."""
    return {"role": "assistant", "content": f"⚠️ {text}", "metadata": {"title": "Note from the app"}}


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chatbot message as Gradio 6 returns it (content is a list of parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


# ----------------------------------------------------------------------------- tracker


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def tracker_html(view: Any | None) -> str:
    """Current stage, stages done, time used vs budget per stage. No scores, ever."""
    if view is None:
        return (
            "<div class='tracker-empty'>Choose a problem and press <b>Start interview</b>. "
            "The interview walks through eight stages in about 45 minutes.</div>"
        )
    current = field(view, "stage")
    finished = bool(field(view, "finished"))
    times: Mapping[str, Any] = field(view, "stage_times") or {}
    progress = stage_progress(field(view, "turns") or [], current, finished, times)
    rows = []
    for i, p in enumerate(progress):
        over = " over" if p.elapsed_s > p.budget_s and p.elapsed_s > 0 else ""
        cls = {"now": "now", "answered": "done"}.get(p.status, p.status.replace("_", "-"))
        why = f" title='{html.escape(p.reason)}'" if p.reason else ""
        current_attr = " aria-current='step'" if p.status == "now" else ""
        rows.append(
            f"<tr class='{cls}'{current_attr}><td>{i + 1}</td><td>{html.escape(p.title)}</td>"
            f"<td{why}>{html.escape(p.label)}</td>"
            f"<td class='time{over}'>{_clock(p.elapsed_s)} / {_clock(p.budget_s)}</td></tr>"
        )
    if current in _WRAPUP_IDS and not finished:
        rows.append(
            "<tr class='now' aria-current='step'><td></td><td>Wrap-up</td><td>▶ now</td>"
            f"<td class='time'>– / {WRAP_UP_MINUTES}:00</td></tr>"
        )
    total_used = sum(p.elapsed_s for p in progress)
    state = "Finished" if finished else f"You are in: {html.escape(where_you_are(view))}"
    title = html.escape(str(field(view, "problem_title", "") or ""))
    return (
        f"<div class='tracker'><div class='tracker-head'><b>{title}</b><br>{state} · "
        f"{_clock(total_used)} used</div>"
        "<table><caption class='sr-only'>Interview progress by stage</caption>"
        "<thead><tr><th scope='col'>#</th><th scope='col'>Stage</th>"
        "<th scope='col'>What happened</th><th scope='col'>time / budget</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def where_you_are(view: Any) -> str:
    """ "Stage 3/8 · Data" (or "Wrap-up"): the stage Next would leave."""
    stage = field(view, "stage")
    return stage_heading(str(stage)) if stage else ""


def flow_note(view: Any) -> str:
    """One line under the chat saying where the candidate is, and what Next does from here.

    When the interviewer has just moved on by itself, says so: pressing Next then leaves the
    NEW stage, which the candidate has not answered yet.
    """
    if view is None or field(view, "finished"):
        return ""
    stage = str(field(view, "stage") or "")
    here = where_you_are(view)
    turns = list(field(view, "turns") or [])
    moved = moved_on_by_interviewer(turns)
    if stage in _WRAPUP_IDS:
        return f"You are in the **{here}**. Answer it, or press **End interview** for your report."
    answered = any(
        p.id == stage and p.answers
        for p in stage_progress(turns, stage, False, field(view, "stage_times") or {})
    )
    if moved == stage:
        lead = f"The interviewer moved on: you are now in **{here}**."
    else:
        lead = f"You are in **{here}**."
    if answered:
        return f"{lead} **Next stage** moves on from here."
    return f"{lead} You have not answered it yet; **Next stage** would skip it."


# ----------------------------------------------------------------------------- report


def stage_scores(report: Mapping[str, Any] | None) -> dict[str, float]:
    """``{stage: score}`` for the stages the interview covered (``stages`` may map to numbers
    or grade dicts; stages the report marks as not covered are left out)."""
    if not report:
        return {}
    covered = report.get("covered") or {}
    out: dict[str, float] = {}
    for stage, value in (report.get("stages") or {}).items():
        if covered and not covered.get(stage, True):
            continue
        score = value.get("score") if isinstance(value, Mapping) else value
        if isinstance(score, int | float) and not isinstance(score, bool):
            out[str(stage)] = float(score)
    return out


def scores_table(report: Mapping[str, Any] | None) -> str:
    scores = stage_scores(report)
    if not scores:
        return ""
    lines = ["| Stage | Score (0–4) |", "|---|---|"]
    for stage in STAGES:
        value = scores.get(stage.id)
        lines.append(f"| {stage.title} | {'—' if value is None else f'{value:.1f}'} |")
    overall = (report or {}).get("overall")
    if isinstance(overall, int | float):
        lines.append(f"| **Overall** | **{float(overall):.1f}** |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- transcripts


def candidate_transcript(transcript: Mapping[str, Any], finished: bool) -> dict[str, Any]:
    """The DESIGN transcript JSON; until the report exists, only what the candidate saw."""
    if finished:
        return {k: v for k, v in transcript.items() if k != "user"}
    problem = transcript.get("problem") or {}
    return {
        "session_id": transcript.get("session_id"),
        "problem": {"id": problem.get("id"), "title": problem.get("title")},
        "turns": [
            {k: t.get(k) for k in _TURN_FIELDS if k in t}
            for t in transcript.get("turns") or []
            if isinstance(t, Mapping)
        ],
        "report": None,
    }


def transcript_markdown(transcript: Mapping[str, Any], report_md: str = "") -> str:
    problem = transcript.get("problem") or {}
    lines = [
        f"# Mock interview: {problem.get('title') or problem.get('id') or ''}",
        "",
        f"Session `{transcript.get('session_id')}`",
        "",
    ]
    stage = None
    for turn in transcript.get("turns") or []:
        if turn.get("kind") == "report":
            continue  # the report is appended in full below
        if turn.get("stage") != stage:
            stage = turn.get("stage")
            lines += [f"## {stage_title(stage)}", ""]
        who = "Interviewer" if turn.get("role") == "interviewer" else "Candidate"
        text = str(turn.get("text") or "").strip()
        kind = turn.get("kind")
        tag = f" ({kind})" if kind and kind not in ("answer", "question") else ""
        lines += [f"**{who}{tag}:** {text}", ""]
    if report_md:
        lines += ["---", "", report_md.strip(), ""]
    return "\n".join(lines)


def _exports_dir() -> Path:
    global _export_root
    with _export_lock:
        if _export_root is None:
            _export_root = Path(tempfile.mkdtemp(prefix="interviewer-exports-"))
        return _export_root


def write_exports(transcript: Mapping[str, Any], report_md: str = "") -> tuple[str, str]:
    """Markdown and JSON transcript files; returns their paths.

    One folder per session, overwritten atomically, so re-rendering a finished session (page
    reloads, history) does not pile up copies; Gradio serves its own content-hashed copy.
    """
    sid = re.sub(r"[^A-Za-z0-9_-]", "", str(transcript.get("session_id") or "session"))[:40]
    folder = _exports_dir() / (sid or "session")
    folder.mkdir(exist_ok=True)
    md = folder / f"interview-{sid}.md"
    js = folder / f"interview-{sid}.json"
    for path, text in (
        (md, transcript_markdown(transcript, report_md)),
        (js, json.dumps(transcript, indent=2, ensure_ascii=False)),
    ):
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        Path(tmp).replace(path)
    return str(md), str(js)


def remove_exports(session_id: str) -> None:
    """Drop a deleted session's exported transcript files."""
    import shutil

    sid = re.sub(r"[^A-Za-z0-9_-]", "", session_id)[:40]
    if sid:
        shutil.rmtree(_exports_dir() / sid, ignore_errors=True)


def sessions_rows(summaries: Sequence[Any], scores: Mapping[str, float | None]) -> list[list[Any]]:
    """History table rows; the score column is filled for finished sessions only."""
    import datetime as dt

    rows = []
    for s in summaries:
        sid = str(field(s, "id"))
        finished = bool(field(s, "finished"))
        updated = field(s, "updated")
        when = (
            dt.datetime.fromtimestamp(float(updated)).strftime("%Y-%m-%d %H:%M")
            if isinstance(updated, int | float)
            else str(updated or "")
        )
        score = scores.get(sid) if finished else None  # two decimals: 0.93 and 0.89 differ
        rows.append(
            [
                sid,
                str(field(s, "problem_title", "") or field(s, "problem_id", "")),
                "finished" if finished else f"in progress · {stage_title(field(s, 'stage'))}",
                when,
                "" if score is None else f"{score:.2f}",
            ]
        )
    return rows
