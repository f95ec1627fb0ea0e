"""The page's own CSS and script: contrast, the report's layout (screen, print, phone) and the
answer box's keys. Served inline by ``launch`` (nothing is fetched from outside the server).
"""

from __future__ import annotations

PAGE_CSS = """
/* Contrast (WCAG AA 4.5:1 on the Soft theme's light backgrounds). */
:root, .gradio-container {
  --block-label-text-color: #374151;
  --block-info-text-color: #374151;
  --body-text-color-subdued: #374151;
  --block-title-text-color: #1f2937;
  --button-primary-background-fill: #4338ca;
  --button-primary-background-fill-hover: #3730a3;
  --button-primary-text-color: #ffffff;
  --button-cancel-background-fill: #b91c1c;
  --button-cancel-background-fill-hover: #991b1b;
  --button-cancel-text-color: #ffffff;
}
button[role="tab"].selected { color: #3730a3 !important; }
footer, footer a, footer button, footer div { color: #374151 !important; opacity: 1 !important; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
/* Next and End are kept apart, so End is never hit by mistake. */
#stage-controls .control-gap { flex-grow: 3; min-width: 24px; }
#confirm-box, #history-confirm { border: 2px solid #b91c1c; padding: 8px; border-radius: 8px; }
.tracker tr.skipped td, .tracker tr.moved-on td { color: #7c2d12; }
.tracker tr.not-reached td { color: #4b5563; }
/* The report: verdict and chart first, the sections below fold. */
#report-area { max-width: 1200px; }
.report-chart img { max-width: 100%; height: auto; }
.report-section { border-top: 1px solid var(--border-color-primary); padding: 6px 0; }
.report-section > summary { font-weight: 600; font-size: 1.1em; cursor: pointer; }
#report table th, #report-verdict table th { white-space: nowrap; }
/* History: column headers never break inside a word. */
#history-table th, #history-table th * {
  word-break: keep-all; overflow-wrap: normal; hyphens: none;
}
#history-report-area { width: 100%; }
@media (max-width: 640px) {
  .report-row { flex-direction: column; }
  .citation-panel { order: 2; }
  .report-chart img { width: 100%; }
  #report-verdict, #history-verdict { overflow-x: auto; }
  #report-verdict table, #history-verdict table { font-size: 0.85em; }
  /* The text bars repeat the chart: dropped on a phone so the table reads across. */
  #report-verdict th:nth-child(3), #report-verdict td:nth-child(3),
  #history-verdict th:nth-child(3), #history-verdict td:nth-child(3) { display: none; }
  #report-verdict td, #history-verdict td { word-break: normal; overflow-wrap: normal;
    hyphens: auto; }
  #stage-controls { flex-wrap: nowrap; }
}
@media print {
  body * { visibility: hidden; }
  #report-area, #report-area *, #history-report-area, #history-report-area * {
    visibility: visible;
  }
  #report-area, #history-report-area { position: absolute; left: 0; top: 0; width: 100%; }
  .citation-panel, #report-actions, #print-btn, #history-print-btn { display: none !important; }
}
"""

# Enter sends, Shift+Enter is a new line (chat apps' convention; Gradio's multi-line box does
# the reverse). Capture phase at the document, so Gradio's own handler never sees these keys.
# Before printing, every report section is unfolded.
PAGE_HEAD = """
<script>
(() => {
  const inBox = (e) => e.key === "Enter" && !e.isComposing && e.target && e.target.closest
    && e.target.closest("#answer-box");
  // Gradio submits on keypress: keep it from seeing Enter at all (the default action, the
  // new line, still happens for Shift+Enter).
  document.addEventListener("keypress", (e) => {
    if (!inBox(e)) return;
    e.stopPropagation();
    if (!e.shiftKey) e.preventDefault();
  }, true);
  document.addEventListener("keydown", (e) => {
    if (!inBox(e)) return;
    e.stopPropagation();
    if (e.shiftKey) return;  // the browser inserts the new line
    e.preventDefault();
    const send = document.querySelector("#send-btn");
    if (send && !send.disabled) send.click();
  }, true);
  // Gradio's empty-value placeholder (e.g. an audio player with nothing to play) is a plain
  // div with an aria-label, which ARIA forbids without a role: give it one.
  // Scrolling regions (the chat, a wide score table on a phone) are reachable by keyboard.
  const fixUp = () => {
    document.querySelectorAll(".empty[aria-label]:not([role])")
      .forEach((el) => el.setAttribute("role", "img"));
    document.querySelectorAll(".bubble-wrap:not([tabindex]), #report-verdict:not([tabindex]),"
      + " #history-verdict:not([tabindex])")
      .forEach((el) => el.setAttribute("tabindex", "0"));
  };
  new MutationObserver(fixUp).observe(document.documentElement,
    { childList: true, subtree: true });
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("details.report-section").forEach((d) => { d.open = true; });
  });
})();
</script>
"""
