"""A self-contained HTML report: variants side by side against the baseline (the first).

Plots are matplotlib PNGs inlined as base64 data URIs; there is no script, stylesheet or font
from a CDN, so the file opens anywhere, offline, and can be attached to a review.
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.aggregate import SPECS, fmt

DELTA_METRICS = (
    "followup_targeting",
    "followup_targeting_ref",
    "leakage",
    "stage_coverage",
    "clarification_accuracy",
    "persona_rank_spearman",
    "overall_score",
)
PLOT_METRICS = (
    "followup_targeting",
    "leakage",
    "stage_coverage",
    "clarification_accuracy",
    "overall_score",
    "turns",
    "pooled_latency_p50",
    "prompt_tokens",
)
CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;color:#1d2430;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #dde;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}
th,td{border:1px solid #d8dce4;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f3f5f9}td.l,th.l{text-align:left}
.pass{color:#0a7a32;font-weight:600}.fail{color:#b3261e;font-weight:600}
.better{background:#e5f6ea}.worse{background:#fbe7e6}.ci{color:#6b7280;font-size:11px}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
code,pre{background:#f5f6f8;padding:2px 4px;border-radius:3px;font-size:12px}
pre{padding:8px;overflow-x:auto}.muted{color:#6b7280}
"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return (
        "<img alt='plot' src='data:image/png;base64,"
        + base64.b64encode(buf.getvalue()).decode("ascii")
        + "'>"
    )


def _plots(
    summary: dict[str, Any], records: Sequence[dict[str, Any]], variants: Sequence[str]
) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: list[str] = []
    labels = {s.key: s.name for s in SPECS}
    colors = [f"C{i}" for i in range(len(variants))]
    # 1. key metrics with 95% CIs
    keys = [k for k in PLOT_METRICS if k in summary["variants"].get(variants[0], {})]
    cols = 4
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(4 * cols, 3.4 * rows), squeeze=False, constrained_layout=True
    )
    for ax, key in zip(axes.flat, keys, strict=False):
        vals: list[float] = []
        errs: list[list[float]] = [[], []]
        for v in variants:
            m = summary["variants"][v][key]
            val = m["value"] if m["value"] is not None else 0.0
            lo, hi = m["ci"]
            vals.append(val)
            errs[0].append(max(0.0, val - lo) if lo is not None else 0.0)
            errs[1].append(max(0.0, hi - val) if hi is not None else 0.0)
        ax.bar(range(len(variants)), vals, yerr=errs, color=colors, capsize=4)
        ax.set_xticks(range(len(variants)), variants, rotation=20, ha="right", fontsize=8)
        ax.set_title(labels.get(key, key), fontsize=9)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.suptitle("Key metrics by variant (bars: value, whiskers: bootstrap 95% CI)")
    out.append(_png(fig))
    # 2. overall score by persona
    personas = list(summary["by_persona"].get(variants[0], {}))
    if personas:
        fig, ax = plt.subplots(figsize=(12, 3.5))
        width = 0.8 / len(variants)
        for i, v in enumerate(variants):
            ys = [
                summary["by_persona"].get(v, {}).get(p, {}).get("overall_score") or 0.0
                for p in personas
            ]
            ax.bar(
                [j + i * width for j in range(len(personas))], ys, width, label=v, color=colors[i]
            )
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(personas))], personas)
        ax.set_ylabel("overall score (0-4)")
        ax.set_ylim(0, 4.3)
        ax.set_title("Report score by simulated candidate: a good interviewer separates them")
        ax.legend(fontsize=8)
        out.append(_png(fig))
    # 3. turn latency distribution
    fig, ax = plt.subplots(figsize=(8, 3.2))
    data = [
        [
            x
            for r in records
            if r.get("ok") and r["variant"] == v
            for x in r.get("timings", {}).get("turn_ms", [])
        ]
        or [0.0]
        for v in variants
    ]
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(variants) + 1), variants)
    ax.set_ylabel("ms per candidate turn")
    ax.set_title("Turn latency (whiskers 1.5 IQR, outliers hidden)")
    out.append(_png(fig))
    # 4. deltas against the baseline
    for v, deltas in summary["deltas"].items():
        rows_ = [
            (labels.get(k, k), deltas[k])
            for k in DELTA_METRICS
            if k in deltas and deltas[k]["delta"] is not None and deltas[k]["ci"][0] is not None
        ]
        if not rows_:
            continue
        fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows_) + 1))
        for i, (_label, d) in enumerate(rows_):
            col = {"better": "green", "worse": "red"}.get(d["verdict"], "gray")
            ax.errorbar(
                d["delta"],
                i,
                xerr=[[d["delta"] - d["ci"][0]], [d["ci"][1] - d["delta"]]],
                fmt="o",
                color=col,
                capsize=3,
            )
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(rows_)), [r[0] for r in rows_], fontsize=8)
        ax.set_title(
            f"{v} minus {variants[0]}: quality metrics (paired, 95% CI; green better, "
            "red worse; the rest is in the table)",
            fontsize=9,
        )
        out.append(_png(fig))
    return out


def _cell(m: dict[str, Any], pattern: str) -> str:
    passed = m.get("pass")
    mark = (
        ""
        if passed is None
        else (" <span class='pass'>✓</span>" if passed else " <span class='fail'>✗</span>")
    )
    lo, hi = m["ci"]
    ci = f"<div class='ci'>[{fmt(lo, pattern)}, {fmt(hi, pattern)}]</div>" if lo is not None else ""
    return f"<td>{fmt(m['value'], pattern)}{mark}{ci}</td>"


def _grading_table(grading: dict[str, Any] | None, names: Sequence[str]) -> list[str]:
    """Grading agreement with the labelled set, one row per variant's grader configuration."""
    if not grading or not grading.get("available"):
        return []
    e = html.escape
    keys = ("n", "spearman", "spearman_on_stage", "mae", "auc_min", "max_guarded", "grade_ms_p50")
    rows = [
        f"<h3>Grading agreement with the labelled set (split {e(str(grading['split']))})"
        "</h3><table><tr><th class='l'>variant</th>"
        + "".join(f"<th>{k}</th>" for k in keys)
        + "<th class='l'>targets met</th></tr>"
    ]
    for n in names:
        r = grading["variants"].get(n)
        if not r:
            continue
        met = ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in (r.get("targets_met") or {}).items())
        rows.append(
            f"<tr><td class='l'>{e(n)}</td>"
            + "".join(
                f"<td>{fmt(r.get(k)) if isinstance(r.get(k), float) else e(str(r.get(k)))}</td>"
                for k in keys
            )
            + f"<td class='l'>{e(met)}</td></tr>"
        )
    rows.append("</table>")
    return rows


