"""Hand-made passages for the answer tests."""

from __future__ import annotations

from briefbot.citations import Citation, CitedSentence, Passage

ENGINEERS = (
    "North Korea is sending about 5,000 engineers to Russia, officials said. "
    "The engineers will repair roads and bridges in the Kursk region."
)
DEMINERS = (
    "Another 1,000 soldiers will clear mines, according to Yonhap. "
    "The deminers arrive in September."
)
WEATHER = "Heavy rain flooded the streets of Lisbon on Monday. Trams stopped running."


def passage(n: int, text: str, article: str | None = None, offset: int = 100) -> Passage:
    article_id = article or f"article{n}"
    return Passage(
        n=n,
        article_id=article_id,
        chunk_id=f"{article_id}:0000",
        text=text,
        start=offset,
        end=offset + len(text),
        title=f"Title {n}",
        outlet=f"Outlet {n}",
    )


def cite(p: Passage, n: int | None = None) -> Citation:
    """A citation of the whole passage, as an LLM answer would give it."""
    return Citation(
        n=p.n if n is None else n,
        article_id=p.article_id,
        chunk_id=p.chunk_id,
        start=p.start,
        end=p.end,
        quote=p.text,
    )


def sentence(text: str, *cited: Passage) -> CitedSentence:
    return CitedSentence(text=text, citations=[cite(p) for p in cited])
