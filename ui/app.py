"""The Gradio app: interview, history and coach tabs over one InterviewService per provider.

``build_app(settings)`` returns the ``gr.Blocks``; :func:`launch` serves it with the theme and
CSS (Gradio 6 takes those in ``launch()``, not ``Blocks()``). Fonts are system fonts, so the page
fetches nothing from outside the server; analytics are off (``configure_offline``).
"""

from __future__ import annotations

import os
from typing import Any

from interviewer.runtime import configure_offline

configure_offline()  # before gradio is imported: GRADIO_ANALYTICS_ENABLED=False
# Gradio's queue summarises its recent events (a pandas DataFrame of up to 10,000 of them) after
# every event, for the monitoring dashboard, which is off here (enable_monitoring=False): ~10 ms
# of CPU per event under the GIL, ~30 ms once 10,000 are kept. Summarised never instead.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))

import gradio as gr  # noqa: E402

from ui.candidate_view import build_candidate_tab, wire_candidate_tab  # noqa: E402
from ui.coach import build_coach_tab, show_coach_tab  # noqa: E402
from ui.context import AppContext  # noqa: E402
from ui.history import build_history_tab, wire_history_tab  # noqa: E402
from ui.identity import configured_secret  # noqa: E402
from ui.page_assets import PAGE_CSS, PAGE_HEAD  # noqa: E402

TITLE = "ML system design mock interview"
SYSTEM_FONTS = [
    "ui-sans-serif",
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
CSS = """
.tracker table { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.tracker th, .tracker td { padding: 3px 6px; border-bottom: 1px solid var(--border-color-primary); }
.tracker tr.now { font-weight: 600; background: var(--color-accent-soft); }
.tracker tr.done td { opacity: 0.75; }
.tracker td.time { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.tracker td.time.over { color: #c62828; }
.tracker-head { margin-bottom: 6px; }
"""


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def build_app(
    settings: Any = None, *, service_factory: Any = None, warm_up: bool = False
) -> gr.Blocks:
    """The whole app. ``service_factory(provider, model)`` replaces InterviewService (tests);
    ``warm_up`` loads the grader's model and indexes in the background (``launch`` does)."""
    if settings is None:
        from interviewer.settings import get_settings

        settings = get_settings()
    ctx = AppContext(settings=settings, service_factory=service_factory)
    if warm_up:
        ctx.warm_up_in_background()
    secret = configured_secret(settings)
    # delete_cache: hourly, drop served files (transcript downloads, charts) older than a day.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        # Stable storage keys and secret: a browser keeps its identity across server restarts.
        user_state = gr.BrowserState("", storage_key="interviewer-user", secret=secret)
        session_state = gr.BrowserState("", storage_key="interviewer-session", secret=secret)
        gr.Markdown(
            f"## {TITLE}\nPractise the framework stage by stage: requirements, framing, "
            "data, features, model, evaluation, deployment, monitoring."
        )
        with gr.Tabs(selected="candidate") as tabs:
            with gr.Tab("Interview", id="candidate"):
                cand = build_candidate_tab(ctx, user_state, session_state)
            with gr.Tab("History", id="history") as history_tab:
                hist = build_history_tab()
            # Hidden from candidates; a page opened with ?coach shows it (ui.coach.show_coach_tab).
            with gr.Tab("Coach", id="coach", visible=False) as coach_tab:
                build_coach_tab(ctx, user_state)
        handlers = wire_candidate_tab(ctx, cand)
        wire_history_tab(ctx, hist, cand, tabs, history_tab, handlers)
        # On page load: give a new browser its token, or bring back its current interview.
        demo.load(
            handlers["restore_page"],
            [user_state, session_state],
            cand.outputs,
            api_visibility="private",
        )
        # Not queued: it only reads the page's URL, so it never waits behind interview turns.
        demo.load(show_coach_tab, None, coach_tab, api_visibility="private", queue=False)
    demo.queue(default_concurrency_limit=None)  # bounded by launch(max_threads=...)
    return demo


def launch(
    settings: Any = None, *, block: bool = True, quiet: bool = True, service_factory: Any = None
) -> gr.Blocks:
    """Serve on ``settings.host:settings.port``; returns the running app when ``block=False``."""
    if settings is None:
        from interviewer.settings import get_settings

        settings = get_settings()
    from starlette.middleware import Middleware

    from ui.safe_text import SecurityHeaders

    demo = build_app(settings, service_factory=service_factory, warm_up=True)
    demo.launch(
        server_name=settings.host,
        server_port=int(settings.port),
        prevent_thread_lock=True,
        quiet=quiet,
        show_error=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        max_threads=40,
        # Bounded uploads, and headers that keep the page out of other sites' frames.
        max_file_size=f"{int(getattr(settings, 'upload_max_mb', 25) * 1024)}kb",
        app_kwargs={"middleware": [Middleware(SecurityHeaders)]},
        footer_links=["api", "settings"],
        theme=theme(),
        css=CSS + PAGE_CSS,
        head=PAGE_HEAD,
    )
    if block:
        demo.block_thread()
    return demo
