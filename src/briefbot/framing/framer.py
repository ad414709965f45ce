"""``Framer``: builds a ``FramingReport`` for articles chosen by id or found near a query.

One article gives both readings of it (and a notice that there is nothing to compare);
two or more add the cross-outlet comparison. Corroboration searches the whole store for
similar sentences in other articles. The neutral reading also carries the article's brief,
cleaned; LLM mode adds the model's verified readings, cross-checked against the lexicon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from briefbot.backends.embedders import Embedder
from briefbot.backends.store import ChromaStore
from briefbot.citations import CitedSentence, SourceRef, Usage
from briefbot.errors import BriefbotError, ConfigError, EmptyScopeError, LLMError
from briefbot.framing.analyzer import Citer, SentenceAnalysis, analyze_text, critical_reading
from briefbot.framing.compare import OutletInput, compare
from briefbot.framing.lexicons import Lexicon, cached_lexicon
from briefbot.framing.loaded import find_loaded
from briefbot.framing.neutral import clean_brief, neutral_reading
from briefbot.framing.report import (
    ArticleFraming,
    Claim,
    Corroboration,
    FramingReport,
    NeutralReading,
)
from briefbot.grounding.support import SupportChecker
from briefbot.models import Article, Chunk
from briefbot.settings import Settings
from briefbot.text.counts import plural
from briefbot.text.sentences import split_sentences

if TYPE_CHECKING:
    from briefbot.briefs.types import Brief
    from briefbot.retrieval import Retrieval

RetrieveFn = Callable[..., "Retrieval"]
"""``Briefbot.retrieve``: (query, k=...) -> a judged retrieval."""

BriefFn = Callable[..., "Brief"]
"""``Briefbot.brief``: (article_ids=[...], mode="extractive") -> a verified brief."""

CORROBORATION_CHUNKS = 3
FramingMode = Literal["offline", "llm"]


def prepare(settings: Settings) -> None:
    """Load now what the first comparison of a process would: the lexicon, the gazetteer,
    VADER and Altair (a second or more on a busy machine; the app's server does this at
    start)."""
    from briefbot.framing.chart import framing_chart
    from briefbot.framing.tone import analyzer
    from briefbot.text.places import gazetteer

    cached_lexicon(settings.framing_lexicon_dir)
    gazetteer()
    analyzer()
    framing_chart([])


class _Sources:
    """Numbers articles 1..n in the order the report first cites them."""

    def __init__(self, store: ChromaStore) -> None:
        self.store = store
        self.refs: list[SourceRef] = []
        self.articles: dict[str, Article] = {}
        self.chunks: dict[str, list[Chunk]] = {}

    def add(self, article: Article) -> Citer:
        if article.id not in self.articles:
            self.articles[article.id] = article
            self.chunks[article.id] = self.store.chunks_of(article.id)
            self.refs.append(
                SourceRef(
                    n=len(self.refs) + 1,
                    article_id=article.id,
                    title=article.title,
                    outlet=outlet_name(article),
                    published=article.published,
                    url=article.url,
                )
            )
        n = next(r.n for r in self.refs if r.article_id == article.id)
        return Citer(self.articles[article.id], n, self.chunks[article.id])

    def citer(self, article_id: str) -> Citer:
        return self.add(self.articles.get(article_id) or self.store.article(article_id))


def outlet_name(article: Article) -> str:
    return ", ".join(article.outlets) or "unknown outlet"


def _labels(articles: Sequence[Article]) -> list[str]:
    names = [outlet_name(a) for a in articles]
    return [
        f"{name} ({a.id[:6]})" if names.count(name) > 1 else name
        for name, a in zip(names, articles, strict=True)
    ]


class Framer:
    """Neutral and critical readings of articles, compared across outlets."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        settings: Settings,
        retrieve: RetrieveFn,
        brief: BriefFn,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.retrieve = retrieve
        self.brief = brief
        self.checker = SupportChecker(embedder, settings.support_threshold)
        self.lexicon = lexicon or cached_lexicon(self.settings.framing_lexicon_dir)

    def resolve(
        self, article_ids: Sequence[str] | None, query: str | None
    ) -> tuple[list[Article], list[str]]:
        """The articles to read, and notices about how they were chosen."""
        if article_ids and query:
            raise ConfigError("give article ids or a query to compare, not both")
        if article_ids:
            unique = list(dict.fromkeys(article_ids))
            return [self.store.article(i) for i in unique], []
        if not query or not query.strip():
            raise EmptyScopeError("nothing to compare: give one or more article ids or a query")
        retrieval = self.retrieve(query, k=self.settings.framing_max_articles * 4)
        floor = self.settings.relevance_floor
        ids: list[str] = []
        for hit in retrieval.hits if retrieval.relevant else []:
            near = hit.similarity is not None and hit.similarity >= floor
            if near and hit.chunk.article_id not in ids:
                ids.append(hit.chunk.article_id)
        ids = ids[: self.settings.framing_max_articles]
        if not ids:
            raise EmptyScopeError(
                f"no article is near the query {query!r} (best similarity below "
                f"BRIEFBOT_RELEVANCE_FLOOR={self.settings.relevance_floor})"
            )
        notices = [f"{len(ids)} article{'' if len(ids) == 1 else 's'} found near the query"]
        return [self.store.article(i) for i in ids], notices

    def report(
        self,
        article_ids: Sequence[str] | None = None,
        query: str | None = None,
        mode: FramingMode = "offline",
    ) -> FramingReport:
        if mode == "llm" and not self.settings.llm_configured:
            raise ConfigError(
                "LLM framing needs a model: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local "
                "OpenAI-compatible server"
            )
        articles, notices = self.resolve(article_ids, query)
        # One model call for every sentence of the articles: their briefs, their claims and
        # the alignment embed them again (answered from the vectors kept, by the checker and
        # by ``Briefbot``'s ``MemoEmbedder``), instead of one call per article and step.
        self.checker.embed(s.text for a in articles for s in split_sentences(a.text))
        sources = _Sources(self.store)
        citers = [sources.add(a) for a in articles]
        labels = _labels(articles)
        report = FramingReport(query=query, article_ids=[a.id for a in articles], notices=notices)
        inputs: list[OutletInput] = []
        for article, cite, label in zip(articles, citers, labels, strict=True):
            analysis = analyze_text(article.text, self.lexicon)
            critical, tone = critical_reading(analysis, cite)
            neutral = neutral_reading(analysis, cite)
            self._summary(article, analysis, neutral, sources, report)
            report.articles.append(
                ArticleFraming(
                    article_id=article.id,
                    title=article.title,
                    outlet=label,
                    source_n=cite.n,
                    neutral=neutral,
                    critical=critical,
                    tone=tone,
                )
            )
            inputs.append(OutletInput(article.id, label, analysis, cite, critical, tone))
        self._corroborate(report, sources)
        if mode == "llm":
            self._llm(report, articles, sources)
        if len(articles) == 1:
            how = "found near the query" if query else "given"
            report.notices.append(
                f"only one article {how}: both readings shown, no cross-outlet comparison "
                "(compare needs two or more articles on the same story)"
            )
        else:
            report.comparison = compare(inputs, self.checker, self.settings.framing_similarity)
        report.sources = sources.refs
        return report

    def _summary(
        self,
        article: Article,
        analysis: Sequence[SentenceAnalysis],
        neutral: NeutralReading,
        sources: _Sources,
        report: FramingReport,
    ) -> None:
        """The article's extractive brief, cleaned into the neutral summary."""
        try:
            brief = self.brief(article_ids=[article.id], mode="extractive")
        except BriefbotError as exc:
            report.notices.append(f"no brief of article {article.id} for the summary: {exc}")
            return
        neutral.summary, dropped = clean_brief(
            brief.sentences,
            analysis,
            article.id,
            self.lexicon,
            lambda article_id: sources.citer(article_id).n,
        )
        if dropped:
            neutral.notes.append(
                f"{plural(len(dropped), 'brief sentence')} in the writer's evaluative voice "
                "left out of the summary"
            )

    def _llm(self, report: FramingReport, articles: Sequence[Article], sources: _Sources) -> None:
        """Add the model's verified readings beside the analyzer's (see ``llm_reading.py``)."""
        from briefbot.backends.llm import create_chat_model
        from briefbot.framing.llm_reading import LLMReader

        reader = LLMReader(create_chat_model(self.settings), self.embedder, self.settings)
        report.mode = "llm"
        usage = Usage(model=self.settings.llm_model)
        for framing, article in zip(report.articles, articles, strict=True):
            try:
                reading = reader.read(article, sources.chunks[article.id])
            except LLMError as exc:
                report.notices.append(
                    f"the language model failed on article {article.id} ({exc}); "
                    "only the offline analysis is shown for it"
                )
                continue
            n = sources.citer(article.id).n
            framing.neutral.llm = [self._cross_checked(_renumbered(s, n)) for s in reading.neutral]
            framing.critical.llm = [_renumbered(s, n) for s in reading.critical]
            usage = usage.plus(reading.usage)
            unsupported = sum(not s.supported for s in framing.neutral.llm + framing.critical.llm)
            if unsupported:
                report.notices.append(
                    f"{unsupported} LLM sentence(s) on article {article.id} are not supported "
                    "by the span they cite; they are flagged"
                )
            if reading.left_out:
                report.notices.append(
                    f"{reading.left_out} passage(s) of article {article.id} did not fit the "
                    "model's context and were not read by it"
                )
        report.usage = usage

    def _cross_checked(self, sentence: CitedSentence) -> CitedSentence:
        """Note loaded terms a 'neutral' model sentence still uses outside quotes."""
        loaded = [
            sentence.text[m.match.start : m.match.end]
            for m in find_loaded(sentence.text, self.lexicon)
            if not m.in_quote
        ]
        if not loaded:
            return sentence
        note = f"the analyzer flags loaded wording still used: {', '.join(loaded)}"
        return sentence.model_copy(
            update={"note": f"{sentence.note}; {note}" if sentence.note else note}
        )

    def _corroborate(self, report: FramingReport, sources: _Sources) -> None:
        """Attach to each claim the sentences of other stored articles that support it.

        The nearest chunks of other articles (by embedding) are searched sentence by sentence;
        a sentence corroborates the claim only when the support checker finds they state the
        same fact (``SupportChecker.same_fact``); its score is the weaker direction's.
        """
        if self.store.count_articles() < 2:
            report.notices.append(
                "corroboration not checked: the store holds no other article to compare with"
            )
            return
        claims = [c for framing in report.articles for c in framing.critical.claims]
        # one embedding call for every claim, then one for every candidate sentence: the
        # checker keeps the vectors, so same_fact below embeds nothing more
        self.checker.embed(c.citation.quote for c in claims)
        found: list[tuple[Claim, list[tuple[Chunk, float]]]] = []
        for framing in report.articles:
            where = {"article_id": {"$ne": framing.article_id}}
            for claim in framing.critical.claims:
                vector = self.checker.vector(claim.citation.quote)
                found.append((claim, self.store.query_chunks(vector, CORROBORATION_CHUNKS, where)))
        self.checker.embed(
            chunk.text[s.start : s.end]
            for _, hits in found
            for chunk, _ in hits
            for s in split_sentences(chunk.text)
        )
        for claim, hits in found:
            claim.corroboration_checked = True
            self._supporting_sentences(claim, hits, sources)
            claim.corroborations.sort(key=lambda c: -c.support)

    def _supporting_sentences(
        self, claim: Claim, hits: list[tuple[Chunk, float]], sources: _Sources
    ) -> None:
        best: dict[str, tuple[float, int, int]] = {}
        for chunk, _score in hits:
            spans = [
                (chunk.start + s.start, chunk.start + s.end) for s in split_sentences(chunk.text)
            ]
            texts = [chunk.text[s - chunk.start : e - chunk.start] for s, e in spans]
            self.checker.embed([claim.citation.quote, *texts])
            for (start, end), text in zip(spans, texts, strict=True):
                same, forward, backward = self.checker.same_fact(claim.citation.quote, text)
                score = min(forward.score, backward.score)
                current = best.get(chunk.article_id)
                if same and (current is None or score > current[0]):
                    best[chunk.article_id] = (score, start, end)
        for article_id, (score, start, end) in best.items():
            cite = sources.citer(article_id)
            claim.corroborations.append(
                Corroboration(
                    support=round(score, 4),
                    outlet=outlet_name(cite.article),
                    citation=cite(start, end),
                )
            )


def _renumbered(sentence: CitedSentence, n: int) -> CitedSentence:
    citations = [c.model_copy(update={"n": n}) for c in sentence.citations]
    return sentence.model_copy(update={"citations": citations})
