"""Retrieval benchmark: labelled paraphrase queries over corpus/ (``python -m evals.retrieval``)."""

from evals.retrieval.bench import run

__all__ = ["run"]
