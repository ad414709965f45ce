"""Parsing of shared option values."""

from __future__ import annotations

from datetime import UTC, datetime, time

from briefbot.errors import BriefbotError


def parse_day(value: str | None, option: str, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` (or a full ISO timestamp) as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BriefbotError(f"{option}: {value!r} is not a date like 2024-05-01") from None
    if len(value) <= 10:
        parsed = datetime.combine(parsed.date(), time.max if end else time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
