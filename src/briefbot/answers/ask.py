"""The ``ask`` flow: rewrite a follow-up, retrieve, refuse or answer, fall back.

The engines (``extractive.py``, ``llm.py``) turn numbered passages into cited sentences and
end in ``grounding.finalize``, which checks every sentence against the span it cites.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from briefbot.answers.extractive import ExtractiveEngine, value_spans
from briefbot.answers.followups import ExtractiveRewriter
from briefbot.answers.types import Answer, AnswerEngine, TextCallback, passages_from_hits
from briefbot.backends.embedders import Embedder
from briefbot.citations import Citation, Passage
from briefbot.errors import BriefbotError, LLMError
from briefbot.grounding.injection import ArticleSource
from briefbot.models import Hit, SearchFilters
from briefbot.settings import Settings

if TYPE_CHECKING:
    from briefbot.answers.followups import History, QueryRewriter

log = logging.getLogger(__name__)


class RetrievalResult(Protocol):
    """What ``ask`` needs from a retrieval (``retrieval.Retrieval`` has it)."""

    @property
    def hits(self) -> list[Hit]: ...

    @property
    def best_score(self) -> float: ...

    @property
    def relevant(self) -> bool: ...


RetrieveFn = Callable[[str, int, SearchFilters | None], RetrievalResult]


def not_relevant_reason(query: str, filters: SearchFilters | None, empty: bool) -> str:
    """Why nothing was answered, in a reporter's words: what was searched and what to try."""
    where = (filters or SearchFilters()).describe()
    if empty:
        return (
            f"The library has no articles to search in {where}. Add some on the Library page "
            "(or with `briefbot ingest`), then ask again."
        )
    tries = ["other words for it"]
    if filters and (filters.since or filters.until):
        tries.append("a wider date range")
    if filters and filters.outlets:
        tries.append("all outlets")
    tries.append("adding articles that cover it")
    return (
        f"The library has nothing on “{query}” in {where}. Try "
        + ", ".join(tries[:-1])
        + f" or {tries[-1]}."
    )


def not_relevant_details(retrieval: RetrievalResult, floor: float) -> str:
    """The figures behind the refusal (shown on demand)."""
    if not retrieval.hits:
        return "No passage matched the search."
    return (
        f"The {len(retrieval.hits)} closest passages were not close enough to answer from "
        f"(best similarity {retrieval.best_score:.2f}; answers need {floor:.2f})."
    )


def highlight_answer(answer: Answer, question: str) -> Answer:
    """The answer with the asked-for values (``value_spans``) marked in its first sentence's
    quotes: the sentence that answers a "how many / who / when / where" comes first."""
    if not answer.sentences:
        return answer
    lead = answer.sentences[0]
    citations = []
    for citation in lead.citations:
        spans = value_spans(citation.quote, question)
        shifted = [(citation.start + a, citation.start + b) for a, b in spans]
        citations.append(citation.model_copy(update={"highlights": shifted}))
    sentences = [lead.model_copy(update={"citations": citations}), *answer.sentences[1:]]
    return answer.model_copy(update={"sentences": sentences})


class Answerer:
    """The ``ask`` flow: rewrite a follow-up, retrieve, refuse or answer, fall back, number.

    The LLM engine runs when ``settings.llm_configured``; when it fails (``LLMError``) the
    extractive engine answers instead and ``Answer.notices`` says so. No engine runs when
    retrieval finds nothing relevant.
    """

    def __init__(
        self,
        retrieve: RetrieveFn,
        embedder: Embedder,
        settings: Settings,
        *,
        engine: AnswerEngine | None = None,
        rewriter: QueryRewriter | None = None,
        articles: ArticleSource | None = None,
    ) -> None:
        self.retrieve = retrieve
        self.embedder = embedder
        self.settings = settings
        self.extractive: AnswerEngine = ExtractiveEngine(embedder, settings, articles)
        self._engine = engine
        self._rewriter = rewriter
        self.articles = articles

    @property
    def engine(self) -> AnswerEngine:
        """The engine asked first: the one given, else the LLM if configured, else extractive."""
        if self._engine is None:
            if self.settings.llm_configured:
                from briefbot.answers.llm import create_llm_engine

                self._engine = create_llm_engine(self.settings, self.embedder, self.articles)
            else:
                self._engine = self.extractive
        return self._engine

    @property
    def rewriter(self) -> QueryRewriter:
        """Follow-up rewriting: the one given, else the LLM's if configured, else offline."""
        if self._rewriter is None:
            if self.settings.llm_configured:
                from briefbot.answers.llm import create_llm_rewriter

                self._rewriter = create_llm_rewriter(self.settings)
            else:
                self._rewriter = ExtractiveRewriter()
        return self._rewriter

    @property
    def _engine_name(self) -> str:
        if self._engine is not None:
            return self._engine.name
        return "llm" if self.settings.llm_configured else self.extractive.name

    def ask(
        self,
        question: str,
        history: History | None = None,
        filters: SearchFilters | None = None,
        on_text: TextCallback | None = None,
    ) -> Answer:
        question = question.strip()
        if not question:
            raise BriefbotError("the question is empty: ask something, e.g. 'Who said what?'")
        query, notices = self._standalone(question, history)
        standalone = query if query != question else None
        top_k = self.settings.top_k
        retrieval = self.retrieve(query, max(top_k, self.settings.disagreement_k), filters)
        if not retrieval.relevant:
            return Answer(
                question=question,
                standalone_query=standalone,
                mode=self._engine_name,
                refused=True,
                refusal_reason=not_relevant_reason(query, filters, not retrieval.hits),
                refusal_details=not_relevant_details(retrieval, self.settings.relevance_floor),
                notices=notices,
            )
        ranked = passages_from_hits(retrieval.hits)
        passages, wider = ranked[:top_k], ranked[top_k:]
        said = [c for turn in history or () for s in turn.sentences for c in s.citations]
        answer = highlight_answer(self._answer(query, passages, wider, on_text, said), query)
        return answer.model_copy(
            update={
                "question": question,
                "standalone_query": standalone,
                "notices": [*notices, *answer.notices],
            }
        )

    def _standalone(self, question: str, history: History | None) -> tuple[str, list[str]]:
        """The follow-up made standalone; the offline rewrite (with a notice) if the LLM fails."""
        if not history:
            return question, []
        try:
            return self.rewriter.rewrite(question, history), []
        except LLMError as exc:
            if isinstance(self.rewriter, ExtractiveRewriter):
                raise
            log.warning("LLM query rewrite failed, rewriting offline: %s", exc)
            notice = (
                f"The language model could not rewrite the follow-up ({exc}); "
                "it was rewritten offline instead."
            )
            return ExtractiveRewriter().rewrite(question, history), [notice]

    def _answer(
        self,
        query: str,
        passages: Sequence[Passage],
        wider: Sequence[Passage],
        on_text: TextCallback | None,
        said: Sequence[Citation],
    ) -> Answer:
        try:
            engine = self.engine
            return engine.answer(query, passages, on_text=on_text, said=said, wider=wider)
        except LLMError as exc:
            if self._engine is self.extractive:
                raise
            log.warning("LLM answer failed, falling back to extractive: %s", exc)
            fallback = self.extractive.answer(
                query, passages, on_text=on_text, said=said, wider=wider
            )
            notice = (
                f"The language model failed ({exc}); this answer quotes the sources "
                "verbatim instead (extractive fallback)."
            )
            return fallback.model_copy(update={"notices": [notice, *fallback.notices]})
