"""Load, validate and cache the rubric directory: one rubric per stage and the problem cards.

Layout: ``<rubrics_dir>/<stage>.yaml`` (all eight stages) and ``<rubrics_dir>/problems/<id>.yaml``
(or ``settings.problems_path``). Every problem is reported as ``file:line: message``; loading
raises :class:`RubricError` carrying all of them, :func:`validate_dir` returns them.

Loaded directories are cached by (path, file names, mtimes, ctimes, sizes), so a coach's edit is
picked up on the next call without restarting anything, and an unchanged directory costs a
``stat`` per YAML file and one for the directory (:func:`_fingerprint`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from interviewer.errors import RubricError, UnknownIdError, suggest
from interviewer.rubrics.documents import (
    YAML_SUFFIXES,
    parse_problem_source,
    parse_problem_text,
    parse_rubric_source,
    parse_rubric_text,
)
from interviewer.rubrics.models import Problem, Rubric
from interviewer.rubrics.yamlsource import Source, read_text
from interviewer.stages import STAGE_IDS, get_stage

__all__ = [
    "effective_rubric",
    "get_problem",
    "get_rubric",
    "load_problems",
    "load_rubrics",
    "parse_problem_text",
    "parse_rubric_text",
    "validate_dir",
]


PathLike = str | Path

# ---------------------------------------------------------------------------- directories


def show_path(path: Path) -> str:
    """Paths in messages as the user would type them: relative to the cwd when inside it."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


