"""Hostile input: every case costs bounded time and memory and ends in one clear line.

The tables grow: when a probe finds a new way in, add its (input, expected one-line reason) row
here. Each row is checked for the reason, for being one line, and for its cost.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interviewer.rubrics.documents import parse_problem_source, parse_rubric_source
from interviewer.rubrics.loader import validate_dir
from interviewer.rubrics.yamlsource import MAX_YAML_CHARS, MAX_YAML_DEPTH

ROOT = Path(__file__).resolve().parent.parent


def alias_bomb(levels: int = 10, width: int = 9) -> str:
    """A 'billion laughs' rubric: ``width ** levels`` strings once expanded (9**10 ~ 3.5e9)."""
    lines = ["stage: data", "title: Data", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    lines.append(f"criteria: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def alias_only_bomb() -> str:
    """Aliases to an anchor declared on the first line; refused at the first anchor."""
    return 'a: &x "' + "lol" * 1000 + '"\n' + "".join(f"k{i}: [*x, *x, *x]\n" for i in range(200))


@contextmanager
def bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """Assert the block ran within ``seconds`` and allocated at most ``megabytes`` at peak."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s (limit {seconds} s)"
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.1f} MB (limit {megabytes} MB)"


# (case id, YAML text, expected line, expected reason) — parsed as rubric ``data.yaml``.
YAML_CASES: list[tuple[str, Callable[[], str], int, str]] = [
    ("alias_bomb", alias_bomb, 3, "YAML anchors (&l0) are not allowed"),
    ("alias_only_bomb", alias_only_bomb, 1, "YAML anchors (&x) are not allowed"),
    ("bare_alias", lambda: "stage: data\ntitle: *t\n", 2, "YAML aliases (*t) are not allowed"),
    (
        "merge_key",
        lambda: "stage: data\n<<: {title: Data}\nbase: &b {weight: 1}\n",
        3,
        "YAML anchors (&b) are not allowed",
    ),
    (
        "deep_flow_nesting",
        lambda: "stage: data\ntitle: " + "[" * 200 + "]" * 200 + "\n",
        2,
        f"nested too deeply (the limit is {MAX_YAML_DEPTH} levels)",
    ),
    (
        "deep_block_nesting",
        lambda: "stage: data\n" + "".join("  " * i + f"k{i}:\n" for i in range(60)) + "\n",
        MAX_YAML_DEPTH + 2,
        "nested too deeply",
    ),
    (
        "huge_file",
        lambda: "stage: data\ntitle: '" + "x" * (MAX_YAML_CHARS + 10) + "'\n",
        1,
        "file too large",
    ),
    (
        "huge_integer",
        lambda: "stage: data\ntitle: Data\nweight: " + "9" * 5000 + "\n",
        3,
        "cannot read this value",
    ),
    ("impossible_date", lambda: "stage: data\ntitle: 2024-13-45\n", 2, "cannot read this value"),
    ("control_character", lambda: "stage: data\ntitle: \x07\n", 1, "invalid YAML"),
    ("python_tag", lambda: "stage: !!python/object:os.system ls\n", 1, "invalid YAML"),
    (
        "long_value_in_message",
        lambda: "stage: " + "d" * 50_000 + "\ntitle: Data\n",
        1,
        "is not an allowed value",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [pytest.param(t, ln, r, id=i) for i, t, ln, r in YAML_CASES],
)
def test_hostile_yaml_is_refused_with_file_line_and_bounded_cost(
    text: Callable[[], str], line: int, reason: str
) -> None:
    source = text()
    with bounded(seconds=1.0, megabytes=60):
        model, _src, errors = parse_rubric_source(source, "data.yaml")
    assert model is None
    assert errors, "expected at least one error"
    first = errors[0]
    assert first.startswith(f"data.yaml:{line}: "), first
    assert reason in first, first
    for msg in errors:
        assert "\n" not in msg and len(msg) < 400, msg  # one short line, no expanded value


def test_problem_cards_refuse_aliases_too() -> None:
    _, _, errors = parse_problem_source("id: x\ntitle: &t X\nprompt: *t\n", "x.yaml")
    assert errors == ["x.yaml:2: YAML anchors (&t) are not allowed; write the value out in full"]


@pytest.fixture
def bomb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", target, ignore=shutil.ignore_patterns(".backups"))
    (target / "data.yaml").write_text(alias_bomb(), encoding="utf-8")
    return target


def test_alias_bomb_in_a_rubrics_dir_is_refused_at_once(bomb_dir: Path) -> None:
    with bounded(seconds=1.0, megabytes=60):
        errors = validate_dir(bomb_dir)
    assert [e for e in errors if "data.yaml" in e] == [
        f"{bomb_dir / 'data.yaml'}:3: YAML anchors (&l0) are not allowed; "
        "write the value out in full"
    ]


def test_cli_refuses_alias_bomb_with_exit_2(bomb_dir: Path) -> None:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "rubrics", "validate", str(bomb_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    assert "YAML anchors (&l0) are not allowed" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert elapsed < 10  # interpreter start included; the refusal itself is milliseconds


def test_coach_editor_refuses_alias_bomb_at_once(bomb_dir: Path) -> None:
    from ui.rubric_files import RubricDirs, validate_edit

    dirs = RubricDirs(bomb_dir, bomb_dir / "problems")
    (bomb_dir / "data.yaml").write_text((ROOT / "rubrics" / "data.yaml").read_text())
    with bounded(seconds=1.0, megabytes=60):
        result = validate_edit(dirs, "data.yaml", alias_bomb(levels=12))
    assert not result.ok
    assert result.file_errors[0].endswith(
        "data.yaml:3: YAML anchors (&l0) are not allowed; write the value out in full"
    )
