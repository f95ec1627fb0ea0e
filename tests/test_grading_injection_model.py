"""The learned injection detector: shipped in sync with the text it was trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.errors import GradingError
from interviewer.grading.injection_model import (
    DEFAULT_C,
    InjectionModel,
    fingerprint,
    get_injection_model,
    training_data,
)

pytestmark = pytest.mark.slow


def test_shipped_detector_was_trained_on_the_shipped_texts() -> None:
    texts, labels = training_data()
    assert sum(labels) >= 150 and len(labels) - sum(labels) >= 1000
    assert get_injection_model().fingerprint == fingerprint(texts, labels, DEFAULT_C), (
        "corpus, rubrics, problem cards or injection_examples.txt changed: rebuild with "
        "`python -m interviewer.grading.injection_model --write`"
    )


def test_a_broken_detector_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.npz"
    bad.write_bytes(b"nope")
    with pytest.raises(GradingError, match="cannot read the injection model"):
        InjectionModel.load(bad)


def test_candidate_training_text_comes_from_tuning_sets_only() -> None:
    # Honest candidate text teaches the detector how notes read; the held-out sets (grading's
    # newest holdout, listening's newest blind set) and every injection answer stay out, so the
    # held-out false-positive rate and every set's recall remain honest figures.
    from evals.grading.score import load
    from evals.listening.moments import NEWEST, SETS, load_set
    from interviewer.grading.injection import judged_pieces
    from interviewer.grading.injection_model import candidate_texts

    def pieces(texts: list[str]) -> set[str]:
        return {p for t in texts for p in judged_pieces(t)}

    got = set(candidate_texts())
    assert len(got) >= 5000
    tuning = pieces([r["answer"] for r in load("tune") if r["kind"] != "injection"])
    tuning |= pieces([m.message for s in SETS if s != NEWEST for m in load_set(s)])
    tuning |= pieces([e.text for s in SETS if s != NEWEST for m in load_set(s) for e in m.history])
    held_out = [r["answer"] for r in load("holdout")] + [m.message for m in load_set(NEWEST)]
    attempts = [r["answer"] for r in load("all") if r["kind"] == "injection"]
    # a piece that only a held-out text or an attempt contains must not be training text
    assert not (pieces(held_out + attempts) - tuning) & got
