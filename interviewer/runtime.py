"""Process-wide switches that keep the tool offline and quiet.

Called before any heavy library is imported: no model downloads, no telemetry.
"""

from __future__ import annotations

import os

_DONE = False


def configure_offline() -> None:
    global _DONE
    if _DONE:
        return
    defaults = {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "CHROMA_TELEMETRY": "False",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    _DONE = True
