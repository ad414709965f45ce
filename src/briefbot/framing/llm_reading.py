"""LLM mode: the model writes the neutral rewrite and the critical reading of an article.

Prompts are ``prompts/framing_neutral.md`` and ``prompts/framing_critical.md``; the model cites
numbered passages (the article's chunks) and every sentence it writes goes through the verifier
like an answer's, so an unsupported sentence reaches the reader flagged; unless
``BRIEFBOT_LLM_JUDGE=false``, one more call has the model judge both readings' supported
sentences against their quotes (``grounding/judge.py``). The offline analyzer's findings stay in
the report beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from briefbot.answers.llm import format_passage, pack_passages, parse_answer
from briefbot.backends.embedders import Embedder
from briefbot.backends.llm import ChatModel
from briefbot.citations import Citation, CitedSentence, Passage, Usage
from briefbot.grounding.judge import BatchJudge, create_batch_judge, judge_sentences
from briefbot.grounding.scope import article_passages
from briefbot.grounding.verify import verify_sentences
from briefbot.models import Article, Chunk
from briefbot.prompts import Prompt, load_prompt, prompts_dir
from briefbot.settings import Settings
from briefbot.text.tokens import count_llm_tokens

PLACEHOLDERS = frozenset({"outlet", "passages"})
PROMPTS = ("framing_neutral", "framing_critical")


@dataclass
class LLMReading:
    neutral: list[CitedSentence]
    critical: list[CitedSentence]
    usage: Usage
    left_out: int


def load_framing_prompts(settings: Settings) -> dict[str, Prompt]:
    """Both framing prompts, their placeholders checked (a ``PromptError`` names the file)."""
    directory = prompts_dir(settings)
    return {name: load_prompt(name, PLACEHOLDERS, directory) for name in PROMPTS}


def _placeholder(passage: Passage) -> Citation:
    """A citation of the whole passage; the verifier narrows it to the supporting span."""
    return passage.citation(0, len(passage.text))


class LLMReader:
    """Both readings of an article; ``judge`` defaults to the settings' (the same model)."""

    def __init__(
        self,
        chat: ChatModel,
        embedder: Embedder,
        settings: Settings,
        *,
        judge: BatchJudge | None = None,
    ) -> None:
        self.chat = chat
        self.embedder = embedder
        self.settings = settings
        self.prompts = load_framing_prompts(settings)
        self.judge = judge if judge is not None else create_batch_judge(chat, settings)

    def _budget(self, prompt: Prompt, outlet: str) -> int:
        overhead = count_llm_tokens(prompt.render(outlet=outlet, passages=""))
        return self.settings.llm_context_tokens - self.settings.llm_max_answer_tokens - overhead

    def _write(
        self, name: str, outlet: str, passages: Sequence[Passage]
    ) -> tuple[list[CitedSentence], Usage]:
        prompt = self.prompts[name]
        text = "\n\n".join(format_passage(p) for p in passages)
        result = self.chat.complete(
            prompt.messages(outlet=outlet, passages=text),
            max_tokens=self.settings.llm_max_answer_tokens,
        )
        by_n = {p.n: p for p in passages}
        sentences = [
            CitedSentence(
                text=parsed.text,
                citations=[_placeholder(by_n[n]) for n in parsed.numbers if n in by_n],
            )
            for parsed in parse_answer(result.text)
            if not parsed.text.rstrip().endswith("?")
        ]
        return verify_sentences(sentences, passages, self.embedder, self.settings), result.usage

    def read(self, article: Article, chunks: Sequence[Chunk]) -> LLMReading:
        outlet = ", ".join(article.outlets) or "an unknown outlet"
        passages = article_passages([article], lambda _: chunks)
        packed, left_out = pack_passages(passages, self._budget(self.prompts[PROMPTS[0]], outlet))
        neutral, first = self._write(PROMPTS[0], outlet, packed)
        critical, second = self._write(PROMPTS[1], outlet, packed)
        usage = first.plus(second)
        if self.judge is not None:
            # One call judges both readings; the order of the sentences splits them again.
            judged = judge_sentences([*neutral, *critical], self.judge)
            neutral, critical = judged.sentences[: len(neutral)], judged.sentences[len(neutral) :]
            usage = usage.plus(judged.usage)
        return LLMReading(neutral, critical, usage, len(left_out))
