"""The stage classifier behind the off-stage guard: shipped in sync with the rubrics and the
corpus it was trained on, right about clear sentences, and failing loudly on a broken file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interviewer.embeddings import get_embedder
from interviewer.errors import GradingError
from interviewer.grading import grade, warm_up
from interviewer.grading.stage_model import (
    DEFAULT_C,
    StageModel,
    fingerprint,
    get_stage_model,
    training_data,
)
from interviewer.rubrics.loader import load_rubrics
from interviewer.settings import get_settings
from interviewer.stages import STAGE_IDS

pytestmark = pytest.mark.slow


def test_shipped_model_was_trained_on_the_shipped_rubrics_and_corpus() -> None:
    settings = get_settings()
    texts, labels = training_data(load_rubrics(settings.rubrics_dir), settings.corpus_dir)
    assert set(labels) == set(STAGE_IDS) and min(labels.count(s) for s in STAGE_IDS) >= 50
    model = get_stage_model()
    assert sorted(model.stages) == sorted(STAGE_IDS)
    assert model.fingerprint == fingerprint(texts, labels, DEFAULT_C), (
        "rubrics or corpus changed: rebuild with "
        "`python -m interviewer.grading.stage_model --write`"
    )


@pytest.mark.parametrize(
    ("stage", "sentence"),
    [
        (
            "requirements",
            "Before designing anything, how many daily users do we have and what "
            "latency can the page tolerate?",
        ),
        (
            "data",
            "Positive labels come from chargebacks, which arrive up to two months after "
            "the purchase, so the newest weeks of data are not labelled yet.",
        ),
        (
            "deployment",
            "I would ship it behind a shadow deployment first, then a canary on one "
            "percent of traffic, with a rollback switch.",
        ),
        (
            "monitoring",
            "After launch I would alert when the population stability index of the "
            "input features drifts past a threshold and retrain when it does.",
        ),
    ],
)
def test_clear_sentences_are_given_their_stage(stage: str, sentence: str) -> None:
    model = get_stage_model()
    p = model.answer_proba(get_embedder().embed([sentence]), np.ones(1, dtype=np.float32))
    assert max(p, key=lambda s: p[s]) == stage, p
    assert abs(sum(p.values()) - 1.0) < 1e-4


def test_a_deployment_answer_given_in_monitoring_scores_below_a_monitoring_answer() -> None:
    # The neighbouring-stage case: rollout talk mentions error rates and latency, which are
    # monitoring words too.
    warm_up()
    rollout = (
        "I'd release it step by step. First it runs in shadow next to the current model, "
        "scoring live traffic without affecting anyone, and we compare its outputs and its "
        "latency. Then it goes to two percent of users as a canary, then a quarter, watching "
        "error rates at each step, and a feature flag lets us roll back within minutes. The "
        "model is exported once and served from the same container image as the old one."
    )
    watching = (
        "Once it is live I'd track p99 latency and error rates on a dashboard, compare each "
        "day's feature distributions with the training window using PSI, and watch the "
        "click-through rate of the recommendations against the previous week. Alerts page "
        "the on-call when drift or a metric crosses its threshold, and the model is retrained "
        "weekly, or sooner when drift persists."
    )
    off, on = grade("monitoring", rollout), grade("monitoring", watching)
    assert off.score <= 1.0 < on.score
    assert grade("deployment", rollout).score > off.score


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "stage_model.npz"
    bad.write_bytes(b"not a numpy archive")
    with pytest.raises(GradingError, match="cannot read the stage model"):
        StageModel.load(bad)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = get_stage_model()
    path = tmp_path / "m.npz"
    model.save(path)
    again = StageModel.load(path)
    assert again.stages == model.stages and again.fingerprint == model.fingerprint
    np.testing.assert_array_equal(again.coef, model.coef)


def test_candidate_text_comes_only_from_tuning_sets() -> None:
    """The held-out grading split and the newest listening set never train the classifier, so
    their off-stage figures stay honest; off-stage answers teach the stage they are about."""
    from evals.grading.score import load
    from evals.listening.moments import NEWEST, SETS, load_set
    from interviewer.grading.stage_model import candidate_texts
    from interviewer.grading.text import split_units

    def units_of(texts: list[str]) -> set[str]:
        return {u.text for t in texts for u in split_units(t)}

    pairs = candidate_texts()
    units = {t for t, _ in pairs}
    tuning = [r["answer"] for r in load("tune")]
    tuning += [m.message for name in SETS if name != NEWEST for m in load_set(name)]
    fresh = units_of([r["answer"] for r in load("holdout")] + [m.message for m in load_set(NEWEST)])
    only_fresh = fresh - units_of(tuning)
    assert units and only_fresh and not units & only_fresh
    off = next(r for r in load("tune") if r["kind"] == "off_stage" and r.get("about"))
    first = split_units(off["answer"])[0].text
    assert (first, off["about"]) in pairs
