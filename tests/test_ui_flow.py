"""The candidate tab's honest stage flow, bounded chat payload and report layout, as pure
functions (no server): interviewer/session/progress.py, ui.render, ui.report_view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interviewer.session.progress import moved_on_by_interviewer, stage_progress
from interviewer.session.state import Turn
from ui import render, report_view

ROOT = Path(__file__).resolve().parent.parent


def _i(stage: str, kind: str, text: str, **meta: Any) -> Turn:
    return Turn("interviewer", stage, kind, text, meta=meta)


def _c(stage: str, text: str, intent: str = "answer") -> Turn:
    return Turn("candidate", stage, "answer", text, meta={"intent": intent})


MOVE = "candidate asked to move on"
TURNS = [
    _i("requirements", "question", "Who are the users?", subkind="open"),
    _c("requirements", "Scale? Latency?", "clarify"),
    _i("requirements", "clarification", "300M daily users.", subkind="clarify"),
    _c("requirements", "We serve 300M users within 200 ms."),
    # The interviewer moves on by itself after a full answer...
    _i("framing", "transition", "Let's frame it.", subkind="transition", reason="covered"),
    _c("framing", "Ranking by predicted engagement, NDCG offline."),
    _i("framing", "followup", "What online metric?", subkind="probe", target="online_metric"),
    # ...the candidate skips the follow-up with Next...
    _i("data", "transition", "On to data.", subkind="transition", reason=MOVE),
    # ...and the interviewer gives up on data after non-answers.
    _c("data", "asdf", "off_topic"),
    _i("features", "transition", "Features now.", reason="repeated non-answers"),
]


def test_progress_says_what_really_happened() -> None:
    times = {"requirements": {"elapsed_s": 130.0, "budget_s": 300.0}}
    p = {s.id: s for s in stage_progress(TURNS, "features", False, times)}
    assert p["requirements"].status == "answered" and p["requirements"].answers == 1
    assert p["requirements"].questions == 1 and p["requirements"].left_by == "interviewer"
    assert "interviewer moved on" in p["requirements"].label
    assert p["requirements"].elapsed_s == 130.0 and p["requirements"].budget_s == 300.0
    assert p["framing"].status == "answered" and p["framing"].left_by == "you"
    assert p["framing"].followups == 1
    assert p["data"].status == "moved_on" and p["data"].reason == "repeated non-answers"
    assert "not answered" in p["data"].label
    assert p["features"].status == "now" and p["modeling"].status == "pending"
    # Ended in features without answering: nothing claims it was done.
    ended = [*TURNS, _i("features", "report", "# Report", subkind="report")]
    q = {s.id: s for s in stage_progress(ended, "features", True, {})}
    assert q["features"].status == "skipped" and q["features"].left_by == "end"
    assert "ended here" in q["features"].label and q["modeling"].status == "not_reached"
    assert not any("done" in s.label for s in q.values())


def test_where_you_are_after_the_interviewer_moved_on() -> None:
    assert moved_on_by_interviewer(TURNS) == "features"
    assert moved_on_by_interviewer(TURNS[:8]) is None  # the candidate's own Next
    assert moved_on_by_interviewer(TURNS[:6]) is None  # the candidate spoke since
    view = {"stage": "features", "finished": False, "turns": TURNS, "stage_times": {}}
    note = render.flow_note(view)
    assert "interviewer moved on" in note and "Stage 4/8 · Features" in note
    assert "would skip it" in note
    html = render.tracker_html({**view, "problem_title": "P"})
    assert "You are in: Stage 4/8 · Features" in html and "aria-current='step'" in html
    assert "✓ done" not in html and "score" not in html.lower()


def test_headings_and_followups_are_separate_bubbles() -> None:
    chat = render.chat_messages(TURNS)
    texts = [m["content"] for m in chat]
    i = texts.index("What online metric?")
    assert texts[i + 1] == "**Stage 3/8 · Data**" and texts[i + 2] == "On to data."


def test_chat_payload_is_bounded_however_long_the_interview() -> None:
    turns: list[Turn] = [_i("requirements", "question", "Q", subkind="open")]
    sizes = []
    for n in range(200):  # 200 clarifying questions in one stage
        turns += [_c("requirements", f"q{n}?", "clarify"), _i("requirements", "clarification", "a")]
        earlier, recent = render.split_chat(turns)
        assert earlier + recent == render.chat_messages(turns)
        sizes.append(len(recent))
    assert max(sizes) <= 2 * render.WINDOW_CHUNK + 2
    # Across stages: the shown part starts at the stage the candidate last spoke in.
    earlier, recent = render.split_chat(TURNS)
    assert recent[0]["content"] == "**Stage 3/8 · Data**" and "asdf" in str(recent)
    assert earlier and earlier[0]["content"].startswith("**Stage 1/8")


CITE = (
    "  - Read: `corpus/03-data.md` — Data: Sources, Labels and the Training Pipeline > "
    "Train, validation and test splits without leakage\n"
)
REPORT = (
    """# Your interview report: Fraud

