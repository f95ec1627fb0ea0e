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
