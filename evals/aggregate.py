"""Per-variant summaries of eval records, and deltas against the baseline with bootstrap CIs.

Ratio metrics (follow-up targeting, leakage) are pooled (sum of numerators over sum of
denominators) so an interview with 16 probes weighs more than one with 2; the bootstrap
resamples whole interviews either way. Deltas are paired on (persona, problem, repeat) when
both variants ran the same case, which removes most of the between-case noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evals.metrics import bootstrap_ci, mean, percentile

Record = dict[str, Any]
Stat = Callable[[Sequence[Record]], float | None]
PERSONA_RANK = {"strong": 3, "average": 2, "weak": 1}


@dataclass(frozen=True)
class MetricSpec:
    key: str
    label: str
    better: int  # +1 higher is better, -1 lower is better, 0 neither
    num: str | None = None  # pooled ratio: sum(num) / sum(den)
    den: str | None = None
    target: tuple[str, float] | None = None
    fmt: str = "{:.3f}"
    short: str = ""  # plot label (default: the label up to its parenthesis)

    @property
    def name(self) -> str:
        return self.short or self.label.split(" (")[0]

    def stat(self) -> Stat:
        if self.key == "persona_rank_spearman":
            return persona_rank_spearman
        if self.key.startswith("pooled_latency_"):
            q = 50.0 if self.key.endswith("p50") else 95.0
            return lambda rs: percentile(
                [x for r in rs for x in r.get("timings", {}).get("turn_ms", [])], q
            )
        if self.num and self.den:
            num, den = self.num, self.den

            def ratio(rs: Sequence[Record]) -> float | None:
                d = sum(r["metrics"].get(den) or 0 for r in rs)
                return sum(r["metrics"].get(num) or 0 for r in rs) / d if d else None

            return ratio
        key = self.key
        return lambda rs: mean(r["metrics"].get(key) for r in rs)

    def passes(self, value: float | None) -> bool | None:
        if self.target is None or value is None:
            return None
        op, bound = self.target
        return value >= bound - 1e-9 if op == ">=" else value <= bound + 1e-9


SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "followup_targeting",
        "Follow-up targeting (probe target truly missing)",
        1,
        "probes_on_target",
        "probes_with_truth",
        (">=", 0.9),
    ),
    MetricSpec(
        "followup_targeting_ref",
        "Follow-up targeting (vs reference offline grade)",
        1,
        "probes_ref_on_target",
        "probes_ref",
        short="Follow-up targeting (ref. grade)",
    ),
    MetricSpec(
        "leakage",
        "Leakage (share of interviewer turns that leak)",
        -1,
        "leak_turns",
        "interviewer_turns",
        ("<=", 0.0),
    ),
    MetricSpec(
        "stage_coverage", "Stage coverage (share of 8 stages reached)", 1, target=(">=", 1.0)
    ),
    MetricSpec(
        "clarification_accuracy",
        "Clarification accuracy (fact figures in reply)",
        1,
        target=(">=", 0.95),
    ),
    MetricSpec("persona_rank_spearman", "Persona ordering (Spearman, strong>average>weak)", 1),
    MetricSpec("overall_score", "Overall report score (0-4)", 0, fmt="{:.2f}"),
    MetricSpec("probes", "Probes per interview", 0, fmt="{:.2f}"),
    MetricSpec("turns", "Candidate turns per interview", 0, fmt="{:.1f}"),
    MetricSpec("mean_turns_per_stage", "Candidate turns per stage", 0, fmt="{:.2f}"),
    MetricSpec("pooled_latency_p50", "Turn latency p50 (ms)", -1, fmt="{:.0f}"),
    MetricSpec("pooled_latency_p95", "Turn latency p95 (ms)", -1, fmt="{:.0f}"),
    MetricSpec("fallbacks", "Offline fallbacks per interview", -1, fmt="{:.2f}"),
    MetricSpec("llm_calls", "LLM calls per interview", 0, fmt="{:.1f}"),
    MetricSpec("max_prompt_tokens", "Max prompt tokens per LLM call", -1, fmt="{:.0f}"),
    MetricSpec("prompt_tokens", "Prompt tokens per interview", -1, fmt="{:.0f}"),
    MetricSpec("cost_usd", "Cost per interview (USD)", -1, fmt="{:.5f}"),
)
JUDGE_PREFIX = "judge."


def persona_rank_spearman(rs: Sequence[Record]) -> float | None:
    """Do overall scores order strong > average > weak? (the grader's end-to-end sanity)."""
    from scipy.stats import spearmanr

    pts = [
        (PERSONA_RANK[r["persona"]], r["metrics"].get("overall_score"))
        for r in rs
        if r["persona"] in PERSONA_RANK and r["metrics"].get("overall_score") is not None
    ]
    if len(pts) < 3 or len({p[0] for p in pts}) < 2 or len({p[1] for p in pts}) < 2:
        return None
    return float(spearmanr([p[0] for p in pts], [p[1] for p in pts]).statistic)


def judge_specs(records: Sequence[Record]) -> list[MetricSpec]:
    keys = sorted(
        {
            k
            for r in records
            for k in (r.get("metrics", {}).get("judge") or {})
            if k not in ("comment", "error")
        }
    )
    specs: list[MetricSpec] = []
    for k in keys:

        def stat(rs: Sequence[Record], k: str = k) -> float | None:
            return mean((r["metrics"].get("judge") or {}).get(k) for r in rs)

        specs.append(
            _JudgeSpec(JUDGE_PREFIX + k, f"LLM judge: {k} (1-5)", 1, fmt="{:.2f}", fn=stat)
        )
    return specs


@dataclass(frozen=True)
class _JudgeSpec(MetricSpec):
    fn: Stat | None = None

    def stat(self) -> Stat:
        assert self.fn is not None
        return self.fn


def _value(spec: MetricSpec, rs: Sequence[Record], n_boot: int) -> dict[str, Any]:
    fn = spec.stat()
    value = fn(rs)
    lo, hi = bootstrap_ci(list(rs), fn, n_boot=n_boot) if value is not None else (None, None)
    return {"value": value, "ci": [lo, hi], "n": len(rs), "pass": spec.passes(value)}


def _delta(
    spec: MetricSpec,
    base: dict[tuple[Any, ...], Record],
    other: dict[tuple[Any, ...], Record],
    n_boot: int,
) -> dict[str, Any]:
    fn = spec.stat()
    keys = sorted(set(base) & set(other))
    pairs = [(base[k], other[k]) for k in keys]

    def diff(ps: Sequence[tuple[Record, Record]]) -> float | None:
        a, b = fn([p[0] for p in ps]), fn([p[1] for p in ps])
        return None if a is None or b is None else b - a

    d = diff(pairs) if pairs else None
    lo, hi = bootstrap_ci(pairs, diff, n_boot=n_boot) if d is not None else (None, None)
    verdict = "n/a"
    if lo is not None and hi is not None and d is not None:
        if lo > 0 or hi < 0:
            improved = (d > 0) == (spec.better > 0)
            verdict = "changed" if spec.better == 0 else ("better" if improved else "worse")
        else:
            verdict = "no clear change"
    return {"delta": d, "ci": [lo, hi], "pairs": len(pairs), "verdict": verdict}


def summarise(
    records: Sequence[Record], variant_names: Sequence[str], *, n_boot: int = 1000
) -> dict[str, Any]:
    ok = [r for r in records if r.get("ok")]
    specs = [*SPECS, *judge_specs(ok)]
    by_variant = {v: [r for r in ok if r["variant"] == v] for v in variant_names}
    out: dict[str, Any] = {
        "metrics": [
            {
                "key": s.key,
                "label": s.label,
                "better": s.better,
                "target": list(s.target) if s.target else None,
                "fmt": s.fmt,
            }
            for s in specs
        ],
        "variants": {},
        "deltas": {},
        "by_persona": {},
        "errors": [],
    }
    for v, rs in by_variant.items():
        out["variants"][v] = {s.key: _value(s, rs, n_boot) for s in specs}
        out["variants"][v]["interviews"] = len(rs)
        personas = sorted({r["persona"] for r in rs}, key=_persona_order)
        out["by_persona"][v] = {
            p: {
                s.key: s.stat()([r for r in rs if r["persona"] == p])
                for s in specs
                if s.key != "persona_rank_spearman"
            }
            for p in personas
        }
    base_name = variant_names[0] if variant_names else None
    if base_name is not None:
        base = {_case(r): r for r in by_variant[base_name]}
        for v in variant_names[1:]:
            other = {_case(r): r for r in by_variant[v]}
            out["deltas"][v] = {s.key: _delta(s, base, other, n_boot) for s in specs}
    out["errors"] = [
        {k: r.get(k) for k in ("variant", "persona", "problem", "repeat", "error")}
        for r in records
        if not r.get("ok")
    ]
    out["leak_examples"] = [
        dict(lk, variant=r["variant"], persona=r["persona"], problem=r["problem"])
        for r in ok
        for lk in r.get("leaks", [])
    ][:20]
    return out


def _case(r: Record) -> tuple[Any, ...]:
    return (r["persona"], r["problem"], r["repeat"])


def _persona_order(p: str) -> tuple[int, str]:
    from evals.personas import PERSONAS

    return (PERSONAS.index(p) if p in PERSONAS else len(PERSONAS), p)


def fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "–" if value is None else pattern.format(value)


def headline(summary: dict[str, Any], variant: str) -> dict[str, float | None]:
    """The figures a person asks about first, for one variant."""
    v = summary["variants"][variant]
    keys = (
        "followup_targeting",
        "leakage",
        "stage_coverage",
        "clarification_accuracy",
        "persona_rank_spearman",
        "pooled_latency_p50",
        "cost_usd",
    )
    return {k: v[k]["value"] for k in keys if k in v}
