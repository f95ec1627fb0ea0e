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
            text = f"**{stage_heading(stage)}**\n\n{text}"
        seen_stage = stage or seen_stage
        out.append({"role": "assistant", "content": text})
    return out


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
    ids = [s.id for s in STAGES]
    cur_index = ids.index(current) if current in ids else len(ids)
    rows = []
    for i, stage in enumerate(STAGES):
        info = times.get(stage.id) or {}
        used = float(field(info, "elapsed_s", 0.0) or 0.0)
        budget = float(field(info, "budget_s", stage.minutes * 60) or stage.minutes * 60)
        if i < cur_index or (finished and i == cur_index):
            mark, cls = "✓ done", "done"
        elif i == cur_index:
            mark, cls = "▶ now", "now"
        elif finished:
            mark, cls = "skipped", "todo"
        else:
            mark, cls = "", "todo"
        over = " over" if used > budget and used > 0 else ""
        rows.append(
            f"<tr class='{cls}'><td>{i + 1}</td><td>{html.escape(stage.title)}</td>"
            f"<td>{mark}</td><td class='time{over}'>{_clock(used)} / {_clock(budget)}</td></tr>"
        )
    if current in _WRAPUP_IDS and not finished:
        rows.append(
            f"<tr class='now'><td></td><td>Wrap-up</td><td>▶ now</td>"
            f"<td class='time'>– / {WRAP_UP_MINUTES}:00</td></tr>"
        )
    total_used = sum(float(field(times.get(s.id) or {}, "elapsed_s", 0.0) or 0.0) for s in STAGES)
    state = "Finished" if finished else f"Now: {html.escape(stage_title(current))}"
    title = html.escape(str(field(view, "problem_title", "") or ""))
    return (
        f"<div class='tracker'><div class='tracker-head'><b>{title}</b><br>{state} · "
        f"{_clock(total_used)} used</div>"
        "<table><thead><tr><th>#</th><th>Stage</th><th></th><th>time / budget</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


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
        score = scores.get(sid) if finished else None
        rows.append(
            [
                sid,
                str(field(s, "problem_title", "") or field(s, "problem_id", "")),
                "finished" if finished else f"in progress · {stage_title(field(s, 'stage'))}",
                when,
                "" if score is None else f"{score:.1f}",
            ]
        )
    return rows
