"""Framing analysis: neutral and critical readings of articles and cross-outlet comparison.

The names below load on first use: importing ``briefbot.framing.report`` (the report's types,
which the CLI and the package's top level need) must not import the analysers with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefbot.framing.framer import Framer
    from briefbot.framing.lexicons import Lexicon, load_lexicon
    from briefbot.framing.report import FramingReport

__all__ = ["Framer", "FramingReport", "Lexicon", "load_lexicon"]

_HOMES = {
    "Framer": "briefbot.framing.framer",
    "FramingReport": "briefbot.framing.report",
    "Lexicon": "briefbot.framing.lexicons",
    "load_lexicon": "briefbot.framing.lexicons",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
