"""Is a sentence trying to instruct, flatter or fish whoever grades the answer? A small linear
classifier over sentence embeddings: the second line of defence (the first is that text which
commits to nothing earns nothing, see ``commitment.py``).

Trained only on project text: the sentences of ``corpus/`` and the rubric texts as honest text,
``injection_examples.txt`` (attempts and near-miss honest sentences written for it), and the
way candidates really write: every piece the detector judges (sentences, brackets, clauses) of
the honest answers in the grading tune split and of the candidate messages in the listening
tuning sets. Guide prose alone taught it that a terse note about a "score" or a "baseline"
("output: score 0-1", "that's the baseline to beat") is fishing for a grade. No injection
answer of any labelled set is used, so recall on their injections stays an honest figure, and
no held-out set is read, so its false-positive rate does too (``python -m evals.grading``).
The weights ship in ``injection_model.npz`` with the decision threshold and a fingerprint of
the training texts; rebuild with

    .venv/bin/python -m interviewer.grading.injection_model --write

A test fails when the shipped file no longer matches the training texts. Grading only loads
the file: no training and no scikit-learn at run time.
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

MODEL_PATH = Path(__file__).with_name("injection_model.npz")
EXAMPLES_PATH = Path(__file__).with_name("injection_examples.txt")
DEFAULT_C = 4.0
# The threshold keeps this share of the honest training sentences below it (cross-validated).
HONEST_QUANTILE = 0.9993


@dataclass(frozen=True)
class InjectionModel:
    coef: np.ndarray  # (dim,)
    intercept: float
    threshold: float  # probability at or above which a sentence is an attempt
    fingerprint: str

    def proba(self, vecs: np.ndarray) -> np.ndarray:
        import numpy as np

        if len(vecs) == 0:
            return np.zeros(0, dtype=np.float32)
        z = vecs @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def flags(self, vecs: np.ndarray) -> np.ndarray:
        return self.proba(vecs) >= self.threshold

    def save(self, path: Path) -> None:
        import numpy as np

        with open(path, "wb") as fh:
            np.savez(
                fh,
                coef=self.coef.astype(np.float32),
                intercept=np.array(self.intercept, dtype=np.float32),
                threshold=np.array(self.threshold, dtype=np.float32),
                fingerprint=np.array(self.fingerprint),
            )

    @classmethod
    def load(cls, path: Path) -> InjectionModel:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(
                    np.asarray(z["coef"], dtype=np.float32),
                    float(z["intercept"]),
                    float(z["threshold"]),
                    str(z["fingerprint"]),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise GradingError(f"cannot read the injection model {path}: {exc}") from exc


def examples(path: Path = EXAMPLES_PATH) -> tuple[list[str], list[str]]:
    """(attempts, honest near misses) from the examples file."""
    pos: list[str] = []
    neg: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("+ "):
            pos.append(line[2:].strip())
        elif line.startswith("- "):
            neg.append(line[2:].strip())
    return pos, neg


def honest_texts() -> list[str]:
    """Every sentence of the corpus, the rubric texts (with the per-family probes), the problem
    cards (prompt, facts, the ways candidates ask for them, probes) and the misconception
    catalogue (the wrong claims as candidates say them, challenges, corrections), in a stable
    order. Questions to and from the candidate are honest text: the detector learns that
    asking about the problem is not fishing for the grade."""
    from interviewer.grading.stage_model import rubric_texts
    from interviewer.ingest.chunking import split_sentences
    from interviewer.ingest.pipeline import load_and_chunk
    from interviewer.rubrics.loader import load_problems, load_rubrics
    from interviewer.rubrics.misconceptions import load_misconceptions
    from interviewer.settings import get_settings

    settings = get_settings()
    out: list[str] = []
    rubrics = load_rubrics(settings.rubrics_dir)
    for stage in sorted(rubrics):
        out += rubric_texts(rubrics[stage])
        for c in rubrics[stage].criteria:
            out += [q for family in sorted(c.family_probes) for q in c.family_probes[family]]
    problems = load_problems()
    for pid in sorted(problems):
        problem = problems[pid]
        out += [problem.prompt]
        for f in problem.facts:
            out += [f.answer, *f.asks]
        for stage in sorted(problem.probes):
            out += [q for cid in sorted(problem.probes[stage]) for q in problem.probes[stage][cid]]
    catalogue = load_misconceptions(settings.rubrics_dir)
    for mid in sorted(catalogue):
        m = catalogue[mid]
        out += [m.claim, *m.says, m.challenge, m.correction]
        out += [m.family_challenges[family] for family in sorted(m.family_challenges)]
    prepared, _ = load_and_chunk([settings.corpus_dir])
    for pf in sorted(prepared, key=lambda p: p.loaded.source):
        for chunk in pf.chunks:
            out += split_sentences(chunk.text)
    texts = (" ".join(t.split()) for t in out)
    return list(dict.fromkeys(t for t in texts if len(t.split()) >= 3))


# Candidate-written honest text comes only from sets that are tuning data already.
CANDIDATE_KINDS = ("on_stage", "off_stage", "question")


def candidate_texts() -> list[str]:
    """The pieces the detector judges of honest candidate text in the tuning sets: on- and
    off-stage answers and questions of the grading ``tune`` split, and every candidate
    message of the listening sets other than the newest (held-out) one."""
    from evals.grading.score import load
    from evals.listening.moments import NEWEST, SETS, load_set
    from interviewer.grading.injection import judged_pieces

    texts = [r["answer"] for r in load("tune") if r["kind"] in CANDIDATE_KINDS]
    for name in sorted(SETS):
        if name != NEWEST:
            for m in load_set(name):
                texts += [m.message, *(e.text for e in m.history)]
    return list(dict.fromkeys(p for t in texts for p in judged_pieces(t)))


def training_data() -> tuple[list[str], list[int]]:
    """(texts, labels): 1 for attempts, 0 for honest text (examples, rubrics, corpus, cards,
    candidates' tuning answers)."""
    pos, neg = examples()
    attempts = set(pos)
    honest = [t for t in dict.fromkeys([*honest_texts(), *candidate_texts()]) if t not in attempts]
    texts = [*pos, *neg, *honest]
    labels = [1] * len(pos) + [0] * (len(neg) + len(honest))
    return texts, labels


def fingerprint(texts: Sequence[str], labels: Sequence[int], c: float) -> str:
    from interviewer.embeddings import MODEL_NAME

    h = hashlib.sha256(f"{MODEL_NAME}\x1e{c}\x1e{HONEST_QUANTILE}".encode())
    for t, y in zip(texts, labels, strict=True):
        h.update(f"\x1e{y}\x1f{t}".encode())
    return h.hexdigest()[:32]


def _classifier(c: float):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced")


def fit(texts: Sequence[str], labels: Sequence[int], c: float = DEFAULT_C) -> InjectionModel:
    """Fit on everything; the threshold comes from 5-fold out-of-fold probabilities of the
    honest sentences, so it reflects sentences the model has not seen."""
    import numpy as np
    from sklearn.model_selection import cross_val_predict

    from interviewer.embeddings import get_embedder

    vecs = get_embedder().embed(list(texts), show_progress=len(texts) > 200)
    y = np.asarray(labels)
    oof = cross_val_predict(_classifier(c), vecs, y, cv=5, method="predict_proba")[:, 1]
    threshold = float(np.quantile(oof[y == 0], HONEST_QUANTILE))
    threshold = max(threshold, 0.5)
    clf = _classifier(c).fit(vecs, y)
    recall = float((oof[y == 1] >= threshold).mean())
    print(f"threshold {threshold:.3f}: cross-validated recall on the attempts {recall:.3f}")
    return InjectionModel(
        np.asarray(clf.coef_[0], dtype=np.float32),
        float(clf.intercept_[0]),
        threshold,
        fingerprint(texts, labels, c),
    )


_lock = threading.Lock()
_model: InjectionModel | None = None


def get_injection_model() -> InjectionModel:
    """The shipped model, loaded once per process."""
    global _model
    with _lock:
        if _model is None:
            _model = InjectionModel.load(MODEL_PATH)
        return _model


def main(argv: Sequence[str] | None = None) -> int:
    from interviewer import runtime

    parser = argparse.ArgumentParser(
        prog="python -m interviewer.grading.injection_model",
        description="Train the injection detector on project text.",
    )
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse regularisation")
    parser.add_argument("--write", action="store_true", help=f"store it in {MODEL_PATH.name}")
    args = parser.parse_args(argv)
    runtime.configure_offline()
    texts, labels = training_data()
    print(f"{len(texts)} training texts, {sum(labels)} attempts")
    model = fit(texts, labels, args.c)
    print(f"fingerprint {model.fingerprint}")
    if args.write:
        model.save(MODEL_PATH)
        print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
