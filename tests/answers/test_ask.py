"""The ``ask`` flow: relevance floor, engine choice, LLM fallback, source numbering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from briefbot import Briefbot
from briefbot.answers.ask import Answerer
from briefbot.answers.types import Answer, TextCallback
from briefbot.citations import Citation, CitedSentence, Passage
from briefbot.errors import BriefbotError, LLMError
from briefbot.grounding.finalize import finalize
from briefbot.models import Chunk, Hit, SearchFilters
from briefbot.retrieval import Retrieval
from briefbot.settings import Settings
from tests.answers.helpers import DEMINERS, ENGINEERS, WEATHER
from tests.fakes import FakeEmbedder

QUESTION = "How many engineers is North Korea sending to Russia?"


def hit(article: str, text: str, score: float = 0.8) -> Hit:
    chunk = Chunk(
        id=f"{article}:0000",
        article_id=article,
        ordinal=0,
        text=text,
        start=0,
        end=len(text),
        embed_tokens=10,
        llm_tokens=10,
    )
    return Hit(chunk=chunk, score=score, title=f"About {article}", source=f"{article} news")


class ScriptedRetrieve:
    def __init__(self, hits: list[Hit], relevant: bool = True) -> None:
        self.hits = hits
        self.relevant = relevant
        self.calls: list[tuple[str, int, SearchFilters | None]] = []

    def __call__(self, query: str, k: int, filters: SearchFilters | None) -> Retrieval:
        self.calls.append((query, k, filters))
        return Retrieval(
            query=query,
            hits=self.hits,
            best_score=0.8 if self.relevant else 0.1,
            lexical_match=self.relevant,
            relevant=self.relevant,
        )


class ScriptedEngine:
    """Cites the given passage numbers, or raises the given error."""

    name = "llm"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[list[int]] = []
        self.wider: list[list[int]] = []

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        on_text: TextCallback | None = None,
        said: Sequence[Citation] = (),
        wider: Sequence[Passage] = (),
    ) -> Answer:
        self.calls.append([p.n for p in passages])
        self.wider.append([p.n for p in wider])
        if self.error:
            raise self.error
        cited = passages[1]  # the second passage only
        draft = Answer(
            question=question,
            mode=self.name,
            sentences=[
                CitedSentence(
                    text=cited.text, citations=[cited.citation(0, len(cited.text))], supported=True
                )
            ],
            sources=[p.source_ref() for p in passages],
        )
        return finalize(draft, passages, Settings())  # engines hand back finalized answers


HITS = [hit("weather", WEATHER), hit("engineers", ENGINEERS), hit("deminers", DEMINERS)]


def answerer(settings: Settings, retrieve: ScriptedRetrieve, **kw: object) -> Answerer:
    return Answerer(retrieve, FakeEmbedder(), settings, **kw)  # type: ignore[arg-type]


def test_not_relevant_is_a_refusal_without_calling_an_engine(settings: Settings) -> None:
    engine = ScriptedEngine()
    retrieve = ScriptedRetrieve(HITS, relevant=False)
    filters = SearchFilters(outlets=["Yonhap"])
    answer = answerer(settings, retrieve, engine=engine).ask(QUESTION, filters=filters)
    assert answer.refused
    assert engine.calls == []
    assert answer.refusal_reason is not None
    assert QUESTION in answer.refusal_reason and "Yonhap" in answer.refusal_reason
    assert answer.refusal_details is not None and "0.10" in answer.refusal_details
    assert retrieve.calls == [(QUESTION, settings.disagreement_k, filters)]


def test_the_engine_answers_from_top_k_and_gets_the_rest_to_look_for_disagreement(
    settings: Settings,
) -> None:
    engine = ScriptedEngine()
    narrow = settings.model_copy(update={"top_k": 2, "disagreement_k": 3})
    retrieve = ScriptedRetrieve(HITS)
    answerer(narrow, retrieve, engine=engine).ask(QUESTION)
    assert retrieve.calls == [(QUESTION, 3, None)]
    assert engine.calls == [[1, 2]] and engine.wider == [[3]]
    alone = settings.model_copy(update={"top_k": 3, "disagreement_k": 1})
    answerer(alone, ScriptedRetrieve(HITS), engine=engine).ask(QUESTION)
    assert engine.calls[-1] == [1, 2, 3] and engine.wider[-1] == []


def test_sources_are_only_the_cited_ones_renumbered(settings: Settings) -> None:
    answer = answerer(settings, ScriptedRetrieve(HITS), engine=ScriptedEngine()).ask(QUESTION)
    assert [(s.n, s.article_id) for s in answer.sources] == [(1, "engineers")]
    assert [c.n for c in answer.sentences[0].citations] == [1]
    assert answer.question == QUESTION and answer.standalone_query is None


def test_llm_error_falls_back_to_extractive_with_a_notice(settings: Settings) -> None:
    engine = ScriptedEngine(LLMError("server said 500", status=500))
    answer = answerer(settings, ScriptedRetrieve(HITS), engine=engine).ask(QUESTION)
    assert engine.calls == [[1, 2, 3]]
    assert answer.mode == "extractive"
    assert not answer.refused and "5,000" in answer.sentences[0].text
    assert any("server said 500" in n and "extractive" in n for n in answer.notices)


def test_other_errors_are_not_swallowed(settings: Settings) -> None:
    engine = ScriptedEngine(BriefbotError("broken prompt"))
    with pytest.raises(BriefbotError, match="broken prompt"):
        answerer(settings, ScriptedRetrieve(HITS), engine=engine).ask(QUESTION)


def test_llm_engine_is_used_when_configured(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefbot.answers.llm

    engine = ScriptedEngine()
    monkeypatch.setattr(briefbot.answers.llm, "create_llm_engine", lambda s, e, a=None: engine)
    configured = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9"})
    answer = answerer(configured, ScriptedRetrieve(HITS)).ask(QUESTION)
    assert engine.calls and answer.mode == "llm"


def test_extractive_by_default(settings: Settings) -> None:
    answer = answerer(settings, ScriptedRetrieve(HITS)).ask(QUESTION)
    assert answer.mode == "extractive"
    assert answer.sources[0].article_id == "engineers"


def test_empty_question_is_an_error(settings: Settings) -> None:
    with pytest.raises(BriefbotError, match="empty"):
        answerer(settings, ScriptedRetrieve(HITS)).ask("   ")


def test_answer_json_shape(settings: Settings) -> None:
    data = answerer(settings, ScriptedRetrieve(HITS)).ask(QUESTION).to_dict()
    assert {"question", "mode", "refused", "sentences", "sources", "usage"} <= set(data)
    sentence = data["sentences"][0]
    assert {"text", "citations", "supported", "support_score"} <= set(sentence)
    assert {"n", "article_id", "chunk_id", "start", "end", "quote"} <= set(sentence["citations"][0])
    assert {"n", "title", "outlet", "published", "url"} <= set(data["sources"][0])


def test_briefbot_ask_on_the_fake_seed_store(seed_bot: Briefbot) -> None:
    streamed: list[str] = []
    answer = seed_bot.ask(QUESTION, on_text=streamed.append)
    assert not answer.refused
    assert streamed


@pytest.mark.real_model
def test_seed_question_answers_with_the_cited_figure(real_seed_bot: Briefbot) -> None:
    answer = real_seed_bot.ask(QUESTION)
    assert not answer.refused, answer.refusal_reason
    assert answer.mode == "extractive"
    assert "5,000" in answer.sentences[0].text
    article = real_seed_bot.article(answer.sources[0].article_id)
    for sentence in answer.sentences:
        assert sentence.supported
        for citation in sentence.citations:
            assert citation.quote == article.text[citation.start : citation.end]
    assert "5,000" in answer.sentences[0].citations[0].quote
    assert [s.n for s in answer.sources] == [1]
    # the figure asked for is marked in the lead sentence's quote, and nothing else is
    (highlight,) = answer.sentences[0].citations[0].highlights
    assert article.text[highlight[0] : highlight[1]] == "5,000"
    assert not any(c.highlights for s in answer.sentences[1:] for c in s.citations)


@pytest.mark.real_model
@pytest.mark.parametrize(
    "question", ["What is the capital of Peru?", "Who won the 2022 football World Cup?"]
)
def test_unanswerable_question_is_refused(real_seed_bot: Briefbot, question: str) -> None:
    answer = real_seed_bot.ask(question)
    assert answer.refused
    assert answer.sentences == []
    assert answer.refusal_reason is not None and question in answer.refusal_reason


def test_empty_store_is_a_refusal(bot: Briefbot) -> None:
    answer = bot.ask(QUESTION)
    assert answer.refused
    assert answer.refusal_reason is not None
    assert answer.refusal_reason.startswith("The library has no articles to search")
    assert "Library page" in answer.refusal_reason


def test_a_refusal_speaks_newsroom_and_keeps_the_figures_aside() -> None:
    from briefbot.answers.ask import not_relevant_details, not_relevant_reason
    from briefbot.models import SearchFilters

    filters = SearchFilters(outlets=["Yonhap"], since=datetime(2024, 11, 1, tzinfo=UTC))
    reason = not_relevant_reason("Peru's capital", filters, empty=False)
    assert reason.startswith("The library has nothing on “Peru's capital” in outlets Yonhap;")
    assert "a wider date range" in reason and "all outlets" in reason
    assert "adding articles that cover it" in reason
    assert not any(ch.isdigit() for ch in reason.replace("2024-11-01", ""))  # no internal figures

    class Retrieval:
        def __init__(self) -> None:
            self.hits = [object(), object()]
            self.best_score = 0.07
            self.relevant = False

    details = not_relevant_details(Retrieval(), 0.30)  # type: ignore[arg-type]
    assert "0.07" in details and "0.30" in details
