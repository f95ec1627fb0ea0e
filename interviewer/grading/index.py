"""Rubric-side precomputation, cached per rubric: concept matchers and the embeddings of each
criterion's description, strong exemplars and top level descriptors (positive references) and
of its weak exemplars (negative references). Grading an answer then costs one batched
embedding call for the answer's sentences plus a few small matrix products.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from interviewer.grading.concepts import ConceptMatcher

if TYPE_CHECKING:
    import numpy as np

    from interviewer.rubrics.models import Criterion, Rubric


@dataclass(frozen=True)
class CriterionIndex:
    id: str
    weight: float
    matcher: ConceptMatcher
    pos: np.ndarray  # (n_pos, dim) description, level 3/4 descriptors, strong exemplars
    neg: np.ndarray  # (n_neg, dim) weak exemplars


@dataclass(frozen=True)
class RubricIndex:
    stage: str
    criteria: tuple[CriterionIndex, ...]
    stage_matcher: ConceptMatcher  # every concept of the stage, for stuffing and off-stage
    questions_are_answers: bool = False  # Rubric.questions_are_answers


def positive_texts(c: Criterion) -> list[str]:
    return [f"{c.title}. {c.description}", c.levels[3], c.levels[4], *c.exemplars.strong]


def negative_texts(c: Criterion) -> list[str]:
    return list(c.exemplars.weak)


def _fingerprint(rubric: Rubric) -> str:
    return hashlib.sha1(rubric.model_dump_json().encode("utf-8")).hexdigest()


def _embed_references(texts: list[str]) -> np.ndarray:
    """Rubric reference embeddings, cached on disk by content so a one-shot CLI call does not
    re-embed ~400 rubric texts (seconds on 2 cores); any cache problem just means embedding."""
    import os

    import numpy as np

    from interviewer.embeddings import MODEL_NAME, get_embedder
    from interviewer.settings import get_settings

    key = hashlib.sha1("\n\x1e".join([MODEL_NAME, *texts]).encode("utf-8")).hexdigest()
    path = get_settings().data_dir / "cache" / f"rubric-refs-{key[:24]}.npy"
    try:
        vecs = np.load(path, allow_pickle=False)
        if vecs.shape[0] == len(texts):
            return np.asarray(vecs, dtype=np.float32)
    except (OSError, ValueError):
        pass
    vecs = get_embedder().embed_cached(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, vecs, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass
    return vecs


def _build(rubric: Rubric) -> RubricIndex:

    texts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    for c in rubric.criteria:
        pos, neg = positive_texts(c), negative_texts(c)
        start = len(texts)
        texts += pos + neg
        spans.append((start, start + len(pos), start + len(pos) + len(neg)))
    vecs = _embed_references(texts)
    criteria = []
    for c, (a, b, e) in zip(rubric.criteria, spans, strict=True):
        criteria.append(
            CriterionIndex(
                id=c.id,
                weight=c.weight,
                matcher=ConceptMatcher(c.concepts),
                pos=vecs[a:b],
                neg=vecs[b:e],
            )
        )
    everything = [k for c in rubric.criteria for k in c.concepts]
    return RubricIndex(
        stage=rubric.stage,
        criteria=tuple(criteria),
        stage_matcher=ConceptMatcher(everything),
        questions_are_answers=rubric.questions_are_answers,
    )


_lock = threading.Lock()
_by_fp: OrderedDict[str, RubricIndex] = OrderedDict()
_by_id: dict[int, tuple[Rubric, str]] = {}
# Builds in progress, per fingerprint: concurrent first callers wait for the one build instead
# of each embedding the same ~400 references (20 cold UI sessions used to build 20 times).
_building: dict[str, Future[RubricIndex]] = {}
_MAX = 64


def _store(rubric: Rubric, fp: str, idx: RubricIndex) -> None:
    """Record ``idx`` under ``fp`` (caller holds ``_lock``)."""
    _by_fp[fp] = idx
    _by_fp.move_to_end(fp)
    _by_id[id(rubric)] = (rubric, fp)
    while len(_by_fp) > _MAX:
        _by_fp.popitem(last=False)
    if len(_by_id) > 4 * _MAX:  # ids of dead rubrics; cheap to rebuild from fingerprints
        _by_id.clear()


def rubric_index(rubric: Rubric) -> RubricIndex:
    """The index for ``rubric``, built once per distinct rubric content (coach edits and
    problem overrides produce new content, hence a new entry). Thread-safe: while one thread
    builds an index, other callers for the same content wait for it; other content builds in
    parallel."""
    with _lock:
        hit = _by_id.get(id(rubric))
        fp = hit[1] if hit is not None and hit[0] is rubric else None
    if fp is None:
        fp = _fingerprint(rubric)
    with _lock:
        idx = _by_fp.get(fp)
        if idx is not None:
            _store(rubric, fp, idx)
            return idx
        pending = _building.get(fp)
        owner = pending is None
        if pending is None:
            pending = _building[fp] = Future()
    if not owner:
        idx = pending.result()  # re-raises the builder's error, if it failed
        with _lock:
            _by_id[id(rubric)] = (rubric, fp)
        return idx
    try:
        idx = _build(rubric)
    except BaseException as exc:
        with _lock:
            del _building[fp]
        pending.set_exception(exc)  # waiting callers see the same error; the next call retries
        raise
    with _lock:
        _store(rubric, fp, idx)
        del _building[fp]
    pending.set_result(idx)
    return idx


def stage_indexes(rubrics_dir: Path | None = None) -> dict[str, RubricIndex]:
    """Indexes of every stage rubric in the configured directory (for off-stage checks);
    empty if the directory does not load, so grading still works with an ad-hoc rubric."""
    from interviewer.errors import InterviewerError
    from interviewer.rubrics.loader import load_rubrics

    try:
        rubrics = load_rubrics(rubrics_dir)
    except InterviewerError:
        return {}
    return {stage: rubric_index(r) for stage, r in rubrics.items()}


def clear() -> None:
    with _lock:
        _by_fp.clear()
        _by_id.clear()
