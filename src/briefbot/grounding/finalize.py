"""The last step of every cited text: verify, (with an LLM) judge, apply the policy, number
the sources, flag injections, in that order, once.

Answers (both engines), briefs and the framing's LLM readings all end here, so a sentence
reaches a reporter only through the same checks. The language-model judge (``judge.py``)
runs only when one is given: the LLM engines pass theirs, the extractive ones none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from briefbot.backends.embedders import Embedder
from briefbot.citations import CitedText, Passage, SourceRef
from briefbot.grounding.injection import ArticleSource, flag_injections_from
from briefbot.grounding.judge import BatchJudge, judge_sentences
from briefbot.grounding.verify import verify_sentences
from briefbot.settings import Settings

CitedT = TypeVar("CitedT", bound=CitedText)

NO_SUPPORT_REASON = "None of the answer's sentences is supported by the retrieved sources."


def ground(
    draft: CitedT,
    passages: Sequence[Passage],
    embedder: Embedder,
    settings: Settings,
    *,
    articles: ArticleSource | None = None,
    judge: BatchJudge | None = None,
) -> CitedT:
    """``draft``'s sentences verified against ``passages``, then ``finalize``d."""
    verified = verify_sentences(draft.sentences, passages, embedder, settings)
    return finalize(
        draft.model_copy(update={"sentences": verified}),
        passages,
        settings,
        articles,
        judge=judge,
    )


def finalize(
    verified: CitedT,
    passages: Sequence[Passage],
    settings: Settings,
    articles: ArticleSource | None = None,
    *,
    judge: BatchJudge | None = None,
) -> CitedT:
    """(With ``judge``) judged, then policy, then sources numbered 1..n, then (with
    ``articles``) injection flags."""
    if judge is not None:
        verified = judged(verified, judge)
    numbered = renumber_sources(apply_policy(verified, settings), passages)
    return flag_injections_from(numbered, articles) if articles is not None else numbered


def judged(text: CitedT, judge: BatchJudge) -> CitedT:
    """``text`` after one call of ``judge`` on its supported sentences, its usage added.

    A sentence the judge rejects, or could not check, is unsupported from then on; a notice
    says when the judge could not check some.
    """
    if text.refused or not any(s.supported for s in text.sentences):
        return text
    result = judge_sentences(text.sentences, judge)
    usage = text.usage.plus(result.usage) if text.usage is not None else result.usage
    notices = list(text.notices)
    if result.unjudged:
        notices.append(
            f"The language-model judge could not check {result.unjudged} sentence(s); "
            "they count as unsupported, never as passed."
        )
    return text.model_copy(
        update={"sentences": result.sentences, "usage": usage, "notices": notices}
    )


def apply_policy(text: CitedT, settings: Settings) -> CitedT:
    """Remove or flag unsupported sentences; nothing supported makes the text a refusal.

    With ``settings.unsupported == "flag"`` unsupported sentences stay, marked by
    ``supported=False`` and their ``note``, and a notice says how many there are.
    """
    if text.refused:
        return text
    supported = [s for s in text.sentences if s.supported]
    if not supported:
        return text.model_copy(
            update={
                "refused": True,
                "refusal_reason": NO_SUPPORT_REASON,
                "sentences": [],
                "sources": [],
            }
        )
    dropped = len(text.sentences) - len(supported)
    if not dropped:
        return text
    notices = list(text.notices)
    if settings.unsupported == "remove":
        notices.append(f"{dropped} sentence(s) the sources do not support were removed.")
        return text.model_copy(update={"sentences": supported, "notices": notices})
    notices.append(f"{dropped} sentence(s) the sources do not support are flagged.")
    return text.model_copy(update={"notices": notices})


def renumber_sources(text: CitedT, passages: Sequence[Passage]) -> CitedT:
    """Keep only the sources the sentences cite, numbered 1..n in order of first citation.

    Passages of the same article become one source; citations are renumbered to match.
    """
    by_article = {p.article_id: p for p in reversed(passages)}
    numbers_: dict[str, int] = {}
    sources: list[SourceRef] = []
    sentences = []
    for sentence in text.sentences:
        citations = []
        for citation in sentence.citations:
            if citation.article_id not in numbers_:
                numbers_[citation.article_id] = len(numbers_) + 1
                passage = by_article.get(citation.article_id)
                if passage is not None:
                    ref = passage.source_ref()
                    sources.append(ref.model_copy(update={"n": numbers_[citation.article_id]}))
            citations.append(citation.model_copy(update={"n": numbers_[citation.article_id]}))
        sentences.append(sentence.model_copy(update={"citations": citations}))
    return text.model_copy(update={"sentences": sentences, "sources": sources})
