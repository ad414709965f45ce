"""briefbot: cited answers, briefs and framing comparisons over the news you ingest."""

from briefbot.answers.types import Answer
from briefbot.briefs.types import Brief
from briefbot.citations import Citation, CitedSentence, SourceRef, Usage
from briefbot.errors import BriefbotError
from briefbot.facade import Briefbot
from briefbot.framing.report import FramingReport
from briefbot.models import Article, Chunk, Hit, IngestReport, SearchFilters
from briefbot.settings import Settings

__all__ = [
    "Answer",
    "Article",
    "Brief",
    "Briefbot",
    "BriefbotError",
    "Chunk",
    "Citation",
    "CitedSentence",
    "FramingReport",
    "Hit",
    "IngestReport",
    "SearchFilters",
    "Settings",
    "SourceRef",
    "Usage",
]
