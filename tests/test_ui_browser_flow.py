"""The candidate's whole interview in headless Chromium, by keyboard: Enter sends, Shift+Enter
is a new line, nothing typed is lost while a reply arrives, Next/End ask first, the report reads
verdict → chart → sections with a citation opened beside them, History reopens it at full
width, and axe-core (npm registry, fetched by ``make axe``) finds no serious accessibility
violation. Screenshots of the report (desktop and phone) are kept in
``INTERVIEWER_UI_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interviewer.stages import STAGES
from tests.test_ui_support import STAGE_ANSWERS, AppServer, shared_index

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
WAIT = 180_000  # ms: generous, the machine may be shared; tests wait for states, not times

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (`make test` tries to install it)",
    ),
]

AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    index = shared_index(tmp_path_factory)
    app = AppServer(tmp_path_factory.mktemp("ui-flow-data"), index).start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _shot(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("INTERVIEWER_UI_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


class Candidate:
    def __init__(self, page: Any) -> None:
        self.page = page

    def box_value(self) -> str:
        return str(self.page.locator("#answer-box textarea").input_value())

    def type_and_enter(self, text: str) -> None:
        box = self.page.locator("#answer-box textarea")
        box.focus()
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("Enter")

    def wait_reply(self, sent: str) -> None:
        """The sent message is in the chat and the interviewer's reply has replaced the '…'."""
        self.page.wait_for_function(
            """(sent) => {
              const users = [...document.querySelectorAll('#chat [data-testid="user"]')];
              const bots = [...document.querySelectorAll('#chat [data-testid="bot"]')];
              return users.some(u => u.innerText.includes(sent.slice(0, 40)))
                && bots.length > 0 && !bots.some(b => b.innerText.trim() === '…');
            }""",
            arg=sent,
            timeout=WAIT,
        )

    def stage(self) -> str:
        row = self.page.locator("#tracker tr.now td:nth-child(2)")
        return str(row.first.inner_text()).strip() if row.count() else ""

    def press(self, selector: str) -> None:
        """A button by keyboard: focus it (as Tab would) and press Enter."""
        self.page.locator(selector).focus()
        self.page.keyboard.press("Enter")

    def wait_stage_change(self, before: str) -> None:
        self.page.wait_for_function(
            "t => !document.querySelector('#tracker tr.now')?.innerText.includes(t)",
            arg=before,
            timeout=WAIT,
        )


