"""Invariants: whatever the text, every finding cites whole words, and names what it cites."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.framing.analyzer import Citer, analyze_text, critical_reading
from briefbot.framing.lexicons import cached_lexicon
from briefbot.framing.neutral import neutral_reading
from briefbot.models import Article

WORDS = [
    "The", "regime", "slammed", "so-called", "reportedly", "said", "according", "to",
    "Reuters", "North", "Korea’s", "“thugs”", "could", "May", "officials", "claims", "\n\n",
    "mercenaries,", "special", "military", "operation.", "Lavrov", "told", "it", "was",
    "significant.", "\"Yes,\"", "state", "media", "by", "Pyongyang", "?", "citing", "data", "from",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=0, max_size=60))
def test_every_citation_is_a_slice(words: list[str]) -> None:
    text = " ".join(words) or "."
    article = Article(id="a", key="k", title="t", text=text)
    cite = Citer(article, 1, [])
    analysis = analyze_text(text, cached_lexicon())
    critical, _ = critical_reading(analysis, cite)
    neutral = neutral_reading(analysis, cite)
    citations = [c.citation for c in critical.claims]
    citations += [s.citation for c in critical.claims for s in c.speakers]
    citations += [t.citation for t in critical.loaded_terms + critical.hedges]
    citations += [e.citation for e in critical.evaluative]
    citations += [p.citation for p in critical.unquoted_parties]
    citations += [c for s in neutral.sentences for c in s.citations]
    for citation in citations:
        assert citation.quote.strip()
        assert on_word_boundaries(text, citation.start, citation.end), citation
    for finding in critical.loaded_terms + critical.hedges:
        # the finding names the very words it cites
        assert finding.text == finding.citation.quote
    for party in critical.unquoted_parties:
        assert party.name.split()[0].casefold() in party.citation.quote.casefold()


def on_word_boundaries(text: str, start: int, end: int) -> bool:
    """No word is cut: the span neither starts nor ends inside a word."""
    inside_start = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    inside_end = end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    return not inside_start and not inside_end
