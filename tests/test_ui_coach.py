"""The coach tab over the API of a real server with a coach password and a scratch rubrics dir."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_ui_support import ROOT, AppServer, base_env, client, shared_index

PASSWORD = "correct horse battery staple"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def rubrics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("coach") / "rubrics"
    shutil.copytree(ROOT / "rubrics", target, ignore=shutil.ignore_patterns(".backups"))
    return target


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, rubrics: Path) -> Iterator[AppServer]:
    index = shared_index(tmp_path_factory)
    app = AppServer(
        tmp_path_factory.mktemp("ui-coach-data"),
        index,
        INTERVIEWER_COACH_PASSWORD=PASSWORD,
        INTERVIEWER_RUBRICS_DIR=str(rubrics),
    ).start()
    yield app
    app.stop()


class Coach:
    """A gradio client that sends this browser's identity token first, as the page does."""

    def __init__(self, url: str, token: str = "") -> None:
        self.api = client(url)
        self.token = token

    def predict(self, *args: Any, api_name: str) -> Any:
        return self.api.predict(self.token, *args, api_name=api_name)

    def unlock(self, password: str) -> str:
        """The unlock status; waits out the throttle's backoff (a wrong password costs 1 s+)."""
        deadline = time.monotonic() + 60
        while True:
            out = self.api.predict(self.token, password, api_name="/coach_unlock")
            self.token, status = out[0], out[1]
            if "Too many" not in status or time.monotonic() > deadline:
                return str(status)
            time.sleep(0.5)


def unlocked(server: AppServer) -> Coach:
    c = Coach(server.url)
    status = c.unlock(PASSWORD)
    assert "Unlocked" in status
    return c


def cli_validate(directory: Path) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "rubrics", "validate", str(directory)],
        cwd=ROOT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, [line for line in proc.stdout.splitlines() if line.strip()]


def error_lines(markdown: str) -> list[str]:
    return re.findall(r"^(\S.*?:\d+: .+)$", markdown, flags=re.MULTILINE)


def test_wrong_password_is_refused(server: AppServer, rubrics: Path) -> None:
    c = Coach(server.url)
    before = (rubrics / "data.yaml").read_text()
    status = c.unlock("not the password")
    assert "Wrong password" in status
    # Still locked: nothing is read, nothing is written.
    code, message = c.predict("data.yaml", api_name="/coach_open")
    assert code == "" and "Locked" in message
    assert "Locked" in c.predict("data.yaml", "stage: data\n", api_name="/coach_save")[0]
    assert "Locked" in c.predict(
        "data.yaml", before, "", "", "an answer", api_name="/coach_preview"
    )
    assert (rubrics / "data.yaml").read_text() == before


def test_invalid_edit_shows_file_line_errors_and_is_not_saved(
    server: AppServer, rubrics: Path
) -> None:
    c = unlocked(server)
    path = rubrics / "data.yaml"
    on_disk = path.read_text()
    original, message = c.predict("data.yaml", api_name="/coach_open")
    assert original.strip() == on_disk.strip() and "Valid" in message
    broken = re.sub(r"weight: [0-9.]+", "weight: lots", original, count=1)
    broken = broken.replace("\ncriteria:", "\ncolour: blue\ncriteria:", 1)
    shown = error_lines(c.predict("data.yaml", broken, api_name="/coach_validate"))
    assert len(shown) == 2 and all(line.startswith(f"{path}:") for line in shown)
    # Exactly what `interviewer rubrics validate` prints for the same file.
    path.write_text(broken)
    try:
        code, printed = cli_validate(rubrics)
    finally:
        path.write_text(on_disk)
    assert code == 2 and printed == shown
    status = c.predict("data.yaml", broken, api_name="/coach_save")[0]
    assert "Not saved" in status and error_lines(status) == shown
    assert path.read_text() == on_disk and not (rubrics / ".backups").exists()
    # Broken YAML syntax is reported with its line too.
    syntax = error_lines(
        c.predict("data.yaml", "stage: data\ncriteria: [unclosed\n", api_name="/coach_validate")
    )
    assert syntax and re.match(rf"{re.escape(str(path))}:\d+: invalid YAML", syntax[0])


def test_valid_save_keeps_a_backup(server: AppServer, rubrics: Path) -> None:
    c = unlocked(server)
    other = unlocked(server)  # a second coach with the old version open
    path = rubrics / "problems" / "fraud-detection.yaml"
    original, _ = c.predict("problems/fraud-detection.yaml", api_name="/coach_open")
    other.predict("problems/fraud-detection.yaml", api_name="/coach_open")
    edited = re.sub(
        r"(?m)^title: .*$", "title: Card fraud detection (coach edit)", original, count=1
    )
    assert edited != original
    assert "Valid" in c.predict("problems/fraud-detection.yaml", edited, api_name="/coach_validate")
    status = c.predict("problems/fraud-detection.yaml", edited, api_name="/coach_save")[0]
    assert "Saved" in status
    assert path.read_text() == edited.rstrip("\n") + "\n"
    backups = list((rubrics / ".backups").glob("problems__fraud-detection.*.yaml"))
    assert len(backups) == 1 and backups[0].read_text().strip() == original.strip()
    assert cli_validate(rubrics)[0] == 0
    # The second coach's stale copy cannot silently overwrite the saved edit.
    stale = other.predict("problems/fraud-detection.yaml", original + "\n", api_name="/coach_save")[
        0
    ]
    assert "changed on disk" in stale and path.read_text().strip() == edited.strip()