LISTENING_KEYS = (
    "probe_on_covered",
    "probe_on_gap",
    "clarify_right_fact",
    "claims_taken_up",
    "false_challenges",
    "hedges_kept",
    "tangents_redirected",
    "nervous_reframed",
    "off_family",
)


def _listening_table(listening: dict[str, Any] | None, names: Sequence[str]) -> list[str]:
    """Listening metrics (rate, k/n) per variant, on the newest blind set of moments."""
    if not listening or not listening.get("available"):
        return []
    e = html.escape
    rows = [
        f"<h3>Listening (labelled interview moments, set {e(str(listening['set']))})</h3>"
        "<table><tr><th class='l'>variant</th><th class='l'>policy</th>"
        + "".join(f"<th>{k}</th>" for k in LISTENING_KEYS)
        + "</tr>"
    ]
    for n in names:
        r = listening["variants"].get(n)
        if not r:
            continue
        met = r.get("targets_met") or {}
        cells = []
        for k in LISTENING_KEYS:
            v = r.get(k) or {}
            ok = met.get(k)
            mark = "" if ok is None else (" ✓" if ok else " ✗")
            rate = "–" if v.get("rate") is None else f"{v['rate']:.2f}"
            cells.append(
                f"<td>{rate} <span class='muted'>{v.get('k')}/{v.get('n')}</span>{mark}</td>"
            )
        rows.append(f"<tr><td class='l'>{e(n)}</td><td class='l'>{e(str(r.get('policy')))}</td>")
        rows.append("".join(cells) + "</tr>")
    rows.append("</table>")
    return rows


