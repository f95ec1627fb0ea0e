"""The coach tab's before/after preview: one answer graded with the saved file and with the
edited (unsaved) text, side by side, changes marked; an edit that does not load shows its first
``file:line: message`` with that line of the edit highlighted. Nothing here writes a file.

No gradio here (the tab's handler renders :func:`compare_html` into an HTML component).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from interviewer.errors import RubricError
from ui import rubric_files as rf

_LINE = re.compile(r":(\d+): ")
EXCERPT = 2  # lines shown either side of an error's line


@dataclass(frozen=True)
class Side:
    """One version's grade (``rf.preview_grade``'s dict), or why it could not grade."""

    grade: dict[str, Any] | None = None
    error: str | None = None  # the first ``file:line: message``
    more: int = 0  # further errors not shown


@dataclass(frozen=True)
class Comparison:
    answer: str
    sample: bool  # the answer is the saved rubric's own exemplar text (none was given)
    saved: Side
    edited: Side
    edited_text: str


def sample_answer(dirs: rf.RubricDirs, name: str, saved_text: str, stage: str | None) -> str:
    """Strong exemplars of the saved rubric's first criteria (``saved_text``, the file as read
    for the comparison), as one answer."""
    from interviewer.rubrics.loader import load_rubrics, parse_rubric_text
    from interviewer.stages import STAGE_IDS, get_stage

    if rf.is_problem(name):
        rubric = load_rubrics(dirs.rubrics)[get_stage(stage or STAGE_IDS[0]).id]
    else:
        rubric = parse_rubric_text(saved_text, rf.display_name(dirs, name))
    return " ".join(str(c.exemplars.strong[0]) for c in rubric.criteria[:3])


def _side(
    dirs: rf.RubricDirs, name: str, text: str, answer: str, stage: str | None, problem: str | None
) -> Side:
    try:
        return Side(grade=rf.preview_grade(dirs, name, text, answer, stage, problem))
    except RubricError as exc:
        first = exc.messages[0] if exc.messages else str(exc)
        return Side(error=first, more=max(0, len(exc.messages) - 1))


def compare(
    dirs: rf.RubricDirs,
    name: str,
    text: str,
    answer: str,
    stage: str | None,
    problem: str | None,
) -> Comparison:
    """Grade ``answer`` (or the saved rubric's sample when empty) with both versions."""
    saved_text, _ = rf.read_file(dirs, name)
    sample = not answer.strip()
    if sample:
        try:
            answer = sample_answer(dirs, name, saved_text, stage)
        except RubricError:  # the saved file itself does not load: grade the edit only
            answer = ""
    if not answer.strip():
        from interviewer.errors import UserInputError

        raise UserInputError("paste an answer to grade first")
    return Comparison(
        answer=answer,
        sample=sample,
        saved=_side(dirs, name, saved_text, answer, stage, problem),
        edited=_side(dirs, name, text, answer, stage, problem),
        edited_text=text,
    )


# ------------------------------------------------------------------------------ rendering


def error_line(message: str) -> int | None:
    match = _LINE.search(message)
    return int(match.group(1)) if match else None


def excerpt_html(text: str, line: int) -> str:
    """The lines around ``line`` (1-based) of ``text``, that line in a <mark>."""
    lines = text.splitlines()
    if not lines or line < 1:
        return ""
    line = min(line, len(lines))  # YAML points one past the end for an unclosed structure
    rows = []
    for n in range(max(1, line - EXCERPT), min(len(lines), line + EXCERPT) + 1):
        row = f"{n:>4} | {html.escape(lines[n - 1])}"
        rows.append(f"<mark aria-label='line {n}, the error'>{row}</mark>" if n == line else row)
    return "<pre class='coach-excerpt'>" + "\n".join(rows) + "</pre>"


def error_html(side: Side, text: str, label: str) -> str:
    message = side.error or ""
    more = f" (and {side.more} more)" if side.more else ""
    line = error_line(message)
    excerpt = excerpt_html(text, line) if line is not None else ""
    return (
        f"<p class='coach-error' role='alert'><strong>{label} does not load:</strong> "
        f"<code>{html.escape(message)}</code>{more}</p>{excerpt}"
    )


def _score(value: Any) -> str:
    return "—" if value is None else html.escape(str(value))


def _change(before: Any, after: Any) -> tuple[bool, str]:
    if before == after:
        return False, ""
    if before is None:
        return True, "new"
    if after is None:
        return True, "removed"
    try:
        delta = float(after) - float(before)
    except (TypeError, ValueError):
        return True, "changed"
    return True, f"{'▲' if delta > 0 else '▼'} {delta:+.2f}"


def _row(label: str, before: Any, after: Any, both: bool) -> str:
    """A table row; ``both``: the two versions graded, so differences are marked."""
    changed, note = _change(before, after) if both else (False, "")
    b, a = _score(before), _score(after)
    if changed:
        b, a, note = f"<mark>{b}</mark>", f"<mark>{a}</mark>", f"<mark>{note}</mark>"
    cls = " class='changed'" if changed else ""
    return f"<tr{cls}><th scope='row'>{label}</th><td>{b}</td><td>{a}</td><td>{note}</td></tr>"


def compare_html(c: Comparison) -> str:
    """Side by side: stage score, then every criterion of either version; changes in <mark>."""
    saved, edited = c.saved.grade or {}, c.edited.grade or {}
    which = "a sample (the saved rubric's strong exemplars)" if c.sample else "your answer"
    parts = [
        f"<p class='coach-answer'>Graded answer, {which}: <q>{html.escape(c.answer[:600])}</q></p>"
    ]
    if c.saved.error:
        parts.append(error_html(c.saved, "", "The saved file"))
    if c.edited.error:
        parts.append(error_html(c.edited, c.edited_text, "Your edit"))
    s_crit = {str(x.get("id")): x.get("score") for x in saved.get("criteria") or []}
    e_crit = {str(x.get("id")): x.get("score") for x in edited.get("criteria") or []}
    ids = list(s_crit) + [i for i in e_crit if i not in s_crit]
    both = bool(c.saved.grade and c.edited.grade)
    rows = [_row("<strong>Stage score</strong>", saved.get("score"), edited.get("score"), both)]
    rows += [
        _row(f"<code>{html.escape(i)}</code>", s_crit.get(i), e_crit.get(i), both) for i in ids
    ]
    changed = sum(1 for r in rows if r.startswith("<tr class='changed'>"))
    if not both:
        summary = "Fix the file that does not load to compare the two."
    elif changed:
        summary = f"{changed} score(s) change with this edit (marked)."
    else:
        summary = "No score changes with this edit."
    parts += [
        "<table class='coach-compare'><caption>Saved file vs your edit (not saved), "
        "scores 0-4</caption><thead><tr><th scope='col'>Criterion</th>"
        "<th scope='col'>Saved</th><th scope='col'>Edited</th><th scope='col'>Change</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>",
        f"<p class='coach-summary'>{summary} Nothing is saved by a preview.</p>",
    ]
    return "\n".join(parts)
