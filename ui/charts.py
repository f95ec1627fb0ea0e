"""Matplotlib figures for the report and the history tab.

Built on ``matplotlib.figure.Figure`` directly, never pyplot: pyplot keeps global state and is not
safe across the threads Gradio runs handlers on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from interviewer.stages import STAGES

MAX_SCORE = 4.0
_SHORT = {
    "requirements": "Reqs",
    "framing": "Framing",
    "data": "Data",
    "features": "Features",
    "modeling": "Model",
    "evaluation": "Eval",
    "deployment": "Deploy",
    "monitoring": "Monitor",
}


def _score(value: Any) -> float | None:
    if isinstance(value, Mapping):
        value = value.get("score")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0.0, min(MAX_SCORE, float(value)))


def stage_scores_figure(scores: Mapping[str, Any], title: str = "Score per stage") -> Figure:
    """Horizontal bars, one per stage in interview order; stages not covered are labelled."""
    fig = Figure(figsize=(7.0, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    labels: list[str] = []
    values: list[float] = []
    colors: list[str] = []
    for stage in STAGES:
        value = _score(scores.get(stage.id))
        labels.append(stage.title)
        values.append(value if value is not None else 0.0)
        if value is None:
            colors.append("#d0d4da")
        elif value >= 3:
            colors.append("#2e7d32")
        elif value >= 2:
            colors.append("#f9a825")
        else:
            colors.append("#c62828")
    ys = list(range(len(labels)))
    ax.barh(ys, values, color=colors)
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()  # first stage on top, like the tracker
    ax.set_xlim(0, MAX_SCORE)
    ax.set_xticks([0, 1, 2, 3, 4])
    ax.set_xlabel("score (0 = nothing relevant, 4 = excellent)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    for y, stage in zip(ys, STAGES, strict=True):
        value = _score(scores.get(stage.id))
        text = "not covered" if value is None else f"{value:.1f}"
        ax.text((value or 0.0) + 0.05, y, text, va="center", fontsize=8)
    return fig


def progress_figure(points: Sequence[tuple[str, Mapping[str, Any]]]) -> Figure:
    """One line per stage over finished sessions (oldest first); ``points`` = (label, scores)."""
    fig = Figure(figsize=(7.5, 3.8), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    if not points:
        ax.text(
            0.5,
            0.5,
            "Finish an interview to see your progress here.",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        return fig
    xs = list(range(1, len(points) + 1))
    for stage in STAGES:
        ys = [_score(scores.get(stage.id)) for _, scores in points]
        if all(y is None for y in ys):
            continue
        # NaN leaves a gap for interviews that ended before this stage.
        ax.plot(
            xs,
            [float("nan") if y is None else y for y in ys],
            marker="o",
            label=_SHORT.get(stage.id, stage.id),
        )
    ax.set_xticks(xs, [label for label, _ in points], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(-0.1, MAX_SCORE + 0.1)
    ax.set_ylabel("score")
    ax.set_title("Stage scores over your finished interviews")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