def render(
    summary: dict[str, Any],
    records: Sequence[dict[str, Any]],
    variants: Sequence[Any],
    meta: dict[str, Any],
) -> str:
    names = [v.name for v in variants]
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>Interviewer eval report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Interviewer eval report</h1>",
        f"<p class='muted'>{e(time.strftime('%Y-%m-%d %H:%M:%S'))} · "
        f"{len(records)} interviews · variants {', '.join(map(e, names))} "
        f"(baseline: <b>{e(names[0])}</b>) · personas {e(', '.join(meta['personas']))} · "
        f"{len(meta['problems'])} problems · repeat {meta['repeat']} · "
        f"{meta.get('seconds', 0):.0f} s wall</p>",
    ]
    if summary["errors"]:
        parts.append(
            f"<p class='fail'>{len(summary['errors'])} interview(s) failed; see the "
            "end of this report.</p>"
        )
    metric_fmt = {m["key"]: m["fmt"] for m in summary["metrics"]}
    parts.append(
        "<h2>Metrics by variant</h2><p class='muted'>Value, bootstrap 95% CI over "
        "interviews below it; ✓/✗ against the target where one is set.</p>"
    )
    parts.append(
        "<table><tr><th class='l'>metric</th><th>target</th>"
        + "".join(f"<th>{e(n)}</th>" for n in names)
        + "</tr>"
    )
    for m in summary["metrics"]:
        target = f"{m['target'][0]} {m['target'][1]:g}" if m["target"] else ""
        parts.append(
            f"<tr><td class='l'>{e(m['label'])}</td><td>{e(target)}</td>"
            + "".join(_cell(summary["variants"][n][m["key"]], m["fmt"]) for n in names)
            + "</tr>"
        )
    parts.append("</table>")
    if summary["deltas"]:
        parts.append(
            f"<h2>Deltas against {e(names[0])}</h2><p class='muted'>Paired on "
            "(persona, problem, repeat); bootstrap 95% CI. Green: better with the CI "
            "excluding 0; red: worse.</p><table><tr><th class='l'>metric</th>"
            + "".join(f"<th>{e(n)}</th>" for n in summary["deltas"])
            + "</tr>"
        )
        for m in summary["metrics"]:
            cells = []
            for v in summary["deltas"]:
                d = summary["deltas"][v][m["key"]]
                cls = {"better": "better", "worse": "worse"}.get(d["verdict"], "")
                lo, hi = d["ci"]
                ci = f"[{fmt(lo, m['fmt'])}, {fmt(hi, m['fmt'])}]" if lo is not None else ""
                sign = "+" if (d["delta"] or 0) > 0 else ""
                cells.append(
                    f"<td class='{cls}'>{sign}{fmt(d['delta'], m['fmt'])}"
                    f"<div class='ci'>{ci} {e(d['verdict'])}</div></td>"
                )
            parts.append(f"<tr><td class='l'>{e(m['label'])}</td>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append("<h2>Plots</h2>")
    parts += _plots(summary, records, names)
    parts.append("<h2>By simulated candidate</h2>")
    for key in (
        "overall_score",
        "followup_targeting",
        "leakage",
        "stage_coverage",
        "mean_turns_per_stage",
    ):
        pattern = metric_fmt.get(key, "{:.3f}")
        personas = list(summary["by_persona"].get(names[0], {}))
        label = next((m["label"] for m in summary["metrics"] if m["key"] == key), key)
        parts.append(
            f"<h3>{e(label)}</h3><table><tr><th class='l'>persona</th>"
            + "".join(f"<th>{e(n)}</th>" for n in names)
            + "</tr>"
        )
        for p in personas:
            parts.append(
                f"<tr><td class='l'>{e(p)}</td>"
                + "".join(
                    f"<td>{fmt(summary['by_persona'].get(n, {}).get(p, {}).get(key), pattern)}</td>"
                    for n in names
                )
                + "</tr>"
            )
        parts.append("</table>")
    if meta.get("suites"):
        parts.append("<h2>Suites</h2>")
        parts += _grading_table(meta["suites"].get("grading"), names)
        parts += _listening_table(meta["suites"].get("listening"), names)
        parts.append(
            "<h3>All suite results</h3><pre>"
            + e(json.dumps(meta["suites"], indent=2, default=str)[:20000])
            + "</pre>"
        )
    parts.append(
        "<h2>Variants</h2><table><tr><th class='l'>name</th><th class='l'>settings"
        "</th><th class='l'>prompt versions</th><th class='l'>model ids</th></tr>"
    )
    for v in variants:
        rec = next((r for r in records if r.get("ok") and r["variant"] == v.name), {})
        settings = json.dumps(v.model_dump(exclude={"name", "description"}))
        parts.append(
            f"<tr><td class='l'>{e(v.name)}<div class='ci'>{e(v.description)}</div>"
            f"</td><td class='l'><code>{e(settings)}</code></td>"
            f"<td class='l'>{e(', '.join(v.prompt_tags()))}<div class='ci'>"
            f"used: {e(', '.join(rec.get('prompt_versions', [])))}</div></td>"
            f"<td class='l'>{e(json.dumps(rec.get('models', {})))}</td></tr>"
        )
    parts.append("</table>")
    if summary.get("leak_examples"):
        parts.append(
            "<h2>Leak examples</h2><table><tr><th class='l'>variant</th>"
            "<th class='l'>case</th><th class='l'>kind</th><th class='l'>detail</th></tr>"
        )
        for lk in summary["leak_examples"]:
            parts.append(
                f"<tr><td class='l'>{e(lk['variant'])}</td><td class='l'>"
                f"{e(lk['persona'])} / {e(lk['problem'])} turn {lk['turn']}</td>"
                f"<td class='l'>{e(lk['kind'])}</td>"
                f"<td class='l'>{e(lk['detail'])}</td></tr>"
            )
        parts.append("</table>")
    if summary["errors"]:
        parts.append(
            "<h2>Failed interviews</h2><pre>"
            + e(json.dumps(summary["errors"], indent=2))
            + "</pre>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write(
    out_dir: Path,
    summary: dict[str, Any],
    records: Sequence[dict[str, Any]],
    variants: Sequence[Any],
    meta: dict[str, Any],
) -> Path:
    path = out_dir / "report.html"
    path.write_text(render(summary, records, variants, meta), encoding="utf-8")
    return path
