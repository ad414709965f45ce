"""Answers: the ask flow, its two engines (extractive, LLM) and follow-up rewriting."""

from briefbot.answers.types import Answer

__all__ = ["Answer"]
