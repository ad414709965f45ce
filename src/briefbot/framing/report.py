"""``FramingReport``: both readings of each article and the cross-outlet comparison, as data.

Every finding carries a ``Citation`` (``article.text[start:end] == quote``) numbered against
``FramingReport.sources``, the same shape as answers and briefs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from briefbot.citations import Citation, CitedSentence, SourceRef, Usage


class Speaker(BaseModel):
    """Who a claim is attributed to; ``citation`` quotes the speaker's words in the article."""

    name: str
    source_type: str = Field(
        description="state_media, intelligence, official, media or person_or_group."
    )
    pattern: str = Field(description="The cue: according_to, citing, verb, passive...")
    citation: Citation


class TermFinding(BaseModel):
    """A lexicon term found in the text (a hedge, a loaded or euphemistic term)."""

    text: str = Field(description="The words as they appear in the article.")
    term: str = Field(description="The lexicon entry that matched.")
    kind: str = Field(description="hedge, loaded or euphemism.")
    neutral: str = Field(default="", description="Neutral alternative ('' = drop the word).")
    note: str = ""
    in_quote: bool = Field(
        default=False, description="Inside quotation marks: the speaker's word, not the writer's."
    )
    citation: Citation


class Corroboration(BaseModel):
    """A sentence of another article that supports the claim (by the support checker)."""

    support: float = Field(description="The support checker's score for the claim given it.")
    outlet: str
    citation: Citation


class Claim(BaseModel):
    """One sentence of the article, with who makes it and how it is qualified."""

    citation: Citation
    attributed: bool
    speakers: list[Speaker] = Field(default_factory=list)
    hedges: list[TermFinding] = Field(default_factory=list)
    corroborations: list[Corroboration] = Field(default_factory=list)
    corroboration_checked: bool = Field(
        default=False, description="False when no other article could be compared."
    )
    compound: float = Field(description="VADER compound sentiment of the sentence (-1..1).")
    evaluative: bool = Field(description="Written in the outlet's own evaluative voice.")

    @property
    def attribution_label(self) -> str:
        return "; ".join(s.name for s in self.speakers) if self.attributed else "unattributed"


class EvaluativeSentence(BaseModel):
    """A sentence in the writer's own voice that judges: no attribution, evaluative cues."""

    citation: Citation
    cues: list[str] = Field(description="Evaluative or loaded words found outside quotes.")
    compound: float


class Party(BaseModel):
    """A person or organisation the article mentions but never quotes or cites."""

    name: str
    mentions: int
    citation: Citation = Field(description="The first mention.")


class Tone(BaseModel):
    words: int
    sentences: int
    mean_compound: float = Field(description="Mean VADER compound over sentences.")
    evaluative_share: float = Field(description="Share of sentences in the evaluative voice.")
    loaded_terms: int = Field(description="Loaded or euphemistic terms outside quotes.")
    loaded_per_1000_words: float
    attributed_share: float = Field(description="Share of claims with an attribution.")


class CriticalReading(BaseModel):
    claims: list[Claim] = Field(default_factory=list)
    hedges: list[TermFinding] = Field(default_factory=list)
    loaded_terms: list[TermFinding] = Field(default_factory=list)
    evaluative: list[EvaluativeSentence] = Field(default_factory=list)
    unquoted_parties: list[Party] = Field(default_factory=list)
    llm: list[CitedSentence] = Field(
        default_factory=list,
        description="LLM mode: the model's critical reading, every sentence verified.",
    )
    notes: list[str] = Field(default_factory=list)


class DroppedSentence(BaseModel):
    citation: Citation
    reason: str


class NeutralReading(BaseModel):
    """Reported content only: each sentence cites its source span; the writer's voice dropped."""

    summary: list[CitedSentence] = Field(
        default_factory=list,
        description="The article's brief (Briefbot.brief), cleaned the same way: loaded words "
        "replaced, sentences in the writer's evaluative voice left out.",
    )
    sentences: list[CitedSentence] = Field(
        default_factory=list, description="Every reported claim of the article, restated."
    )
    dropped: list[DroppedSentence] = Field(default_factory=list)
    llm: list[CitedSentence] = Field(
        default_factory=list,
        description="LLM mode: the model's neutral rewrite, every sentence verified.",
    )
    notes: list[str] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


class ArticleFraming(BaseModel):
    article_id: str
    title: str
    outlet: str
    source_n: int
    neutral: NeutralReading
    critical: CriticalReading
    tone: Tone


class FactCell(BaseModel):
    article_id: str
    outlet: str
    citation: Citation
    support: float | None = Field(
        default=None,
        description="The support checker's score with which this sentence and another "
        "article's sentence support each other (None when no other article reports it).",
    )


class Fact(BaseModel):
    """One fact: sentences of several articles that support each other."""

    index: int
    coverage: Literal["all", "some", "unclear", "one"] = Field(
        description="Reported by all, some or one article; 'unclear': one article reports it "
        "and another comes close, so 'only in' cannot be said."
    )
    cells: list[FactCell] = Field(description="One quoted sentence per article that reports it.")
    possibly_also: list[str] = Field(
        default_factory=list,
        description="Outlets with a sentence that partly supports the fact (not counted).",
    )


class Omission(BaseModel):
    fact_index: int
    reported_by: list[FactCell]


class OutletProfile(BaseModel):
    article_id: str
    outlet: str
    quoted: list[Speaker] = Field(default_factory=list)
    loaded_terms: list[TermFinding] = Field(default_factory=list)
    tone: Tone
    omits: list[Omission] = Field(
        default_factory=list, description="Facts others report that this article does not."
    )
    only_here: list[int] = Field(
        default_factory=list, description="Indexes of facts only this article reports."
    )


class Comparison(BaseModel):
    facts: list[Fact] = Field(default_factory=list)
    outlets: list[OutletProfile] = Field(default_factory=list)
    similarity_threshold: float
    chart: dict[str, Any] = Field(
        default_factory=dict, description="Altair (Vega-Lite) spec: loaded terms and tone."
    )

    def coverage_counts(self) -> dict[str, int]:
        counts = {"all": 0, "some": 0, "unclear": 0, "one": 0}
        for fact in self.facts:
            counts[fact.coverage] += 1
        return counts


class FramingReport(BaseModel):
    """Neutral and critical readings of each article, and a comparison when there are 2+."""

    mode: str = Field(default="offline", description="'offline' (lexicon analyzer) or 'llm'.")
    query: str | None = None
    article_ids: list[str] = Field(default_factory=list)
    articles: list[ArticleFraming] = Field(default_factory=list)
    comparison: Comparison | None = None
    sources: list[SourceRef] = Field(default_factory=list)
    usage: Usage | None = Field(default=None, description="LLM tokens spent (LLM mode).")
    notices: list[str] = Field(
        default_factory=list, description="Things the reader must know (e.g. one article only)."
    )

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def citations(self) -> list[Citation]:
        """Every citation in the report (for checks that each quote is an article slice)."""
        found: list[Citation] = []

        def walk(value: Any) -> None:
            if isinstance(value, Citation):
                found.append(value)
            elif isinstance(value, BaseModel):
                for name in type(value).model_fields:
                    walk(getattr(value, name))
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(self)
        return found
