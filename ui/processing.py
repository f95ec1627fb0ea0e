"""Events whose components' preprocess and postprocess run in the handler's own thread.

Gradio runs each input's ``preprocess`` and each plain output's ``postprocess`` in a worker
thread of its own (``anyio.to_thread``), one after another, from the event loop: a turn of the
candidate tab made seven such trips (three inputs, the handler, three outputs). Each costs
little CPU, but under a burst each waits for the GIL behind the handlers that are running: in
a 20-client burst a turn spent 100-200 ms (p50) in preprocess and 80-160 ms in postprocess
beside 200-450 ms in its handler (Gradio's own traces, ``GRADIO_PROFILING=1``). An event
registered with ``**one_trip(fn, inputs, outputs)`` does the same processing, with the
components' own methods, inside the handler's one trip.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from gradio.components import Component
from gradio.data_classes import GradioModel, GradioRootModel


def _is_update(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update"


def _postprocess(block: Component, value: Any) -> Any:
    """What Gradio sends for ``value`` (``Blocks.postprocess_data`` with postprocess on)."""
    if block.stateful:
        return value  # kept on the server as it is, never sent
    if _is_update(value):
        if "value" not in value:
            return value
        return {**value, "value": _postprocess(block, value["value"])}
    out = block.postprocess(value)
    return out.model_dump() if isinstance(out, GradioModel | GradioRootModel) else out


def one_trip(
    fn: Callable[..., Any], inputs: Sequence[Component], outputs: Sequence[Component]
) -> dict[str, Any]:
    """Event keyword arguments (``fn``, ``inputs``, ``outputs``, ``preprocess``,
    ``postprocess``) that run ``fn`` with its processing in one worker thread. Inputs with a
    data model (files, audio) are not supported: Gradio validates those before preprocess."""
    for block in inputs:
        if getattr(block, "data_model", None) is not None:
            raise TypeError(f"{type(block).__name__} input: its data model needs Gradio's path")

    @functools.wraps(fn)
    def run(*payloads: Any) -> Any:
        args = [
            p if block.stateful else block.preprocess(p)
            for block, p in zip(inputs, payloads, strict=True)
        ]
        result = fn(*args)
        if len(outputs) == 1:
            return _postprocess(outputs[0], result)
        return tuple(_postprocess(b, v) for b, v in zip(outputs, result, strict=True))

    return {
        "fn": run,
        "inputs": list(inputs),
        "outputs": list(outputs),
        "preprocess": False,
        "postprocess": False,
    }
