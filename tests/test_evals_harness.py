"""`interviewer eval` end to end on a small grid (real engine, real embeddings, fake LLM)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from interviewer.cli import main

pytestmark = pytest.mark.slow


def _variant(tmp: Path, name: str, extra: str = "") -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nprovider: offline\nretrieval_k: 0\ngrader: {{llm: false}}\n" + extra,
        encoding="utf-8",
    )
    return path


def test_eval_writes_jsonl_and_a_self_contained_html_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _variant(tmp_path, "base", "followup_budget: 2\n")
    b = _variant(tmp_path, "budget0", "followup_budget: 0\n")
    out = tmp_path / "out"
    code = main(
        [
            "eval",
            "--variants",
            str(a),
            str(b),
            "--personas",
            "average",
            "injecting",
            "--problems",
            "fraud-detection",
            "--out",
            str(out),
            "--workers",
            "2",
            "--no-progress",
            "--judge",
            "eval-fake:fake-v1",
        ]
    )
    assert code == 0, capsys.readouterr().err
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert len(records) == 4
    assert {(r["variant"], r["persona"]) for r in records} == {
        (v, p) for v in ("base", "budget0") for p in ("average", "injecting")
    }
    for r in records:
        assert r["ok"], r.get("error")
        assert r["problem"] == "fraud-detection" and r["repeat"] == 0
        assert r["models"]["engine"] == "offline" and r["prompt_versions"]
        assert r["timings"]["total_s"] > 0 and r["timings"]["turn_ms"]
        m = r["metrics"]
        assert m["stage_coverage"] == 1.0 and m["leak_turns"] == 0
        assert m["turns"] == sum(m["turns_per_stage"].values())
        assert set(m["judge"]) >= {"on_problem", "no_giveaways", "probe_relevance", "clarity"}
    by = {(r["variant"], r["persona"]): r["metrics"] for r in records}
    # Each run used its own variant's budget although both ran at the same time.
    assert by[("budget0", "average")]["probes"] == 0 < by[("base", "average")]["probes"]
    assert by[("base", "average")]["clarification_accuracy"] == 1.0
    assert by[("base", "injecting")]["overall_score"] <= 0.5
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 3
    assert not re.search(r"""(src|href)=["']?https?://""", html)  # no CDN, nothing remote
    assert "budget0" in html and "Deltas against base" in html and "LLM judge" in html
    summary = json.loads((out / "summary.json").read_text())
    assert summary["deltas"]["budget0"]["probes"]["delta"] < 0


def test_fake_llm_variant_runs_the_llm_path(tmp_path: Path) -> None:
    from evals.harness import Case, prepare, run_interview
    from evals.variants import Variant

    v1 = Variant(
        name="f1", provider="eval-fake", model="fake-v1", retrieval_k=0, price_as="gpt-4o-mini"
    )
    v2 = Variant(name="f2", provider="eval-fake", model="fake-v2", retrieval_k=0)
    prepare([v1])
    r1 = run_interview(Case(v1, "average", "video-recommendations", 0), tmp_path / "s.db")
    r2 = run_interview(Case(v2, "average", "video-recommendations", 0), tmp_path / "s.db")
    for r in (r1, r2):
        assert r["ok"], r.get("error")
        assert r["models"]["grader"] == "llm+offline"
        assert r["metrics"]["llm_calls"] > 10 and r["metrics"]["max_prompt_tokens"] > 0
    assert any(t.startswith("ask@v") for t in r1["prompt_versions"])
    assert r1["metrics"]["cost_usd"] > 0 and r2["metrics"]["cost_usd"] is None  # unpriced
    # v2 over-summarises facts: the clarification drops figures, and the metric sees it.
    assert r1["metrics"]["clarification_accuracy"] == 1.0
    assert r2["metrics"]["clarification_accuracy"] < 1.0
