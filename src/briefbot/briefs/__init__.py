"""Briefs: one cited paragraph over articles, a story or a topic."""

from briefbot.briefs.types import Brief, BriefMode

__all__ = ["Brief", "BriefMode"]
