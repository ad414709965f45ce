"""The LLM brief: the chat model writes from numbered passages (map-reduce over per-article
notes when they do not fit the budget); every sentence is then grounded and (unless
``BRIEFBOT_LLM_JUDGE=false``) judged by the model in one more call (``grounding/judge.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from briefbot.answers.llm import format_passage, is_question, parse_answer
from briefbot.backends.embedders import Embedder
from briefbot.backends.llm import ChatMessage, ChatModel
from briefbot.briefs.attribution import attributed
from briefbot.briefs.types import Brief, count_words, empty_brief
from briefbot.citations import CitedSentence, Passage, Usage
from briefbot.errors import LLMError
from briefbot.grounding.finalize import ground
from briefbot.grounding.injection import ArticleSource
from briefbot.grounding.judge import BatchJudge, create_batch_judge
from briefbot.grounding.scope import Scope
from briefbot.models import Article
from briefbot.prompts import Prompt, load_prompt, prompts_dir
from briefbot.settings import Settings
from briefbot.text.tokens import count_llm_tokens

BRIEF_PLACEHOLDERS = frozenset({"max_words", "scope", "sources"})


NOTES_PLACEHOLDERS = frozenset({"title", "passages"})


@dataclass
class Note:
    """A line of per-article notes (map step) and the passage numbers it cites."""

    text: str
    passages: list[int]


def scope_label(scope: Scope) -> str:
    if scope.query:
        return f"the news on {scope.query!r} ({len(scope.articles)} articles)"
    if len(scope.articles) == 1:
        return "this article"
    return f"this story, as {len(scope.articles)} articles report it"


def note_block(number: int, note: Note, outlet: str) -> str:
    return f"[{number}] ({outlet or 'unknown outlet'}) {note.text}"


class LLMBriefWriter:
    """A paragraph written by the chat model from numbered passages, then verified.

    When every passage fits the context budget the model writes from them directly. Otherwise
    it first writes notes per article (map), each note citing passage numbers, then one
    paragraph from the notes (reduce); a sentence citing note ``k`` cites note k's passages.
    ``judge`` defaults to the settings' (``create_batch_judge``, the same chat model).
    """

    def __init__(
        self,
        chat: ChatModel,
        embedder: Embedder,
        settings: Settings,
        articles: ArticleSource | None = None,
        *,
        judge: BatchJudge | None = None,
    ) -> None:
        self.chat = chat
        self.embedder = embedder
        self.settings = settings
        self.articles = articles
        self.judge = judge if judge is not None else create_batch_judge(chat, settings)
        directory = prompts_dir(settings)
        self.brief_prompt = load_prompt("brief", BRIEF_PLACEHOLDERS, directory)
        self.notes_prompt = load_prompt("brief_notes", NOTES_PLACEHOLDERS, directory)
        self.usage: Usage | None = None

    def budget(self, prompt: Prompt, **values: str) -> int:
        """Tokens left for source text once the prompt and the reply are accounted for."""
        frame = sum(count_llm_tokens(m["content"]) + 4 for m in prompt.messages(**values))
        return self.settings.llm_context_tokens - self.settings.llm_max_answer_tokens - frame

    def ask(self, messages: list[ChatMessage]) -> str:
        result = self.chat.complete(messages, max_tokens=self.settings.llm_max_answer_tokens)
        self.usage = result.usage.plus(self.usage)
        return result.text

    def write(self, scope: Scope, passages: Sequence[Passage], max_words: int) -> Brief:
        blocks = [format_passage(p) for p in passages]
        label = scope_label(scope)
        room = self.budget(self.brief_prompt, max_words=str(max_words), scope=label, sources="")
        notices: list[str] = []
        if sum(count_llm_tokens(b + "\n\n") for b in blocks) <= room:
            reply = self.ask(
                self.brief_prompt.messages(
                    max_words=str(max_words), scope=label, sources="\n\n".join(blocks)
                )
            )
            sentences = self.cited(reply, {p.n: [p] for p in passages})
        else:
            notes = self.notes(scope, passages)
            by_number = {p.n: p for p in passages}
            outlets = {p.n: p.outlet for p in passages}
            lines: list[str] = []
            sources: dict[int, list[Passage]] = {}
            used = 0
            for note in notes:
                number = len(lines) + 1
                line = note_block(number, note, outlets.get(note.passages[0], ""))
                cost = count_llm_tokens(line + "\n")
                if used + cost > room:
                    notices.append(
                        f"{len(notes) - len(lines)} note(s) did not fit the model's context "
                        "and were left out of the brief."
                    )
                    break
                used += cost
                lines.append(line)
                sources[number] = [by_number[n] for n in note.passages if n in by_number]
            reply = self.ask(
                self.brief_prompt.messages(
                    max_words=str(max_words), scope=label, sources="\n".join(lines)
                )
            )
            sentences = self.cited(reply, sources)
            notices.append(
                f"The articles did not fit the model's context at once: the brief was written "
                f"from {len(notes)} notes taken article by article."
            )
        sentences, cut = within_words(sentences, max_words)
        if cut:
            notices.append(f"{cut} sentence(s) past the {max_words}-word limit were cut.")
        if not sentences:
            raise LLMError(f"the model {self.chat.name} returned no brief")
        brief = empty_brief(scope, "llm", max_words).model_copy(
            update={"sentences": sentences, "notices": notices, "usage": self.usage}
        )
        grounded = ground(
            brief,
            passages,
            self.embedder,
            self.settings,
            articles=self.articles,
            judge=self.judge,
        )
        self.usage = grounded.usage  # the judge's call included, also for a fallback
        return attributed(Brief.model_validate(grounded.model_dump()))

    def notes(self, scope: Scope, passages: Sequence[Passage]) -> list[Note]:
        """Map step: notes for each article, in groups of passages that fit the budget."""
        notes: list[Note] = []
        for article in scope.articles:
            own = [p for p in passages if p.article_id == article.id]
            room = self.budget(self.notes_prompt, title=article.title, passages="")
            group: list[Passage] = []
            used = 0
            for passage in [*own, None]:
                cost = count_llm_tokens(format_passage(passage) + "\n\n") if passage else 0
                if group and (passage is None or used + cost > room):
                    notes += self.note_group(article, group)
                    group, used = [], 0
                if passage is not None:
                    group.append(passage)
                    used += cost
        if not notes:
            raise LLMError(f"the model {self.chat.name} returned no notes for the brief")
        return notes

    def note_group(self, article: Article, group: Sequence[Passage]) -> list[Note]:
        reply = self.ask(
            self.notes_prompt.messages(
                title=article.title, passages="\n\n".join(format_passage(p) for p in group)
            )
        )
        allowed = [p.n for p in group]
        found = []
        for line in reply.splitlines():
            parsed = parse_answer(line)
            text = " ".join(s.text for s in parsed).strip()
            if not text or text.endswith(":"):
                continue
            # A note without a (valid) marker cites the whole group; the verifier narrows it.
            cited = [n for s in parsed for n in s.numbers if n in allowed] or allowed
            found.append(Note(text, list(dict.fromkeys(cited))))
        return found

    def cited(self, reply: str, sources: dict[int, list[Passage]]) -> list[CitedSentence]:
        """Sentences of the reply; ``[n]`` becomes citations of the passages behind source n.

        Citations cover whole passages here; the verifier narrows each to the exact span.
        """
        sentences = []
        for parsed in parse_answer(reply):
            if is_question(parsed.text):
                continue
            cited = [p for n in parsed.numbers for p in sources.get(n, [])]
            unique = list({p.n: p for p in cited}.values())
            sentences.append(
                CitedSentence(
                    text=parsed.text,
                    citations=[p.citation(0, len(p.text)) for p in unique],
                )
            )
        return sentences


def within_words(sentences: list[CitedSentence], max_words: int) -> tuple[list[CitedSentence], int]:
    """The leading sentences that fit ``max_words``, and how many were cut."""
    kept: list[CitedSentence] = []
    used = 0
    for sentence in sentences:
        words = count_words(sentence.text)
        if used + words > max_words:
            break
        kept.append(sentence)
        used += words
    return kept, len(sentences) - len(kept)