def _serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def test_keyboard_interview_confirmations_report_and_history(
    server: AppServer, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    c = Candidate(page)
    try:
        page.goto(server.url, wait_until="load")
        page.locator("#start-btn").wait_for(timeout=WAIT)
        # Before any interview: nothing to send, advance or end.
        for sel in ("#send-btn", "#next-btn", "#end-btn"):
            assert page.locator(sel).is_disabled(), sel
        # The answer box has a real name and a visible hint.
        box = page.get_by_role("textbox", name="Your answer")
        assert box.count() == 1
        assert "Shift+Enter" in page.locator("#answer-box").inner_text()
        c.press("#start-btn")
        page.locator('#chat [data-testid="bot"]').first.wait_for(timeout=WAIT)
        page.wait_for_function("() => !document.querySelector('#send-btn').disabled")
        # Focus order: from the chat, Tab reaches the answer box without walking through
        # per-message buttons.
        page.locator("#chat").focus()
        for _ in range(6):
            page.keyboard.press("Tab")
            if page.evaluate("() => !!document.activeElement.closest('#answer-box')"):
                break
        assert page.evaluate("() => !!document.activeElement.closest('#answer-box')")
        # Shift+Enter is a new line, not a send.
        box.focus()
        page.keyboard.insert_text("line one")
        page.keyboard.press("Shift+Enter")
        page.keyboard.insert_text("line two")
        assert c.box_value() == "line one\nline two"
        assert page.locator('#chat [data-testid="user"]').count() == 0
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        # Next on an unanswered stage asks first; "No" keeps the candidate where they are.
        first = c.stage()
        c.press("#next-btn")
        page.locator("#confirm-box").wait_for(state="visible", timeout=WAIT)
        assert "not answered" in page.locator("#confirm-box").inner_text()
        c.press("#confirm-no")
        page.locator("#confirm-box").wait_for(state="hidden", timeout=WAIT)
        assert c.stage() == first
        # Enter sends; what is typed while the reply is on its way stays in the box.
        sent = STAGE_ANSWERS["requirements"]
        c.type_and_enter(sent)
        page.keyboard.insert_text("draft typed while waiting")
        c.wait_reply(sent)
        assert c.box_value() == "draft typed while waiting"
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        titles = {s.title: s.id for s in STAGES}
        for _ in range(20):
            stage = titles.get(c.stage())
            if stage is None:
                break
            before = c.stage()
            answer = STAGE_ANSWERS[stage]
            c.type_and_enter(answer)
            c.wait_reply(answer)
            if c.stage() == before:  # still here: Next (asks first if nothing was answered)
                c.press("#next-btn")
                page.wait_for_function(
                    """(t) => !document.querySelector('#tracker tr.now')?.innerText.includes(t)
                      || !!document.querySelector('#confirm-box')?.offsetParent""",
                    arg=before,
                    timeout=WAIT,
                )
                if page.locator("#confirm-box").is_visible():
                    c.press("#confirm-yes")
                c.wait_stage_change(before)
        assert c.stage() == "Wrap-up"
        tracker = page.locator("#tracker").inner_text()
        assert "answered" in tracker and "✓ done" not in tracker and "score" not in tracker.lower()
        # End asks first; the report follows the confirmation.
        c.press("#end-btn")
        page.locator("#confirm-box").wait_for(state="visible", timeout=WAIT)
        assert "End the interview" in page.locator("#confirm-box").inner_text()
        c.press("#confirm-yes")
        page.locator("#report-chart img").wait_for(timeout=WAIT)
        for sel in ("#send-btn", "#next-btn", "#end-btn"):
            assert page.locator(sel).is_disabled(), sel
        # Verdict, then chart, then the sections; the chart's alt text carries the scores.
        tops = [
            page.locator(s).bounding_box()["y"]
            for s in ("#report-verdict", "#report-chart", "#report")
        ]
        assert tops == sorted(tops), tops
        alt = page.locator("#report-chart img").get_attribute("alt") or ""
        assert alt.startswith("Score per stage, 0 to 4:") and "Data " in alt
        assert page.locator("#report details.report-section").count() >= 2
        # A citation opens its passage beside the report.
        page.locator("#citation-choice input").click()
        page.get_by_role("option", name=re.compile(r"^\[1\] ")).first.click()
        page.wait_for_function(
            "() => document.querySelector('#passage').innerText.startsWith('[1]')",
            timeout=WAIT,
        )
        assert len(page.locator("#passage").inner_text()) > 200
        if AXE.exists():
            page.add_script_tag(path=str(AXE))
            serious = _serious(page.evaluate(AXE_RUN))
            assert serious == [], serious
        desktop = _shot(page, tmp_path / "ui_report_desktop.png")
        print(f"\nscreenshot (desktop): {desktop}")
        # History reopens the report at the page's full width.
        page.get_by_role("tab", name="History").click()
        page.locator("#history-picker input").wait_for(timeout=WAIT)
        page.wait_for_function(
            "() => document.querySelector('#history-picker input').value.length > 0",
            timeout=WAIT,
        )
        page.locator("#history-open").click()
        page.locator("#history-chart img").wait_for(timeout=WAIT)
        width = page.locator("#history-report-area").bounding_box()["width"]
        assert width > 0.8 * 1400 - 100, width
        headers = page.locator("#history-table th").all_inner_texts()
        assert all("\n" not in h.strip() for h in headers), headers
    finally:
        context.close()
    if not AXE.exists():
        pytest.skip(f"axe-core not found at {AXE} (`make axe` fetches it from npm)")


def test_report_reads_top_to_bottom_on_a_phone(
    server: AppServer, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    c = Candidate(page)
    try:
        page.goto(server.url, wait_until="load")
        page.locator("#start-btn").wait_for(timeout=WAIT)
        c.press("#start-btn")
        page.locator('#chat [data-testid="bot"]').first.wait_for(timeout=WAIT)
        page.wait_for_function("() => !document.querySelector('#send-btn').disabled")
        c.type_and_enter(STAGE_ANSWERS["requirements"])
        c.wait_reply(STAGE_ANSWERS["requirements"])
        # On a phone Next and End sit side by side, End last, and End still asks first.
        nxt, end = page.locator("#next-btn").bounding_box(), page.locator("#end-btn").bounding_box()
        assert end["x"] > nxt["x"] and abs(end["y"] - nxt["y"]) < 10
        c.press("#end-btn")
        page.locator("#confirm-box").wait_for(state="visible", timeout=WAIT)
        c.press("#confirm-yes")
        page.locator("#report-chart img").wait_for(timeout=WAIT)
        boxes = [page.locator(s).bounding_box() for s in ("#report-verdict", "#report-chart")]
        assert boxes[0]["y"] < boxes[1]["y"]
        assert all(b["width"] <= 390 for b in boxes)
        scroll_w = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_w <= 400, scroll_w
        if AXE.exists():
            page.add_script_tag(path=str(AXE))
            serious = _serious(page.evaluate(AXE_RUN))
            assert serious == [], serious
        phone = _shot(page, tmp_path / "ui_report_phone.png")
        print(f"\nscreenshot (phone): {phone}")
    finally:
        context.close()
