"""The labelled grading set is well formed, and the eval metrics compute what they claim."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.grading.score import KINDS, SPLITS, auc, load, metrics
from interviewer.rubrics.loader import load_problems
from interviewer.stages import STAGE_IDS


def test_labelled_set_shape_and_coverage() -> None:
    rows = load("all")
    assert len(rows) >= 160 + 48
    assert len({r["id"] for r in rows}) == len(rows)
    problems = set(load_problems())
    for r in rows:
        fields = {"id", "stage", "problem", "answer", "label", "kind", "split"}
        # Off-stage answers of holdout2 on also say which stage they are really about; from
        # holdout13 on every answer says its form.
        assert set(r) - {"about", "form"} == fields, r["id"]
        assert r.get("form", "prose") in {"prose", "notes", "outline"}, r["id"]
        if "about" in r:
            assert r["kind"] == "off_stage" and r["about"] in STAGE_IDS
            assert r["about"] != r["stage"], r["id"]
        assert r["stage"] in STAGE_IDS and r["problem"] in problems
        assert r["kind"] in KINDS and r["split"] in set(SPLITS) - {"holdout", "tune", "all"}
        assert isinstance(r["label"], int) and 0 <= r["label"] <= 4
        if r["kind"] in {"off_stage", "keyword_stuffed", "gibberish", "empty"}:
            assert r["label"] <= 1, r["id"]
        if r["kind"] == "injection":  # labelled for the real content around the attempt
            assert r["label"] <= 2, r["id"]
        if r["kind"] == "question":
            assert r["label"] <= 1, r["id"]
    for stage in STAGE_IDS:
        mine = [r for r in rows if r["stage"] == stage]
        on = [r["label"] for r in mine if r["kind"] == "on_stage"]
        kinds = Counter(r["kind"] for r in mine)
        assert sum(x >= 3 for x in on) >= 3 and sum(x == 2 for x in on) >= 3
        assert sum(x <= 1 for x in on) >= 3
        assert kinds["off_stage"] >= 2 and kinds["keyword_stuffed"] >= 1
        assert kinds["injection"] >= 1
        # both splits can score this stage's off-stage AUC
        for split in ("dev", "test"):
            assert any(r["kind"] == "off_stage" and r["split"] == split for r in mine)
            assert any(
                r["kind"] == "on_stage" and r["label"] >= 2 and r["split"] == split for r in mine
            )


def test_splits_are_roughly_half_and_disjoint() -> None:
    dev, test = load("dev"), load("test")
    assert abs(len(dev) - len(test)) <= 0.1 * (len(dev) + len(test))
    assert not {r["id"] for r in dev} & {r["id"] for r in test}
    assert not {r["answer"] for r in dev if r["answer"].strip()} & {r["answer"] for r in test}
    retired = [r for i in range(1, 20) for r in load(f"holdout{i}")]
    assert sorted(r["id"] for r in load("tune")) == sorted(r["id"] for r in dev + test + retired)


def test_holdout_is_the_fresh_split_separate_from_tuning_and_covers_every_stage() -> None:
    hold, tune = load("holdout"), load("tune")
    assert [r["id"] for r in hold] == [r["id"] for r in load("holdout20")]
    assert len(hold) >= 104 and all(r["id"].startswith("h20-") for r in hold)
    assert not {r["answer"] for r in hold} & {r["answer"] for r in tune}
    assert not {r["id"] for r in hold} & {r["id"] for r in tune}
    kinds = Counter(r["kind"] for r in hold)
    assert kinds["injection"] >= 8 and kinds["keyword_stuffed"] >= 8 and kinds["question"] >= 8
    forms = Counter(r["form"] for r in hold if r["kind"] == "on_stage")
    assert forms["notes"] >= 24 and forms["prose"] >= 24 and forms["outline"] >= 4
    for stage in STAGE_IDS:
        mine = [r for r in hold if r["stage"] == stage]
        on = [r["label"] for r in mine if r["kind"] == "on_stage"]
        assert len(mine) >= 12 and min(on) <= 1 and max(on) >= 3 and on.count(2) >= 2
        # three off-stage answers per stage: one miss no longer decides a stage's AUC
        assert sum(r["kind"] == "off_stage" for r in mine) >= 3


@pytest.mark.parametrize("split", ["holdout", "holdout20", "all"])
def test_tuner_refuses_the_held_out_split(split: str) -> None:
    from evals.grading.tune import prepare_rows

    with pytest.raises(SystemExit, match="holdout"):
        prepare_rows(split)


def test_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown split"):
        load("train")


def test_auc_counts_ties_as_half() -> None:
    assert auc([3, 2], [0, 1]) == 1.0
    assert auc([1], [1]) == 0.5
    assert auc([0], [1]) == 0.0
    assert auc([], [1]) is None


def test_metrics_on_a_toy_split() -> None:
    rows = [
        {"id": "a", "stage": "data", "kind": "on_stage", "label": 4, "form": "notes"},
        {"id": "b", "stage": "data", "kind": "on_stage", "label": 2, "form": "prose"},
        {"id": "c", "stage": "data", "kind": "on_stage", "label": 0, "form": "prose"},
        {"id": "d", "stage": "data", "kind": "off_stage", "label": 0},
        {"id": "e", "stage": "data", "kind": "injection", "label": 0},
    ]
    m = metrics(rows, [3.5, 2.0, 0.5, 0.0, 0.8], [[], [], [], ["off_stage"], ["injection"]])
    assert m["spearman"] > 0.8
    assert m["auc_per_stage"] == {"data": 1.0}
    assert m["max_guarded"] == 0.8
    assert m["kinds"]["off_stage"]["flagged"] == 1.0
    assert m["mae"] == pytest.approx((0.5 + 0 + 0.5 + 0 + 0.8) / 5)
    met = m["targets_met"]
    assert met["spearman"] and met["auc_min"] and met["max_guarded"] and met["max_level2"]


def test_the_detector_keeps_its_recall_and_false_positive_rate_on_the_tuning_data() -> None:
    # Regression on labelled answers (never the held-out split). The detector is learned, so
    # it is held to rates, not to every answer: measured when it was trained, 181 of 188
    # injections flagged (96%) and 12 of 1139 honest answers (1.1%).
    from interviewer.grading import guards

    caught: list[bool] = []
    accused: list[bool] = []
    for r in load("tune"):
        flagged = "injection" in guards.prepare(r["answer"], 20_000).flags
        if r["kind"] == "injection":
            caught.append(flagged)
        elif r["kind"] in {"on_stage", "off_stage", "question"}:
            accused.append(flagged)
    assert sum(caught) / len(caught) >= 0.93
    assert sum(accused) / len(accused) <= 0.02