def test_paths_outside_the_rubrics_dir_are_refused(server: AppServer, rubrics: Path) -> None:
    c = unlocked(server)
    for name in (
        "../pyproject.toml",
        "/etc/passwd",
        "problems/../../../README.md",
        ".backups/x.yaml",
        "schema/rubric.schema.json",
        "../rubrics/data.yaml",
    ):
        code, message = c.predict(name, api_name="/coach_open")
        assert code == "" and "Error:" in message, name
        assert "Not saved" in c.predict(name, "stage: data\n", api_name="/coach_save")[0]
    assert not (rubrics.parent / "x.yaml").exists()


def _no_backups(rubrics: Path) -> bool:
    return not list((rubrics / ".backups").glob("*")) if (rubrics / ".backups").exists() else True


def test_preview_compares_saved_and_edited_on_the_same_answer(
    server: AppServer, rubrics: Path
) -> None:
    c = unlocked(server)
    path = rubrics / "data.yaml"
    on_disk, backups_before = path.read_text(), _no_backups(rubrics)
    text, _ = c.predict("data.yaml", api_name="/coach_open")
    # The edit drops one criterion: its row is marked removed and the stage score moves.
    edited = re.sub(r"(?s)  - id: label_definition\n.*?(?=  - id: label_quality)", "", text)
    assert edited != text
    answer = (
        "We train on impression logs and click logs as implicit labels; a positive is a watch "
        "of at least half the video, a negative an impression with no click."
    )
    shown = c.predict("data.yaml", edited, "", "", answer, api_name="/coach_preview")
    assert "Saved file vs your edit" in shown and "Nothing is saved" in shown
    assert html_unescape(answer) in html_unescape(shown)
    assert "<code>label_definition</code>" in shown and "removed" in shown
    changed = re.findall(r"<tr class='changed'><th scope='row'>(.*?)</th>", shown)
    assert "<code>label_definition</code>" in changed and "<strong>Stage score</strong>" in changed
    assert "<code>data_sources</code>" not in changed  # unchanged criteria are not marked
    # No answer: the saved rubric's sample answer, graded by both versions.
    sample = c.predict("data.yaml", edited, "", "", "", api_name="/coach_preview")
    assert "a sample (the saved rubric" in sample and "<table" in sample
    # Invalid YAML: the one-line error, that line of the edit highlighted, the saved grade.
    broken = text.replace("\ncriteria:", "\ncriteria: [unclosed", 1)
    bad = c.predict("data.yaml", broken, "", "", answer, api_name="/coach_preview")
    errors = re.findall(r"<code>([^<]*?:(\d+): invalid YAML[^<]*)</code>", bad)
    assert len(errors) == 1 and errors[0][0].startswith(f"{path}:")
    marked = re.findall(r"<mark aria-label='line (\d+), the error'>\s*(\d+) \| ([^<]*)</mark>", bad)
    assert len(marked) == 1 and marked[0][0] == marked[0][1] == errors[0][1]
    assert "Fix the file that does not load" in bad and "<td>—</td>" in bad
    # A preview never saves: the file and the backups are as they were.
    assert path.read_text() == on_disk and _no_backups(rubrics) == backups_before


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_a_reused_session_hash_does_not_carry_the_unlock(server: AppServer, rubrics: Path) -> None:
    """The unlock belongs to the browser's secret token, not to Gradio's session hash."""
    coach = unlocked(server)
    intruder = Coach(server.url)  # no token, or a token of its own
    intruder.api.session_hash = coach.api.session_hash
    before = (rubrics / "data.yaml").read_text()
    assert "Locked" in intruder.predict("data.yaml", "stage: data\n", api_name="/coach_save")[0]
    code, message = intruder.predict("data.yaml", api_name="/coach_open")
    assert code == "" and "Locked" in message
    assert (rubrics / "data.yaml").read_text() == before
    # The coach's own token still works, until they lock the tab again.
    assert "Valid" in coach.predict("data.yaml", before, api_name="/coach_validate")
    coach.predict(api_name="/coach_lock")
    assert "Locked" in coach.predict("data.yaml", before, api_name="/coach_validate")


def test_parallel_password_guessing_is_serialised_and_locks_the_tab(server: AppServer) -> None:
    """Last in this file: it leaves this server's unlock throttled for everyone on 127.0.0.1."""
    from concurrent.futures import CancelledError, ThreadPoolExecutor

    guessers = [Coach(server.url) for _ in range(10)]
    # The coach who tries the right password afterwards connects now: building a client takes
    # seconds on a loaded machine, long enough for the last backoff slot to open.
    latecomer = Coach(server.url)

    def guess(i: int) -> str:
        c = guessers[i % len(guessers)]
        try:
            return str(c.api.predict(c.token, f"guess-{i}", api_name="/coach_unlock")[1])
        except CancelledError:
            # On a loaded machine the client may give up on a request parked behind the
            # backoff; a guess that never got an answer was not checked either.
            return "Too many (request cancelled by the client)"

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(guess, range(100)))
    elapsed = time.monotonic() - start
    checked = [s for s in statuses if s.startswith("Wrong password")]
    refused = [s for s in statuses if s.startswith(("Too many", "Coach unlock is locked"))]
    assert len(checked) + len(refused) == 100
    # One guess is compared per backoff slot (1 s, then 2, 4, 8 ... s): in the time the 100
    # requests took, only a handful could be checked; the rest were refused unchecked.
    assert len(checked) <= 2 + int(elapsed).bit_length(), (len(checked), elapsed)
    # And right now the tab is locked even for the right password.
    status = latecomer.api.predict("", PASSWORD, api_name="/coach_unlock")[1]
    assert status.startswith(("Too many", "Coach unlock is locked")), status
