"""Framing analysis: neutral and critical readings of articles and cross-outlet comparison."""

from __future__ import annotations

from briefbot.framing.framer import Framer
from briefbot.framing.lexicons import Lexicon, load_lexicon
from briefbot.framing.report import FramingReport

__all__ = ["Framer", "FramingReport", "Lexicon", "load_lexicon"]
