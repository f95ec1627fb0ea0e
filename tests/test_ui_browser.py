"""Headless Chromium (Playwright from PyPI, Debian's /usr/bin/chromium) against the real app.

Set ``INTERVIEWER_UI_SCREENSHOTS=DIR`` to also keep the screenshots there (the finished-interview
screenshot in the project's report is made this way).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interviewer.stages import STAGES
from tests.test_ui_support import STAGE_ANSWERS, AppServer, shared_index

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(apt-get install -y chromium; `make test` tries this)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    index = shared_index(tmp_path_factory)
    app = AppServer(tmp_path_factory.mktemp("ui-browser-data"), index).start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


class Page:
    """A page that records (and blocks) every request leaving the loopback interface."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.page.route("**/*", self._route)
        self.url = url

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self) -> None:
        self.page.goto(self.url, wait_until="load")
        self.page.locator("#start-btn").wait_for(timeout=60_000)

    def count(self, who: str) -> int:
        return int(self.page.locator(f'#chat [data-testid="{who}"]').count())

    def start(self) -> None:
        self.page.locator("#start-btn").click()
        self.page.locator('#chat [data-testid="bot"]').first.wait_for(timeout=120_000)

    def send(self, text: str) -> str:
        users, bots = self.count("user"), self.count("bot")
        self.page.locator("#answer-box textarea").fill(text)
        self.page.locator("#send-btn").click()
        self.page.wait_for_function(
            "([u, b]) => document.querySelectorAll('#chat [data-testid=\"user\"]').length > u"
            " && document.querySelectorAll('#chat [data-testid=\"bot\"]').length > b",
            arg=[users, bots],
            timeout=120_000,
        )
        # The reply replaces the "…" shown while it is on its way.
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('#chat [data-testid=\"bot\"]')]"
            ".some(b => b.innerText.trim() === '…')",
            timeout=120_000,
        )
        return str(self.page.locator('#chat [data-testid="bot"]').last.inner_text())

    def confirm_if_asked(self) -> None:
        """Next on an unanswered stage and End ask first (ui: confirm box)."""
        try:
            self.page.locator("#confirm-box").wait_for(state="visible", timeout=5_000)
        except Exception:
            return
        self.page.locator("#confirm-yes").click()

    def current_stage(self) -> str:
        row = self.page.locator("#tracker tr.now td:nth-child(2)")
        return str(row.first.inner_text()).strip() if row.count() else ""

    def shot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path), full_page=True)
        keep = os.environ.get("INTERVIEWER_UI_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    def close(self) -> None:
        self.context.close()


def test_two_turns_in_the_browser(server: AppServer, browser: Any, tmp_path: Path) -> None:
    page = Page(browser, server.url)
    try:
        page.open()
        page.start()
        reply = page.send("How many daily active users do we have, and what is the goal?")
        assert reply.strip() and "⚠️" not in reply
        page.send(STAGE_ANSWERS["framing"])
        assert page.count("user") == 2
        tracker = page.page.locator("#tracker").inner_text()
        assert "Clarify requirements" in tracker and "score" not in tracker.lower()
        shot = page.shot(tmp_path / "ui_two_turns.png")
        assert shot.stat().st_size > 10_000
        print(f"\nscreenshot: {shot}")
        # The browser keeps its identity and current interview across a reload.
        before = page.count("user")
        page.page.reload(wait_until="load")
        page.page.wait_for_function(
            "n => document.querySelectorAll('#chat [data-testid=\"user\"]').length >= n",
            arg=before,
            timeout=60_000,
        )
        # An empty message gets a note, not a traceback.
        page.page.locator("#answer-box textarea").fill("   ")
        page.page.locator("#send-btn").click()
        page.page.get_by_text("That message was empty").first.wait_for(timeout=30_000)
        # A refused message goes back into the box, to be edited.
        page.page.wait_for_function(
            "() => document.querySelector('#answer-box textarea').value === '   '", timeout=30_000
        )
        # Candidates never see the coach tab: it shows only on a page opened with ?coach.
        assert page.page.get_by_role("tab", name="History").count() == 1
        assert page.page.get_by_role("tab", name="Coach").count() == 0
        assert page.external == [], f"the page fetched external resources: {page.external}"
    finally:
        page.close()


def test_coach_tab_only_with_the_url_parameter(server: AppServer, browser: Any) -> None:
    page = Page(browser, server.url + "?coach=1")
    try:
        page.open()
        # Without a coach password the coach tab only explains how to enable it.
        page.page.get_by_role("tab", name="Coach").click()
        page.page.locator("#coach-disabled").get_by_text("INTERVIEWER_COACH_PASSWORD").wait_for(
            timeout=30_000
        )
        assert page.page.locator("#coach-password").count() == 0
        assert page.external == [], f"the page fetched external resources: {page.external}"
    finally:
        page.close()


def test_finished_interview_shows_report_and_chart(
    server: AppServer, browser: Any, tmp_path: Path
) -> None:
    page = Page(browser, server.url)
    try:
        page.open()
        page.page.locator("#problem-choice input").fill("Video")
        page.page.get_by_role("option", name="Video recommendations").first.click()
        page.start()
        titles = {s.title: s.id for s in STAGES}
        for _ in range(16):  # answer the stage the tracker shows; move on if still there
            stage = titles.get(page.current_stage())
            if stage is None:
                break
            page.send(STAGE_ANSWERS[stage])
            before = page.current_stage()
            if titles.get(before) == stage:
                page.page.locator("#next-btn").click()
                page.confirm_if_asked()
                # wait for a change from the stage read *before* the click: reading it after
                # could already see the next stage and then wait for a change that never comes
                page.page.wait_for_function(
                    "t => !document.querySelector('#tracker tr.now')?.innerText.includes(t)",
                    arg=before,
                    timeout=120_000,
                )
        assert page.current_stage() == "Wrap-up"
        page.page.locator("#end-btn").click()
        page.confirm_if_asked()
        page.page.locator("#report-chart img, #report-chart canvas").first.wait_for(timeout=120_000)
        verdict = page.page.locator("#report-verdict").inner_text()
        report = page.page.locator("#report").inner_text()
        assert "report" in verdict.lower() and "Verdict" in verdict and "Strengths" in report
        page.page.wait_for_timeout(1000)
        shot = page.shot(tmp_path / "ui_finished_interview.png")
        print(f"\nscreenshot: {shot}")
        assert page.external == [], f"the page fetched external resources: {page.external}"
    finally:
        page.close()
