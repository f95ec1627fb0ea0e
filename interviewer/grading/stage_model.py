"""Which stage is an answer about? A small linear classifier over sentence embeddings.

Neighbouring stages share words ("latency" in requirements, deployment and monitoring; "AUC"
in framing and evaluation), so concept counts and nearest-reference similarity alone cannot
tell a deployment answer given in the monitoring stage from a monitoring answer. This model is
trained on what the project already says about each stage: the rubric texts (criteria, level
descriptors, exemplars, probes), every sentence of the stage-tagged sections of ``corpus/``, and
the way candidates write in the tuning sets (``candidate_texts``: the grading ``tune`` split's
on- and off-stage answers, the listening sets but the newest). No held-out set is read, so the
held-out figures stay honest.

The weights ship in ``stage_model.npz`` (8 x 384 floats), rebuilt with

    .venv/bin/python -m interviewer.grading.stage_model --write

A test checks that the shipped file was trained on the shipped rubrics and corpus (by the
fingerprint of the training texts), so an edit to either asks for a rebuild instead of drifting.
Grading only loads the file: no training, no corpus and no scikit-learn at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from interviewer.errors import GradingError

if TYPE_CHECKING:
    import numpy as np

    from interviewer.rubrics.models import Rubric

MODEL_PATH = Path(__file__).with_name("stage_model.npz")
# Inverse regularisation strength, chosen by 5-fold cross-validation on the training sentences
# (``--cv``), never on the labelled answers.
DEFAULT_C = 2.0
_MIN_WORDS = 3


@dataclass(frozen=True)
class StageModel:
    stages: tuple[str, ...]
    coef: np.ndarray  # (n_stages, dim)
    intercept: np.ndarray  # (n_stages,)
    fingerprint: str  # of the training texts, model name and C

    def proba(self, vecs: np.ndarray) -> np.ndarray:
        """(n, n_stages) stage probabilities of each embedded sentence."""
        import numpy as np

        logits = vecs @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def answer_proba(self, vecs: np.ndarray, weights: np.ndarray) -> dict[str, float]:
        """Stage distribution of a whole answer: its sentences' probabilities, weighted by
        sentence length so a one-word aside does not count as much as an explanation."""
        if len(vecs) == 0:
            return {}
        p = (self.proba(vecs) * weights[:, None]).sum(axis=0) / weights.sum()
        return {s: float(v) for s, v in zip(self.stages, p, strict=True)}

    def save(self, path: Path) -> None:
        import numpy as np

        with open(path, "wb") as fh:
            np.savez(
                fh,
                stages=np.array(self.stages),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                fingerprint=np.array(self.fingerprint),
            )

    @classmethod
    def load(cls, path: Path) -> StageModel:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as z:
                model = cls(
                    tuple(str(s) for s in z["stages"]),
                    np.asarray(z["coef"], dtype=np.float32),
                    np.asarray(z["intercept"], dtype=np.float32),
                    str(z["fingerprint"]),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise GradingError(f"cannot read the stage model {path}: {exc}") from exc
        if model.coef.shape != (len(model.stages), model.coef.shape[1]):
            raise GradingError(f"stage model {path} has inconsistent shapes")
        return model


def rubric_texts(rubric: Rubric) -> list[str]:
    texts: list[str] = []
    for c in rubric.criteria:
        texts.append(f"{c.title}. {c.description}")
        texts += [c.levels[level] for level in (2, 3, 4)]
        texts += [*c.exemplars.strong, *c.exemplars.weak, *c.probes]
    return texts


def training_data(
    rubrics: dict[str, Rubric], corpus_dir: Path | None, *, candidates: bool = True
) -> tuple[list[str], list[str]]:
    """(texts, stages): rubric texts of each stage, the sentences of stage-tagged corpus
    sections and (``candidates``) the tuning sets' candidate answers, in a stable order."""
    from interviewer.ingest.chunking import split_sentences
    from interviewer.ingest.pipeline import load_and_chunk

    texts: list[str] = []
    labels: list[str] = []

    def add(text: str, stage: str) -> None:
        text = " ".join(text.split())
        if len(text.split()) >= _MIN_WORDS:
            texts.append(text)
            labels.append(stage)

    for stage in sorted(rubrics):
        for t in rubric_texts(rubrics[stage]):
            add(t, stage)
    if corpus_dir is not None:
        prepared, _problems = load_and_chunk([corpus_dir])
        for pf in sorted(prepared, key=lambda p: p.loaded.source):
            for chunk in pf.chunks:
                if chunk.stage in rubrics:
                    for sentence in split_sentences(chunk.text):
                        add(sentence, chunk.stage)
    if candidates:
        for text, stage in candidate_texts():
            if stage in rubrics:
                add(text, stage)
    return texts, labels