def yaml_files(d: Path) -> list[Path]:
    try:
        return sorted(p for p in d.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
    except OSError:
        return []


def _has_stage_files(d: Path) -> bool:
    return any((d / f"{s}{suffix}").is_file() for s in STAGE_IDS for suffix in YAML_SUFFIXES)


# (settings, its rubrics_dir, its problems_dir, _dirs(None)) for the settings last seen
_settings_dirs: tuple[Any, Path, Path | None, tuple[Path, Path]] | None = None


def _dirs(dir: PathLike | None) -> tuple[Path, Path]:
    """(rubrics dir, problems dir) for a rubrics dir, a problems dir, or the settings.

    A directory with a ``problems/`` folder is a rubrics dir; one named ``problems``, or holding
    YAML but no stage files (a custom ``INTERVIEWER_PROBLEMS_DIR``), is a problems dir whose
    rubrics are its parent's, or the configured ones.
    """
    from interviewer.settings import get_settings

    if dir is None:
        settings = get_settings()
        global _settings_dirs
        rd, pd = settings.rubrics_dir, settings.problems_dir
        memo = _settings_dirs  # one tuple, read once: consistent across threads
        if memo is not None and memo[0] is settings and memo[1] is rd and memo[2] is pd:
            return memo[3]  # (building the problems path cost more than the rest of a load)
        dirs = (rd, settings.problems_path)
        _settings_dirs = (settings, rd, pd, dirs)
        return dirs
    d = Path(dir)
    if (d / "problems").is_dir():
        return d, d / "problems"
    if d.name == "problems" or (yaml_files(d) and not _has_stage_files(d)):
        return (d.parent if _has_stage_files(d.parent) else get_settings().rubrics_dir), d
    return d, d / "problems"


def _scan_rubrics(d: Path) -> tuple[dict[str, Rubric], list[str]]:
    if not d.is_dir():
        return {}, [f"{show_path(d)}: rubrics directory not found"]
    rubrics: dict[str, Rubric] = {}
    where: dict[str, str] = {}
    errors: list[str] = []
    covered: set[str] = set()  # stages a file claims, so a broken file isn't also "missing"
    for path in yaml_files(d):
        name = show_path(path)
        try:
            model, src, errs = parse_rubric_source(read_text(path, name), name)
        except RubricError as exc:
            model, src, errs = None, None, exc.messages
        if model is None or src is None:
            errors += errs
            covered.add(path.stem)
            continue
        covered.add(model.stage)
        if model.stage in rubrics:
            errors.append(
                src.error(
                    ("stage",), f"stage {model.stage!r} is already defined in {where[model.stage]}"
                )
            )
            continue
        rubrics[model.stage], where[model.stage] = model, name
    missing = [s for s in STAGE_IDS if s not in covered]
    if missing:
        errors.append(
            f"{show_path(d)}: missing rubric file(s) for stage(s) {', '.join(missing)} "
            f"(expected {', '.join(s + '.yaml' for s in missing)})"
        )
    return rubrics, errors


def _override_errors(problem: Problem, src: Source, rubrics: dict[str, Rubric]) -> list[str]:
    """A problem may only re-weight or extend criteria that its stage rubric defines."""
    out: list[str] = []
    for stage, override in problem.rubric_overrides.items():
        rubric = rubrics.get(stage)
        if rubric is None:
            continue
        known = [c.id for c in rubric.criteria]
        for section in ("weights", "extra_concepts"):
            for cid in getattr(override, section):
                if cid not in known:
                    out.append(
                        src.error(
                            ("rubric_overrides", stage, section, cid),
                            f"rubric_overrides.{stage}.{section}: unknown criterion id {cid!r} "
                            f"for stage {stage!r}{suggest(cid, known)}",
                        )
                    )
    for stage, by_criterion in problem.probes.items():
        rubric = rubrics.get(stage)
        if rubric is None:
            continue
        known = [c.id for c in rubric.criteria]
        for cid in by_criterion:
            if cid not in known:
                out.append(
                    src.error(
                        ("probes", stage, cid),
                        f"probes.{stage}: unknown criterion id {cid!r} "
                        f"for stage {stage!r}{suggest(cid, known)}",
                    )
                )
    return out


def _scan_problems(
    d: Path, rubrics: dict[str, Rubric] | None
) -> tuple[dict[str, Problem], list[str]]:
    if not d.is_dir():
        return {}, [f"{show_path(d)}: problems directory not found"]
    files = yaml_files(d)
    if not files:
        return {}, [f"{show_path(d)}: no problem files (*.yaml)"]
    problems: dict[str, Problem] = {}
    where: dict[str, str] = {}
    errors: list[str] = []
    for path in files:
        name = show_path(path)
        try:
            model, src, errs = parse_problem_source(read_text(path, name), name)
        except RubricError as exc:
            model, src, errs = None, None, exc.messages
        if model is None or src is None:
            errors += errs
            continue
        if model.id in problems:
            errors.append(
                src.error(("id",), f"duplicate problem id {model.id!r} (also in {where[model.id]})")
            )
            continue
        if rubrics:
            bad = _override_errors(model, src, rubrics)
            if bad:
                errors += bad
                continue
        problems[model.id], where[model.id] = model, name
    return dict(sorted(problems.items())), errors


# ---------------------------------------------------------------------------- cache

_lock = threading.Lock()
_effective: OrderedDict[tuple[int, int], tuple[Rubric, Problem, Rubric]] = OrderedDict()
_cache: dict[tuple[str, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}


def _fingerprint(*dirs: Path) -> tuple[Any, ...]:
    """What a cached load depends on: each YAML file's path, mtime, ctime and size.

    Computed afresh on every load, with no time window and no invalidation call to forget:
    a file saved from the coach tab (written aside, renamed over the old one), edited in
    place on disk, added or deleted changes it, so the next load, in this process or any
    other, reads the new files. That holds by construction, so each load is made cheap
    rather than loads made rare (a turn loads the rubrics ~18 times, from 20 threads at once
    in a burst, and every syscall hands the GIL to another thread): one ``stat`` per
    directory and one per YAML file, on strings. The directory's listing, which cost more
    than all its files' ``stat``s together, is reused while the directory's ctime is
    unchanged (:func:`_yaml_entries`).
    """
    out: list[tuple[str, int, int, int]] = []
    for d in dirs:
        try:
            paths = _yaml_entries(os.path.abspath(d))
        except OSError:
            continue
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                continue
            if S_ISREG(st.st_mode):  # as Path.is_file(): symlinks followed
                out.append((path, st.st_mtime_ns, st.st_ctime_ns, st.st_size))
    return tuple(out)


# directory -> (its ctime when listed, its YAML-named entries)
_listings: dict[str, tuple[int, list[str]]] = {}
_RACY_NS = 1_000_000_000


def _yaml_entries(d: str) -> list[str]:
    """The YAML-named entries of directory ``d`` (paths, sorted); raises OSError.

    Any entry added, removed or renamed in ``d`` sets its ctime to the current time (and
    ``utime`` cannot set ctime back), so a listing stays right while the ctime is unchanged.
    One caveat: ctime has the kernel clock's coarse resolution, so a change in the same tick
    as the listing's ctime would leave it unchanged; a listing is therefore reused only when
    it was read more than :data:`_RACY_NS` after the change it reflects (as git treats a
    "racily clean" index entry).
    """
    ctime = os.stat(d).st_ctime_ns
    hit = _listings.get(d)
    if hit is not None and hit[0] == ctime:
        return hit[1]
    listed_at = time.time_ns()
    with os.scandir(d) as entries:
        paths = sorted(e.path for e in entries if _yaml_name(e.name))
    if listed_at - ctime > _RACY_NS:
        _listings[d] = (ctime, paths)
    return paths


def _yaml_name(name: str) -> bool:
    """``Path(name).suffix in YAML_SUFFIXES`` (as :func:`yaml_files` selects), on a string:
    a YAML suffix whose dot is not the name's first character (``.yaml`` has no suffix)."""
    return name.endswith(YAML_SUFFIXES) and name.rfind(".") > 0


def _key(kind: str, d: Path) -> tuple[str, str]:
    # An absolute path, not a resolved one: resolve() walks every component (several
    # syscalls a load); a directory reached by two spellings is merely cached twice.
    return kind, os.path.abspath(d)


def _cached(kind: str, d: Path, fp: tuple[Any, ...]) -> dict[str, Any] | None:
    key = _key(kind, d)
    with _lock:
        hit = _cache.get(key)
    return dict(hit[1]) if hit is not None and hit[0] == fp else None


def _store(kind: str, d: Path, fp: tuple[Any, ...], value: dict[str, Any]) -> None:
    key = _key(kind, d)
    with _lock:
        _cache[key] = (fp, value)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _effective.clear()
        _listings.clear()


# ---------------------------------------------------------------------------- public API


def load_rubrics(dir: PathLike | None = None) -> dict[str, Rubric]:
    """All eight stage rubrics in stage order; raises RubricError listing every problem."""
    d, _ = _dirs(dir)
    fp = _fingerprint(d)
    hit = _cached("rubrics", d, fp)
    if hit is not None:
        return hit
    rubrics, errors = _scan_rubrics(d)
    if errors:
        raise RubricError(errors)
    ordered = {s: rubrics[s] for s in STAGE_IDS}
    _store("rubrics", d, fp, ordered)
    return dict(ordered)


def load_problems(dir: PathLike | None = None) -> dict[str, Problem]:
    """Problem cards by id (sorted). ``dir`` is a rubrics dir (its ``problems/``) or a problems dir.

    Overrides are checked against the sibling rubrics when those load; broken rubrics are
    :func:`load_rubrics`'s error to report, not this function's.
    """
    rd, pd = _dirs(dir)
    fp = _fingerprint(pd, rd)
    hit = _cached("problems", pd, fp)
    if hit is not None:
        return hit
    try:
        rubrics: dict[str, Rubric] | None = load_rubrics(rd)
    except RubricError:
        rubrics = None
    problems, errors = _scan_problems(pd, rubrics)
    if errors:
        raise RubricError(errors)
    _store("problems", pd, fp, problems)
    return dict(problems)


def get_rubric(stage_id: str, dir: PathLike | None = None) -> Rubric:
    get_stage(stage_id)  # UnknownIdError with suggestions for a bad stage id
    return load_rubrics(dir)[stage_id]


def get_problem(problem_id: str, dir: PathLike | None = None) -> Problem:
    problems = load_problems(dir)
    try:
        return problems[problem_id]
    except KeyError:
        raise UnknownIdError("problem", problem_id, problems) from None


def effective_rubric(rubric: Rubric, problem: Problem | None) -> Rubric:
    """The stage rubric with the problem's weight overrides and extra concepts applied.

    Returns ``rubric`` itself when the problem changes nothing, and the same object for the same
    (rubric, problem) pair on later calls, so callers may cache derived data (e.g. concept
    embeddings) by identity.
    """
    override = problem.rubric_overrides.get(rubric.stage) if problem is not None else None
    if problem is None or override is None or not (override.weights or override.extra_concepts):
        return rubric
    key = (id(rubric), id(problem))
    with _lock:
        hit = _effective.get(key)
        if hit is not None and hit[0] is rubric and hit[1] is problem:
            _effective.move_to_end(key)
            return hit[2]
    known = [c.id for c in rubric.criteria]
    unknown = sorted((set(override.weights) | set(override.extra_concepts)) - set(known))
    if unknown:
        raise RubricError(
            [
                f"problem {problem.id!r}: rubric_overrides.{rubric.stage}: unknown "
                f"criterion id {cid!r}{suggest(cid, known)}"
                for cid in unknown
            ]
        )
    criteria = []
    for c in rubric.criteria:
        update: dict[str, Any] = {}
        if c.id in override.weights:
            update["weight"] = override.weights[c.id]
        concepts, seen = list(c.concepts), {x.casefold() for x in c.concepts}
        for extra in override.extra_concepts.get(c.id, []):
            if extra.casefold() not in seen:  # concepts match case-insensitively anyway
                concepts.append(extra)
                seen.add(extra.casefold())
        if len(concepts) > len(c.concepts):
            update["concepts"] = concepts
        criteria.append(c.model_copy(update=update) if update else c)
    result = rubric.model_copy(update={"criteria": criteria})
    with _lock:
        # The entry holds the inputs too, so their ids cannot be reused while it is cached.
        _effective[key] = (rubric, problem, result)
        while len(_effective) > 256:
            _effective.popitem(last=False)
    return result


@dataclass
class DirReport:
    errors: list[str] = field(default_factory=list)
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)


def check_dir(dir: PathLike | None = None) -> DirReport:
    """Validate a rubrics directory (or one rubric/problem file) from disk, bypassing the cache."""
    if dir is not None and Path(dir).is_file():
        path = Path(dir)
        text = read_text(path, show_path(path))
        if path.parent.name == "problems":
            problem, _, errs = parse_problem_source(text, show_path(path))
            return DirReport(errs, {}, {problem.id: problem} if problem else {})
        rubric, _, errs = parse_rubric_source(text, show_path(path))
        return DirReport(errs, {rubric.stage: rubric} if rubric else {}, {})
    rd, pd = _dirs(dir)
    rubrics, errors = _scan_rubrics(rd)
    problems, perrors = _scan_problems(pd, rubrics)
    from interviewer.rubrics.misconceptions import misconceptions_dir, scan
    from interviewer.settings import get_settings

    corpus = get_settings().corpus_dir
    _, merrors = scan(misconceptions_dir(rd), corpus if corpus.is_dir() else None)
    return DirReport(errors + perrors + merrors, rubrics, problems)


def validate_dir(dir: PathLike | None = None) -> list[str]:
    """Every problem in a rubrics directory as ``file:line: message`` (empty when valid)."""
    try:
        return check_dir(dir).errors
    except RubricError as exc:  # an unreadable single file
        return exc.messages