**Verdict: no hire** · overall 1.2 / 4.

| Stage | Score |
|---|---|
| Data | 1.2 |

## What you did well

- Labels.

## What to work on

- **Leakage**: split by time.
"""
    + CITE
    + CITE
    + """
## Full detail per criterion

- x
"""
)


def test_report_layout_verdict_first_sections_fold_citations_open() -> None:
    verdict = report_view.verdict_markdown(REPORT)
    assert verdict.startswith("# Your interview report") and "| Data | 1.2 |" in verdict
    body = report_view.report_body_markdown(REPORT)
    assert body.count("<details") == 3 and body.count("<details class='report-section' open>") == 3
    assert "**[1]**" in body and "Verdict" not in body
    cites = report_view.citations(REPORT)
    assert len(cites) == 1 and cites[0].heading.startswith("Train, validation and test splits")
    found = report_view.find_citation(REPORT, cites[0].label)
    passage = report_view.passage_markdown(found, ROOT / "corpus")
    assert passage.startswith("**[1] corpus/03-data.md**") and "leak" in passage.lower()
    assert "not available" in report_view.passage_markdown(
        report_view.Citation(1, "../../etc/passwd.md", "x > y"), ROOT / "corpus"
    )
    alt = report_view.chart_alt_text({"requirements": 2.25, "data": 0.0})
    assert "Clarify requirements & scope 2.2" in alt or "2.3" in alt
    assert "Data 0.0" in alt and "Model not covered" in alt


def test_a_turn_sends_the_chat_and_a_page_key_only_when_the_page_changed() -> None:
    """send_message's outputs (ui.candidate.turn_outputs): chat, tracker, flow line, and a new
    page key only when the turn changed the rest of the page (its change event renders it)."""
    from ui.candidate import TURN_NAMES, turn_outputs
    from ui.context import AppContext

    ctx = AppContext(settings=None)
    token = "a" * 32

    def view(turns: list[Turn], stage: str) -> dict[str, Any]:
        return {"id": "s1", "user": "u", "turns": turns, "stage": stage, "finished": False}

    before = view(TURNS[:3], "requirements")
    after = view(TURNS[:4], "requirements")
    known = len(render.split_chat(TURNS[:3])[0])
    out = turn_outputs(ctx, token, before, after, earlier_known=known)
    assert len(out) == len(TURN_NAMES) + 1 and out[-1] == {"__type__": "update"}  # gr.skip()
    chat, tracker, flow = out[:3]
    assert flow == render.flow_note(after)
    assert chat == render.split_chat(TURNS[:4])[1] and tracker == render.tracker_html(after)
    # The interviewer moved on and earlier stages folded away: the page key changes.
    moved = view(TURNS, "features")
    key = turn_outputs(ctx, token, after, moved, earlier_known=known)[-1]
    assert key == f"s1:{len(TURNS)}"
    # Wrap-up begins (Next stage is disabled by the page's own render).
    wrap = view([*TURNS[:4], _i("wrapup", "question", "Sum up?")], "wrapup")
    assert isinstance(turn_outputs(ctx, token, after, wrap, earlier_known=known)[-1], str)