# Listening moments whose message answers the stage's question.
_ANSWER_CATEGORIES = ("covered", "gap", "hedge", "wrong_claim", "unusual_correct")


def candidate_texts() -> list[tuple[str, str]]:
    """(unit, stage) for the way candidates really write, from sets that are tuning data
    already: each unit the grader reads (sentence, note line, list item) of the grading tune
    split's on-stage answers under their stage and off-stage answers under the stage they are
    really about, and of the listening tuning sets' answers (every set but the newest) under the
    stage they were given in. Guide prose alone taught the model that an ops list ("p95 latency
    vs 400 ms, error rate, index lag") is deployment whatever the question was, and that a
    chatbot's context signals ("plan tier, product version, last turns") are requirements."""
    from evals.grading.score import load
    from evals.listening.moments import NEWEST, SETS, load_set
    from interviewer.grading.text import split_units

    answers: list[tuple[str, str]] = []
    for r in load("tune"):
        if r["kind"] == "on_stage":
            answers.append((r["answer"], r["stage"]))
        elif r["kind"] == "off_stage" and r.get("about"):  # older sets do not say which stage
            answers.append((r["answer"], r["about"]))
    for name in sorted(SETS):
        if name == NEWEST:
            continue
        for m in load_set(name):
            if m.category in _ANSWER_CATEGORIES:
                answers.append((m.message, m.stage))
    out = [(u.text, stage) for text, stage in answers for u in split_units(text)]
    return list(dict.fromkeys(out))


def fingerprint(texts: Sequence[str], labels: Sequence[str], c: float) -> str:
    from interviewer.embeddings import MODEL_NAME

    h = hashlib.sha256(f"{MODEL_NAME}\x1e{c}".encode())
    for t, s in zip(texts, labels, strict=True):
        h.update(f"\x1e{s}\x1f{t}".encode())
    return h.hexdigest()[:32]


def fit(texts: Sequence[str], labels: Sequence[str], c: float = DEFAULT_C) -> StageModel:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from interviewer.embeddings import get_embedder

    vecs = get_embedder().embed(list(texts), show_progress=len(texts) > 200)
    clf = LogisticRegression(C=c, max_iter=5000).fit(vecs, list(labels))
    return StageModel(
        tuple(str(s) for s in clf.classes_),
        np.asarray(clf.coef_, dtype=np.float32),
        np.asarray(clf.intercept_, dtype=np.float32),
        fingerprint(texts, labels, c),
    )


_lock = threading.Lock()
_model: StageModel | None = None


def get_stage_model() -> StageModel:
    """The shipped model, loaded once per process."""
    global _model
    with _lock:
        if _model is None:
            _model = StageModel.load(MODEL_PATH)
        return _model


def _cross_validate(texts: list[str], labels: list[str]) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    from interviewer.embeddings import get_embedder

    vecs = get_embedder().embed(texts, show_progress=True)
    for c in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0):
        acc = cross_val_score(LogisticRegression(C=c, max_iter=5000), vecs, labels, cv=5)
        print(f"C={c:<5} 5-fold accuracy {acc.mean():.3f} (+- {acc.std():.3f})")


def main(argv: Sequence[str] | None = None) -> int:
    from interviewer import runtime
    from interviewer.rubrics.loader import load_rubrics
    from interviewer.settings import get_settings

    parser = argparse.ArgumentParser(
        prog="python -m interviewer.grading.stage_model",
        description="Train the stage classifier on the rubrics and the corpus.",
    )
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse regularisation")
    parser.add_argument("--cv", action="store_true", help="report 5-fold accuracy for several C")
    parser.add_argument("--write", action="store_true", help=f"store it in {MODEL_PATH.name}")
    args = parser.parse_args(argv)
    runtime.configure_offline()
    settings = get_settings()
    texts, labels = training_data(load_rubrics(settings.rubrics_dir), settings.corpus_dir)
    counts = {s: labels.count(s) for s in sorted(set(labels))}
    print(f"{len(texts)} training texts: {counts}")
    if args.cv:
        _cross_validate(texts, labels)
        return 0
    model = fit(texts, labels, args.c)
    print(f"fingerprint {model.fingerprint}")
    if args.write:
        model.save(MODEL_PATH)
        print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
