"""Per-run settings and prompt-version pins without global mutation races.

InterviewService takes the LLM, the grading LLM, the grader and the search function as
constructor arguments, and the harness passes those per run. It does not (yet) take the
follow-up budget, citations per gap or pinned prompt versions: it reads them from
``get_settings()`` and ``render()`` (latest version). Until it grows constructor arguments for
them, the harness installs two thin shims, once, that consult a *thread-local* override first
and otherwise behave exactly like the originals. Each eval worker thread runs one interview at
a time inside :func:`applied`, so concurrent interviews of different variants never see each
other's values, and code outside an eval run is unaffected.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_local = threading.local()
_install_lock = threading.Lock()
_installed = False


def service_accepts(name: str) -> bool:
    """Whether InterviewService's constructor takes ``name`` (prefer it to the shims)."""
    from interviewer.session.service import InterviewService

    return name in inspect.signature(InterviewService.__init__).parameters


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        import interviewer.prompts as prompts_mod
        import interviewer.session.service as service_mod

        real_settings = service_mod.get_settings

        def settings_shim() -> Any:
            override = getattr(_local, "settings", None)
            return override if override is not None else real_settings()

        real_render = prompts_mod.render

        def render_shim(prompt_id: str, version: int | None = None, **variables: Any) -> Any:
            pins: dict[str, int] = getattr(_local, "prompts", None) or {}
            return real_render(prompt_id, version or pins.get(prompt_id), **variables)

        service_mod.get_settings = settings_shim  # type: ignore[assignment]
        prompts_mod.render = render_shim
        _installed = True


@contextmanager
def applied(settings_update: dict[str, Any], prompts: dict[str, int]) -> Iterator[None]:
    """Within the block, on this thread only: settings with ``settings_update`` applied, and
    prompt renders pinned to ``prompts`` versions."""
    from interviewer.settings import get_settings

    install()
    prev = (getattr(_local, "settings", None), getattr(_local, "prompts", None))
    _local.settings = get_settings().model_copy(update=settings_update)
    _local.prompts = dict(prompts)
    try:
        yield
    finally:
        _local.settings, _local.prompts = prev
