"""Rubric and problem YAML: the shipped files, the loader's contract, and `file:line:` errors.

Broken-file cases run against a small hand-written rubric directory (TEMPLATE below, whose line
numbers the expectations refer to), so they do not depend on the shipped content.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from interviewer.cli import main
from interviewer.errors import RubricError, UnknownIdError
from interviewer.rubrics.loader import (
    effective_rubric,
    get_problem,
    get_rubric,
    load_problems,
    load_rubrics,
    parse_problem_text,
    parse_rubric_text,
    validate_dir,
)
from interviewer.rubrics.schema import render, schemas
from interviewer.stages import STAGE_IDS

TEMPLATE = """\
# yaml-language-server: $schema=schema/rubric.schema.json
stage: {stage}
title: {title}
criteria:
  - id: first_point
    title: First point
    description: >-
      A description that is long enough to pass.
    weight: 2.0
    levels:
      0: nothing
      1: a little
      2: some
      3: most
      4: all of it
    concepts: [alpha, beta]
    exemplars:
      strong: [A strong answer.]
      weak: [A weak answer.]
    probes: [What about it?]
  - id: second_point
    title: Second point
    description: Another description that is long enough.
    weight: 1.0
    levels: {{0: a, 1: b, 2: c, 3: d, 4: e}}
    concepts: [gamma]
    exemplars: {{strong: [s], weak: [w]}}
    probes: [p]
"""

PROBLEM = """\
# yaml-language-server: $schema=../schema/problem.schema.json
id: toy-problem
title: Toy problem
kind: ranking
prompt: Design a toy ranking system.
facts:
  - id: scale
    topic: scale
    keywords: [users, scale]
    answer: Ten million users.
  - id: latency
    topic: latency
    keywords: [latency]
    answer: About 100 milliseconds.
  - id: logs
    topic: data
    keywords: [logs]
    answer: Click logs for a year.
  - id: goal
    topic: business
    keywords: [goal]
    answer: More purchases.
rubric_overrides:
  data:
    weights:
      first_point: 3.0
    extra_concepts:
      second_point: [gamma ray, Alpha, GAMMA]
