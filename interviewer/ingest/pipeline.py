"""Ingest files into the vector index: load → clean → sections → chunks → embed → Chroma.

Incremental and idempotent. What the index already holds is read from the chunk metadata
(source, file sha256, chunk count): unchanged files are skipped before anything is embedded,
changed files get their new chunks upserted and their stale chunks deleted, and files that
disappeared from a re-ingested folder lose their chunks. Upserts happen before deletes, so an
interrupted run leaves a file marked incomplete (two hashes, or too few chunks) and the next run
redoes it.

Embeddings are computed here in large batches and handed to Chroma (``embeddings=``), so the
only per-chunk work besides the model is cheap Python; ingest throughput stays close to the raw
embedding throughput.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from interviewer.ingest.chunking import Chunk, chunk_document
from interviewer.ingest.clean import clean_text, cross_file_repeats, html_to_markdown
from interviewer.ingest.loaders import (
    Discovery,
    FileProblem,
    Limits,
    LoadedFile,
    decode_text,
    describe_error,
    discover,
    extract_pdf_text,
    read_file,
    text_too_large,
)
from interviewer.ingest.structure import parse_document

EMBED_BATCH = 256
WRITE_BATCH = 1000


@dataclass
class IngestReport:
    files: int = 0  # good files seen (ingested or unchanged)
    chunks: int = 0  # chunks those files have in the index now
    added: int = 0  # chunks embedded and written by this run
    skipped: int = 0  # unchanged files skipped without embedding
    seconds: float = 0.0
    new_files: int = 0
    updated_files: int = 0
    reused: int = 0  # chunks of changed files whose text did not change (not re-embedded)
    removed: int = 0  # stale chunks deleted
    deleted_files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    embed_seconds: float = 0.0
    index: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["embed_seconds"] = round(self.embed_seconds, 3)
        return d


@dataclass
class PreparedFile:
    loaded: LoadedFile
    path: str  # resolved path, to recognise the same file under another label
    chunks: list[Chunk]


def to_text(loaded: LoadedFile, limits: Limits | None = None) -> str:
    """The file as Markdown-ish text; ValueError with a reason if it has none or too much."""
    limits = limits or Limits()
    if loaded.kind == "pdf":
        return extract_pdf_text(loaded.raw, limits)
    if len(loaded.raw) > 4 * limits.max_text_chars:  # UTF-8 is at most 4 bytes a character
        raise ValueError(text_too_large(len(loaded.raw) // 4, limits))
    text = decode_text(loaded.raw)
    if len(text) > limits.max_text_chars:
        raise ValueError(text_too_large(len(text), limits))
    if loaded.kind == "html":
        text = html_to_markdown(text)
    if not text.strip():
        raise ValueError("contains no text")
    return text


def _fallback_title(source: str) -> str:
    return Path(source).stem.replace("_", " ").replace("-", " ").strip() or source


def prepare(loaded: LoadedFile, text: str, repeats: set[str]) -> list[Chunk]:
    from interviewer.stages import STAGE_IDS

    cleaned = clean_text(text, repeats)
    if not cleaned.text.strip():
        raise ValueError("no text left after removing boilerplate")
    doc = parse_document(cleaned.text, loaded.kind, _fallback_title(loaded.source), STAGE_IDS)
    chunks = chunk_document(doc, loaded.source, loaded.sha256)
    if not chunks:
        raise ValueError("no passages to index (only headings?)")
    return chunks


def load_and_chunk(paths: Sequence[str | Path]) -> tuple[list[PreparedFile], list[FileProblem]]:
    """Everything before the index: used by measure_ingest_throughput to get the chunks."""
    discovery = discover(list(paths))
    limits = Limits.from_settings()
    loaded, problems, texts = _load_all(discovery, limits)
    bad = {p.source for p in problems}
    todo = {item.source for item, _ in loaded if item.source not in bad}  # PDFs too
    prepared, more = _prepare_all(loaded, texts, todo, limits)
    return prepared, problems + more


def _load_all(
    discovery: Discovery, limits: Limits
) -> tuple[list[tuple[LoadedFile, str]], list[FileProblem], dict[str, str]]:
    problems = list(discovery.problems)
    loaded: list[tuple[LoadedFile, str]] = []
    texts: dict[str, str] = {}
    for found in discovery.files:
        # Per-file isolation: whatever one file raises, it is skipped with a reason.
        try:
            item = read_file(found, limits)
            if isinstance(item, FileProblem):
                problems.append(item)
                continue
            loaded.append((item, str(found.path.resolve())))
            if item.kind != "pdf":  # decoding is cheap; PDF extraction only when needed
                texts[item.source] = to_text(item, limits)
        except Exception as exc:
            problems.append(FileProblem(found.source, describe_error(exc)))
    return loaded, problems, texts


def _prepare_all(
    loaded: list[tuple[LoadedFile, str]],
    texts: dict[str, str],
    todo: set[str],
    limits: Limits,
) -> tuple[list[PreparedFile], list[FileProblem]]:
    repeats = cross_file_repeats(texts.values())
    prepared: list[PreparedFile] = []
    problems: list[FileProblem] = []
    for item, resolved in loaded:
        if item.source not in todo:
            continue
        try:
            text = texts.get(item.source) or to_text(item, limits)
            prepared.append(PreparedFile(item, resolved, prepare(item, text, repeats)))
        except Exception as exc:  # per-file isolation, as in _load_all
            problems.append(FileProblem(item.source, describe_error(exc)))
    return prepared, problems


def _metadata(chunk: Chunk, path: str, n_chunks: int) -> dict[str, Any]:
    return {
        "source": chunk.source,
        "heading": chunk.heading,
        "stage": chunk.stage or "",  # Chroma metadata cannot hold None
        "sha256": chunk.file_sha256,
        "chunk": chunk.index,
        "n_chunks": n_chunks,
        "tokens": chunk.n_tokens,
        "path": path,
    }


def _progress(enabled: bool, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        disable=not enabled or total == 0,
        file=sys.stderr,
        unit="chunk",
        desc="embedding",
        dynamic_ncols=True,
    )


def ingest_paths(
    paths: Sequence[str | Path], index_dir: Path | str | None = None, *, progress: bool = False
) -> IngestReport:
    """Ingest files and folders into the index; bad files are reported, never raised."""
    from interviewer.embeddings import get_embedder
    from interviewer.retrieval.store import describe_index, fetch_manifest, open_collection

    t0 = time.perf_counter()
    report = IngestReport(index=describe_index(index_dir))
    discovery = discover(list(paths))
    limits = Limits.from_settings()
    loaded, problems, texts = _load_all(discovery, limits)
    bad_sources = {p.source for p in problems}
    collection = open_collection(index_dir)
    manifest = fetch_manifest(collection)
    by_path: dict[str, list[str]] = {}
    for src_entry in manifest.values():
        if src_entry.path:
            by_path.setdefault(src_entry.path, []).extend(src_entry.ids)

    todo: set[str] = set()
    for item, _ in loaded:
        known = manifest.get(item.source)
        if item.source in bad_sources:
            continue
        if known and known.complete and known.sha256 == item.sha256:
            report.skipped += 1
            report.files += 1
            report.chunks += known.n_chunks
        else:
            todo.add(item.source)
    prepared, more = _prepare_all(loaded, texts, todo, limits)
    problems += more
    report.errors = [str(p) for p in problems]

    # Plan: what to embed, what merely needs fresh metadata, what to delete.
    stale: set[str] = set()
    to_embed: list[tuple[Chunk, dict[str, Any]]] = []
    to_touch: list[tuple[str, dict[str, Any]]] = []
    for pf in prepared:
        previous = manifest.get(pf.loaded.source)
        old_ids = set(previous.ids) if previous else set()
        # the same file indexed under another label (e.g. absolute vs relative path)
        old_ids |= {cid for cid in by_path.get(pf.path, []) if cid not in old_ids}
        if previous:
            report.updated_files += 1
        else:
            report.new_files += 1
        new_ids = {c.id for c in pf.chunks}
        stale |= old_ids - new_ids
        for c in pf.chunks:
            meta = _metadata(c, pf.path, len(pf.chunks))
            if c.id in old_ids:
                to_touch.append((c.id, meta))
            else:
                to_embed.append((c, meta))
        report.files += 1
        report.chunks += len(pf.chunks)
    # Files that became unreadable lose their old chunks (their old text is gone).
    for p in problems:
        if p.source in manifest and Path(p.source).exists():
            stale |= set(manifest[p.source].ids)
    present = {item.source for item, _ in loaded}
    for folder in discovery.folders:
        for source, gone in manifest.items():
            if (
                source not in present
                and source not in report.deleted_files
                and _under(source, folder)
            ):
                report.deleted_files.append(source)
                stale |= set(gone.ids)

    # Longest first: batches of similar length waste less padding in the model.
    to_embed.sort(key=lambda cm: len(cm[0].embed_text), reverse=True)
    embedder = get_embedder()
    with _progress(progress, len(to_embed)) as bar:
        for i in range(0, len(to_embed), EMBED_BATCH):
            batch = to_embed[i : i + EMBED_BATCH]
            t = time.perf_counter()
            vecs = embedder.embed([c.embed_text for c, _ in batch])
            report.embed_seconds += time.perf_counter() - t
            collection.upsert(
                ids=[c.id for c, _ in batch],
                embeddings=vecs,
                documents=[c.text for c, _ in batch],
                metadatas=[m for _, m in batch],
            )
            bar.update(len(batch))
    for i in range(0, len(to_touch), WRITE_BATCH):
        part = to_touch[i : i + WRITE_BATCH]
        collection.update(ids=[cid for cid, _ in part], metadatas=[m for _, m in part])
    stale_list = sorted(stale)
    for i in range(0, len(stale_list), WRITE_BATCH):
        collection.delete(ids=stale_list[i : i + WRITE_BATCH])

    report.added = len(to_embed)
    report.reused = len(to_touch)
    report.removed = len(stale_list)
    report.seconds = time.perf_counter() - t0
    if report.added or report.removed or report.reused:
        from interviewer.retrieval.retriever import invalidate

        invalidate(index_dir)
    return report


def _under(source: str, folder: str) -> bool:
    if folder in (".", ""):
        return not os.path.isabs(source) and not source.startswith("../")
    return source.startswith(folder.rstrip("/") + "/")
