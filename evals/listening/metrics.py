"""Listening metrics over replayed moments (targets from the listening issue).

- ``probe_on_covered``: moments where the interviewer probed a criterion the labels say is
  covered (in the message or earlier), over moments with any covered criterion. Target <= 5%.
- ``probe_on_gap``: gap moments answered with a probe (on a criterion not labelled covered).
  Target >= 90%. ``probe_on_labelled_gap`` also requires the target to be one of the labelled gaps.
- ``clarify_right_fact``: paraphrased clarifying questions answered with a labelled fact.
  Target >= 90%. ``clarify_unknown_no_fact``: questions the card has no fact for, answered by
  asking for an assumption (no fact revealed).
- ``claims_taken_up``: wrong-claim moments answered with a challenge. Target >= 80%.
- ``false_challenges``: challenges on moments without a wrong claim. Target <= 5%.
- ``hedges_kept``: hedged answers understood as answers (not a clarification, refusal or
  redirect). Target 100%.
- ``tangents_redirected``, ``nervous_reframed``: the fitting reaction.
- ``off_family``: replies whose question uses another problem family's words. Target 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evals.listening.moments import Moment
from evals.listening.replay import Outcome

TARGETS: dict[str, tuple[str, float]] = {
    "probe_on_covered": ("<=", 0.05),
    "probe_on_gap": (">=", 0.90),
    "clarify_right_fact": (">=", 0.90),
    "claims_taken_up": (">=", 0.80),
    "false_challenges": ("<=", 0.05),
    "hedges_kept": (">=", 1.0),
    "off_family": ("<=", 0.0),
}
NON_ANSWER = {"refuse_injection", "refuse_reveal", "redirect", "nudge", "reframe"}


def _rate(flags: Sequence[bool]) -> dict[str, Any]:
    n = len(flags)
    k = sum(flags)
    return {"rate": round(k / n, 3) if n else None, "k": k, "n": n}


def moment_checks(m: Moment, o: Outcome, foreign: list[str]) -> dict[str, bool | None]:
    """Per-moment pass/fail of every check that applies (None: not applicable)."""
    probes = [r for r in o.replies if r["subkind"] == "probe"]
    challenged = any(r["subkind"] == "challenge" for r in o.replies)
    clar = [r for r in o.replies if r["subkind"] == "clarify"]
    revealed = {f for r in clar for f in r["facts"]}
    covered = set(m.expect.covered)
    out: dict[str, bool | None] = {
        "probe_on_covered": any(r["target"] in covered for r in probes) if covered else None,
        "off_family": bool(foreign),
        "false_challenge": challenged if m.category != "wrong_claim" else None,
    }
    if m.category == "gap":
        out["probe_on_gap"] = any(r["target"] not in covered for r in probes)
        out["probe_on_labelled_gap"] = any(r["target"] in m.expect.gaps for r in probes)
    if m.category == "clarify":
        out["clarify_right_fact"] = bool(revealed & set(m.expect.facts))
    if m.category == "clarify_unknown":
        out["clarify_unknown_no_fact"] = bool(clar) and not revealed
    if m.category == "wrong_claim":
        out["claim_taken_up"] = challenged
    if m.category == "hedge":
        subs = set(o.subkinds)
        out["hedge_kept"] = (
            o.intent in ("answer", "mixed") and not (subs & NON_ANSWER) and subs != {"clarify"}
        )
    if m.category == "tangent":
        out["tangent_redirected"] = "redirect" in o.subkinds
    if m.category == "nervous":
        out["nervous_reframed"] = "reframe" in o.subkinds
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Metric -> {rate, k, n} (and whether its target is met) from per-moment check rows."""

    def col(name: str) -> list[bool]:
        return [bool(r["checks"][name]) for r in rows if r["checks"].get(name) is not None]

    out: dict[str, Any] = {
        "moments": len(rows),
        "errors": sum(1 for r in rows if r.get("error")),
        "probe_on_covered": _rate(col("probe_on_covered")),
        "probe_on_gap": _rate(col("probe_on_gap")),
        "probe_on_labelled_gap": _rate(col("probe_on_labelled_gap")),
        "clarify_right_fact": _rate(col("clarify_right_fact")),
        "clarify_unknown_no_fact": _rate(col("clarify_unknown_no_fact")),
        "claims_taken_up": _rate(col("claim_taken_up")),
        "false_challenges": _rate(col("false_challenge")),
        "false_challenges_on_unusual_correct": _rate(
            [
                bool(r["checks"]["false_challenge"])
                for r in rows
                if r["category"] == "unusual_correct"
            ]
        ),
        "hedges_kept": _rate(col("hedge_kept")),
        "tangents_redirected": _rate(col("tangent_redirected")),
        "nervous_reframed": _rate(col("nervous_reframed")),
        "off_family": _rate(col("off_family")),
    }
    met: dict[str, bool | None] = {}
    for name, (op, target) in TARGETS.items():
        rate = out[name]["rate"]
        met[name] = None if rate is None else (rate <= target if op == "<=" else rate >= target)
    out["targets_met"] = met
    return out
