"""Gradio app for the mock interviewer: a thin adapter over ``interviewer/``.

``interviewer/`` never imports this package; ``interviewer serve`` imports it inside ``run``.
"""

from __future__ import annotations

__all__ = ["build_app", "launch"]


def __getattr__(name: str) -> object:
    # Lazy so that importing ``ui`` (e.g. for its pure helpers) does not import gradio.
    if name in __all__:
        from ui import app

        return getattr(app, name)
    raise AttributeError(name)