"""


@pytest.fixture
def rdir(tmp_path: Path) -> Path:
    d = tmp_path / "rubrics"
    (d / "problems").mkdir(parents=True)
    for stage in STAGE_IDS:
        (d / f"{stage}.yaml").write_text(TEMPLATE.format(stage=stage, title=stage.title()))
    (d / "problems" / "toy-problem.yaml").write_text(PROBLEM)
    return d


def run_validate(target: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["rubrics", "validate", str(target)])
    return code, capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------------------- shipped content


def test_shipped_rubrics_and_problems_validate(project_root: Path) -> None:
    rubrics_dir = project_root / "rubrics"
    assert validate_dir(rubrics_dir) == []
    rubrics = load_rubrics(rubrics_dir)
    assert list(rubrics) == list(STAGE_IDS)
    assert len(load_problems(rubrics_dir)) >= 8


def test_cli_validate_shipped_dir(project_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_validate(project_root / "rubrics", capsys)
    assert code == 0, out
    m = re.fullmatch(r"ok: 8 rubrics, (\d+) problems", out[-1])
    assert m and int(m.group(1)) >= 8


@pytest.mark.parametrize("stage", STAGE_IDS)
def test_rubric_content_meets_the_authoring_guide(project_root: Path, stage: str) -> None:
    rubric = load_rubrics(project_root / "rubrics")[stage]
    assert 5 <= len(rubric.criteria) <= 8
    all_concepts = [k.lower() for c in rubric.criteria for k in c.concepts]
    for c in rubric.criteria:
        assert 8 <= len(c.concepts) <= 20, c.id
        assert len({k.lower() for k in c.concepts}) == len(c.concepts), f"{c.id}: repeated concept"
        assert len(c.exemplars.strong) == 2 and len(c.exemplars.weak) == 2, c.id
        assert 2 <= len(c.probes) <= 3, c.id
        assert 1.0 <= c.weight <= 3.0, c.id
        for probe in c.probes:
            # A probe nudges; it must not hand over the words that would earn the credit.
            leaked = [k for k in all_concepts if re.search(rf"\b{re.escape(k)}\b", probe.lower())]
            assert not leaked, f"{c.id}: probe {probe!r} names {leaked}"


def test_committed_schemas_are_current(project_root: Path) -> None:
    for name, schema in schemas().items():
        committed = (project_root / "rubrics" / "schema" / name).read_text(encoding="utf-8")
        assert committed == render(schema), f"regenerate with: interviewer rubrics schema ({name})"


def test_shipped_yaml_points_editors_at_the_schema(project_root: Path) -> None:
    for stage in STAGE_IDS:
        first = (project_root / "rubrics" / f"{stage}.yaml").read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=schema/rubric.schema.json"


# ---------------------------------------------------------------------------- broken copies

Edit = Callable[[str], "str | bytes"]


def _sub(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


CASES: list[tuple[str, str, Edit, int, str]] = [
    # (case, file under the rubric dir, edit, expected line, expected text in the message)
    (
        "unknown_key",
        "data.yaml",
        _sub("    weight: 2.0\n", "    weight: 2.0\n    foo: bar\n"),
        10,
        "unknown key 'foo'",
    ),
    (
        "unknown_key_suggests",
        "data.yaml",
        _sub("    title: First point\n", "    titel: First point\n"),
        6,
        "did you mean 'title'",
    ),
    (
        "missing_description",
        "data.yaml",
        _sub("    description: >-\n      A description that is long enough to pass.\n", ""),
        5,
        "missing key 'description'",
    ),
    ("negative_weight", "data.yaml", _sub("weight: 2.0", "weight: -1"), 9, "weight"),
    (
        "duplicate_criterion_id",
        "data.yaml",
        _sub("id: second_point", "id: first_point"),
        21,
        "duplicate criterion id 'first_point' (first at line 5)",
    ),
    (
        "malformed_yaml",
        "data.yaml",
        _sub("title: Data\n", "title: Data: more\n"),
        3,
        "invalid YAML",
    ),
    ("binary_file", "data.yaml", lambda _t: b"\x00\x01\x02\xff binary", 1, "binary file"),
    (
        "not_utf8",
        "data.yaml",
        lambda t: t.replace("title: Data", "title: Caf\udce9").encode("utf-8", "surrogateescape"),
        3,
        "not UTF-8",
    ),
    ("empty_file", "data.yaml", lambda _t: "", 1, "empty file"),
    (
        "wrong_stage_in_file",
        "data.yaml",
        _sub("stage: data", "stage: features"),
        2,
        "does not match the file name 'data.yaml'",
    ),
    ("unknown_stage", "data.yaml", _sub("stage: data", "stage: dta"), 2, "did you mean 'data'"),
    (
        "levels_not_0_to_4",
        "data.yaml",
        _sub("      4: all of it", "      5: all of it"),
        10,
        "exactly the keys 0-4",
    ),
    (
        "duplicate_yaml_key",
        "data.yaml",
        _sub("    weight: 2.0\n", "    weight: 2.0\n    weight: 3\n"),
        10,
        "duplicate key 'weight' (first at line 9)",
    ),
    ("null_concept", "data.yaml", _sub("[alpha, beta]", "[alpha, null]"), 16, "no value"),
    ("boolean_concept", "data.yaml", _sub("[alpha, beta]", "[alpha, yes]"), 16, "quotes"),
    ("top_level_list", "data.yaml", lambda _t: "- a\n- b\n", 1, "expected a mapping"),
    (
        "problem_id_mismatch",
        "problems/toy-problem.yaml",
        _sub("id: toy-problem", "id: toy-other"),
        2,
        "does not match the file name",
    ),
    (
        "problem_bad_id",
        "problems/toy-problem.yaml",
        _sub("id: toy-problem", "id: Toy_Problem"),
        2,
        "kebab-case",
    ),
    (
        "duplicate_fact_id",
        "problems/toy-problem.yaml",
        _sub("  - id: latency", "  - id: scale"),
        11,
        "duplicate fact id 'scale'",
    ),
    (
        "override_unknown_criterion",
        "problems/toy-problem.yaml",
        _sub("      first_point: 3.0", "      frist_point: 3.0"),
        26,
        "unknown criterion id 'frist_point' for stage 'data'; did you mean 'first_point'",
    ),
    (
        "override_weight_zero",
        "problems/toy-problem.yaml",
        _sub("      first_point: 3.0", "      first_point: 0"),
        25,
        "must be > 0",
    ),
    (
        "problem_unknown_stage_key",
        "problems/toy-problem.yaml",
        _sub("  data:", "  dat:"),
        24,
        "key 'dat'",
    ),
]


@pytest.mark.parametrize(("case", "rel", "edit", "line", "text"), CASES, ids=[c[0] for c in CASES])
def test_broken_file_is_reported_at_its_line(
    rdir: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    rel: str,
    edit: Edit,
    line: int,
    text: str,
) -> None:
    path = rdir / rel
    new = edit(path.read_text())
    if isinstance(new, bytes):
        path.write_bytes(new)
    else:
        path.write_text(new)
    code, out = run_validate(rdir, capsys)
    assert code == 2
    prefix = f"{path}:{line}: "
    hits = [o for o in out if o.startswith(prefix)]
    assert hits, f"no line starting {prefix!r} in {out}"
    assert any(text in h for h in hits), hits
    assert all(re.match(r"^.+?:(\d+: )?\S", o) for o in out)


def test_valid_fixture_passes(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_validate(rdir, capsys)
    assert (code, out) == (0, ["ok: 8 rubrics, 1 problems"])


def test_missing_stage_files_are_listed(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (rdir / "monitoring.yaml").unlink()
    (rdir / "framing.yaml").unlink()
    code, out = run_validate(rdir, capsys)
    assert code == 2
    assert out == [
        f"{rdir}: missing rubric file(s) for stage(s) framing, monitoring "
        "(expected framing.yaml, monitoring.yaml)"
    ]


def test_stage_defined_twice(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(rdir / "data.yaml", rdir / "data.yml")
    code, out = run_validate(rdir, capsys)
    assert code == 2
    assert out == [
        f"{rdir / 'data.yml'}:2: stage 'data' is already defined in {rdir / 'data.yaml'}"
    ]


def test_problem_id_defined_twice(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems = rdir / "problems"
    shutil.copy(problems / "toy-problem.yaml", problems / "toy-problem.yml")
    code, out = run_validate(rdir, capsys)
    assert code == 2
    assert out == [
        f"{problems / 'toy-problem.yml'}:2: duplicate problem id 'toy-problem' "
        f"(also in {problems / 'toy-problem.yaml'})"
    ]


def test_every_error_is_reported_not_just_the_first(
    rdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = rdir / "data.yaml"
    data.write_text(
        data.read_text()
        .replace("weight: 2.0", "weight: -1")
        .replace("id: second_point", "id: first_point")
    )
    (rdir / "features.yaml").write_bytes(b"\x00")
    code, out = run_validate(rdir, capsys)
    assert code == 2
    assert [o.split(": ")[0] for o in out] == [f"{data}:9", f"{data}:21", f"{rdir}/features.yaml:1"]


def test_validate_a_single_file(rdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_validate(rdir / "data.yaml", capsys) == (0, ["ok: 1 rubrics, 0 problems"])
    (rdir / "data.yaml").write_text("stage: data\n")
    code, out = run_validate(rdir / "data.yaml", capsys)
    assert code == 2
    assert out == [
        f"{rdir / 'data.yaml'}:1: missing key {key!r} in the top level"
        for key in ("title", "criteria")
    ]


def test_validate_missing_dir_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rubrics", "validate", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"interviewer: error: no such directory: {str(tmp_path / 'nope')!r}"


def test_python_m_never_shows_a_traceback(rdir: Path) -> None:
    (rdir / "data.yaml").write_text("stage: data\ncriteria: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "rubrics", "validate", str(rdir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"{rdir / 'data.yaml'}:")


# ---------------------------------------------------------------------------- loader API


def test_loading_a_broken_dir_raises_with_every_message(rdir: Path) -> None:
    (rdir / "data.yaml").write_text(
        (rdir / "data.yaml").read_text().replace("weight: 2.0", "weight: -1")
    )
    with pytest.raises(RubricError) as info:
        load_rubrics(rdir)
    assert [m.split(": ")[0] for m in info.value.messages] == [f"{rdir / 'data.yaml'}:9"]


def test_cache_picks_up_edits(rdir: Path) -> None:
    first = load_rubrics(rdir)
    assert load_rubrics(rdir)["data"] is first["data"]  # served from the cache
    path = rdir / "data.yaml"
    path.write_text(path.read_text().replace("title: Data", "title: Data v2"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_rubrics(rdir)["data"].title == "Data v2"
    first["data"] = None  # type: ignore[assignment]  # callers get a copy, not the cache
    assert load_rubrics(rdir)["data"] is not None


def test_cache_sees_every_kind_of_edit_on_the_next_load(rdir: Path) -> None:
    """No time window: a save through the coach tab (written aside, renamed over), an edit in
    place, a file added or deleted are each read by the very next load; files that are not
    YAML (the coach tab's temporary file) leave the cache alone."""
    first = load_rubrics(rdir)
    (rdir / ".data.yaml.123.tmp").write_text("stage: data\n")
    (rdir / "notes.txt").write_text("not a rubric")
    assert load_rubrics(rdir)["data"] is first["data"]

    data = rdir / "data.yaml"
    tmp = rdir / ".data.yaml.tmp"
    tmp.write_text(data.read_text().replace("title: Data", "title: Data (saved)"))
    os.replace(tmp, data)  # as ui.rubric_files.save_file does
    assert load_rubrics(rdir)["data"].title == "Data (saved)"

    with data.open("a") as f:  # in place, same second: the size tells
        f.write("# a coach's note\n")
    again = load_rubrics(rdir)["data"]
    assert again is not first["data"] and again.title == "Data (saved)"

    problems = rdir / "problems"
    twin = problems / "toy-twin.yaml"
    twin.write_text(PROBLEM.replace("id: toy-problem", "id: toy-twin"))
    assert list(load_problems(rdir)) == ["toy-problem", "toy-twin"]
    twin.unlink()
    assert list(load_problems(rdir)) == ["toy-problem"]


def test_a_reused_directory_listing_follows_the_directory(
    rdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader lists a directory again when its ctime moves (a file added or removed);
    here listings are reused at once (normally only a second after the directory's last
    change, so one made in the same clock tick cannot be missed)."""
    from interviewer.rubrics import loader

    monkeypatch.setattr(loader, "_RACY_NS", -1)
    monkeypatch.setattr(loader, "_listings", {})
    problems = rdir / "problems"
    assert list(load_problems(rdir)) == ["toy-problem"]
    assert str(problems) in loader._listings
    time.sleep(0.05)  # past the filesystem clock's tick
    (problems / "toy-twin.yaml").write_text(PROBLEM.replace("id: toy-problem", "id: toy-twin"))
    assert list(load_problems(rdir)) == ["toy-problem", "toy-twin"]
    time.sleep(0.05)
    (problems / "toy-problem.yaml").unlink()
    assert list(load_problems(rdir)) == ["toy-twin"]


def test_get_rubric_and_problem(rdir: Path) -> None:
    assert get_rubric("data", rdir).stage == "data"
    assert get_problem("toy-problem", rdir).title == "Toy problem"
    with pytest.raises(UnknownIdError, match="did you mean 'data'"):
        get_rubric("dta", rdir)
    with pytest.raises(
        UnknownIdError, match=r"unknown problem 'toy-problme'; did you mean 'toy-problem'"
    ):
        get_problem("toy-problme", rdir)


def test_load_problems_accepts_the_problems_dir_itself(rdir: Path) -> None:
    assert list(load_problems(rdir / "problems")) == ["toy-problem"]


def test_defaults_come_from_settings(rdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("INTERVIEWER_RUBRICS_DIR", str(rdir))
    get_settings.cache_clear()
    assert list(load_problems()) == ["toy-problem"]
    assert get_problem("toy-problem").id == "toy-problem"


def test_effective_rubric_applies_overrides(rdir: Path) -> None:
    rubric, problem = get_rubric("data", rdir), get_problem("toy-problem", rdir)
    eff = effective_rubric(rubric, problem)
    assert eff.criterion("first_point").weight == 3.0
    # Concepts match case-insensitively, so "GAMMA" adds nothing to "gamma".
    assert eff.criterion("second_point").concepts == ["gamma", "gamma ray", "Alpha"]
    assert rubric.criterion("first_point").weight == 2.0  # the loaded rubric is untouched
    assert effective_rubric(rubric, problem) is eff  # stable identity for callers' caches
    assert effective_rubric(get_rubric("framing", rdir), problem) is get_rubric("framing", rdir)
    assert effective_rubric(rubric, None) is rubric


def test_effective_rubric_rejects_unknown_criterion(rdir: Path) -> None:
    rubric, problem = get_rubric("data", rdir), get_problem("toy-problem", rdir)
    bad_override = problem.rubric_overrides["data"].model_copy(update={"weights": {"nope": 1.0}})
    bad = problem.model_copy(update={"rubric_overrides": {"data": bad_override}})
    with pytest.raises(RubricError, match="unknown criterion id 'nope'"):
        effective_rubric(rubric, bad)


def test_parse_text_for_the_coach_tab() -> None:
    text = TEMPLATE.format(stage="data", title="Data")
    assert parse_rubric_text(text, "data.yaml").stage == "data"
    assert parse_rubric_text(text.encode(), "<editor>").stage == "data"
    # An editor buffer has no file name to disagree with; a .yaml name does.
    assert parse_rubric_text(text.replace("stage: data", "stage: framing"), "<editor>")
    with pytest.raises(RubricError) as info:
        parse_rubric_text(text.replace("weight: 2.0", "weight: -1"), "<editor>")
    assert info.value.messages[0].startswith("<editor>:9: ")
    assert parse_problem_text(PROBLEM, "toy-problem.yaml").id == "toy-problem"
    with pytest.raises(RubricError, match=r"^x\.yaml:2: id 'toy-problem' does not match"):
        parse_problem_text(PROBLEM, "x.yaml")


# ---------------------------------------------------------------------------- other commands


def test_problems_json_and_no_heavy_imports(rdir: Path) -> None:
    code = (
        "import json, sys\n"
        "from interviewer.cli import main\n"
        "rc = main(['problems', '--json'])\n"
        "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'gradio') "
        "if m in sys.modules]\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "INTERVIEWER_RUBRICS_DIR": str(rdir)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    listing, _, status = proc.stdout.rpartition("\n{")
    assert json.loads("{" + status) == {"rc": 0, "heavy": []}
    assert json.loads(listing) == [{"id": "toy-problem", "title": "Toy problem", "kind": "ranking"}]


def test_problems_text_listing(
    rdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("INTERVIEWER_RUBRICS_DIR", str(rdir))
    get_settings.cache_clear()
    assert main(["problems"]) == 0
    assert capsys.readouterr().out.split() == ["toy-problem", "ranking", "Toy", "problem"]


def test_schema_command_writes_every_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rubrics", "schema", "--out", str(tmp_path / "s")]) == 0
    rubric = json.loads((tmp_path / "s" / "rubric.schema.json").read_text())
    problem = json.loads((tmp_path / "s" / "problem.schema.json").read_text())
    assert rubric["additionalProperties"] is False and "criteria" in rubric["required"]
    assert problem["properties"]["id"]["pattern"]
    wrong = json.loads((tmp_path / "s" / "misconception.schema.json").read_text())
    assert "misconceptions" in wrong["required"]
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_a_custom_problems_dir_uses_the_configured_rubrics(
    rdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interviewer.settings import get_settings

    cards = tmp_path / "cards"
    shutil.copytree(rdir / "problems", cards)
    monkeypatch.setenv("INTERVIEWER_RUBRICS_DIR", str(rdir))
    monkeypatch.setenv("INTERVIEWER_PROBLEMS_DIR", str(cards))
    get_settings.cache_clear()
    assert get_problem("toy-problem", cards).id == "toy-problem"
    assert list(load_problems()) == ["toy-problem"]
    # Overrides are still checked against the configured rubrics.
    card = cards / "toy-problem.yaml"
    card.write_text(card.read_text().replace("      first_point: 3.0", "      nope: 3.0"))
    with pytest.raises(RubricError, match=rf"^{re.escape(str(card))}:26: .*'nope'"):
        load_problems(cards)
