"""briefbot: cited answers, briefs and framing comparisons over the news you ingest."""

from briefbot.errors import BriefbotError
from briefbot.facade import Briefbot
from briefbot.models import Article, Chunk, Hit, IngestReport, SearchFilters
from briefbot.settings import Settings

__all__ = [
    "Article",
    "Briefbot",
    "BriefbotError",
    "Chunk",
    "Hit",
    "IngestReport",
    "SearchFilters",
    "Settings",
]
