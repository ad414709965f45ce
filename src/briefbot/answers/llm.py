"""The LLM answer engine: numbered passages in, cited and verified sentences out.

Passages are packed most relevant first so prompt plus answer fit the model's window
(counted with tiktoken). The model cites passage numbers like ``[1]``; code maps each number
to its passage and builds the citation from the passage text, never from anything the model
copied; a number that points nowhere is dropped. Every sentence then goes through the
verifier (``verify.py``), which narrows each citation to the exact supporting span, and
(on by default, ``BRIEFBOT_LLM_JUDGE``) the language-model judge (``grounding/judge.py``),
which checks all the supported sentences against their quotes in one more call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from briefbot.answers.followups import ExtractiveRewriter, History, needs_context
from briefbot.answers.types import Answer, TextCallback, already_said
from briefbot.backends.embedders import Embedder
from briefbot.backends.llm import ChatMessage, ChatModel, create_chat_model
from briefbot.citations import Citation, CitedSentence, Passage, Usage
from briefbot.errors import LLMError
from briefbot.grounding.finalize import finalize
from briefbot.grounding.injection import ArticleSource
from briefbot.grounding.judge import BatchJudge, create_batch_judge
from briefbot.grounding.verify import verify_sentences
from briefbot.prompts import CANNOT_ANSWER_PHRASE, Prompt, load_prompts, prompts_dir
from briefbot.settings import Settings
from briefbot.text.sentences import split_sentences
from briefbot.text.tokens import count_llm_tokens, truncate_to_llm_tokens

log = logging.getLogger(__name__)

MESSAGE_OVERHEAD_TOKENS = 32
"""Tokens a chat template adds around one message (role tags, special tokens), kept spare."""

MODEL_SAID_NO_ANSWER = "The sources retrieved do not contain the answer (the model said so)."
MODEL_GAVE_NO_ANSWER = "The model's reply held no statement to check (it only asked questions)."

_MARKER = re.compile(
    r"\[\s*(?:(?:source|passage)s?\s*)?(\d+(?:\s*(?:,|;|and|&)\s*(?:(?:source|passage)s?\s*)?\d+)*)\s*\]",
    re.IGNORECASE,
)
_LEADING_MARKERS = re.compile(rf"^(?:\s*{_MARKER.pattern})+", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_ANSWER_LABEL = re.compile(r"^\s*answer\s*:\s*", re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_FENCE = re.compile(r"</?\s*data\s*>", re.IGNORECASE)


def _comparable(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.casefold()).strip()


@dataclass
class ParsedSentence:
    """An answer sentence with its citation markers removed."""

    text: str
    numbers: list[int] = field(default_factory=list)


def parse_answer(text: str) -> list[ParsedSentence]:
    """Split a model answer into sentences and the ``[n]`` numbers each one cites.

    Markers written after a sentence's full stop ("... engineers. [1] They ...") belong to
    the sentence before them.
    """
    parsed: list[ParsedSentence] = []
    for span in split_sentences(_ANSWER_LABEL.sub("", text)):
        piece = span.text
        leading = _LEADING_MARKERS.match(piece)
        if leading and parsed:
            parsed[-1].numbers += _numbers(leading.group(0))
            piece = piece[leading.end() :]
        numbers = _numbers(piece)
        clean = _MARKER.sub("", _BULLET.sub("", piece))
        clean = _SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"\s+", " ", clean)).strip()
        if not re.search(r"\w", clean):
            if parsed:
                parsed[-1].numbers += numbers
            continue
        parsed.append(ParsedSentence(clean, numbers))
    for sentence in parsed:
        sentence.numbers = list(dict.fromkeys(sentence.numbers))
    return parsed


def _numbers(text: str) -> list[int]:
    return [int(n) for m in _MARKER.finditer(text) for n in re.findall(r"\d+", m.group(1))]


def is_cannot_answer(sentence: str) -> bool:
    return _comparable(CANNOT_ANSWER_PHRASE) in _comparable(sentence)


def _finished(sentence: str) -> bool:
    return sentence.rstrip(" \"'”’)").endswith((".", "!", "?"))


def is_question(sentence: str) -> bool:
    """A question in a reply (often the model echoing the prompt) is no claim: never kept."""
    return sentence.rstrip(" \"'”’)").endswith("?")


def format_passage(passage: Passage) -> str:
    """One numbered passage, fenced as data; fence tags inside the text are neutralised."""
    facts = [passage.outlet, passage.published.date().isoformat() if passage.published else ""]
    about = ", ".join(f for f in facts if f)
    heading = f"[{passage.n}] {_FENCE.sub('', passage.title)}" + (f" ({about})" if about else "")
    body = _FENCE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), passage.text)
    return f"{heading}\n<data>\n{body}\n</data>"


def pack_passages(
    passages: Sequence[Passage], budget_tokens: int
) -> tuple[list[Passage], list[Passage]]:
    """The passages that fit ``budget_tokens``, in the given (relevance) order, renumbered 1..k.

    A passage too long for what is left is skipped, and later, shorter ones still get a
    chance. Returns ``(packed, left_out)``.
    """
    packed: list[Passage] = []
    left_out: list[Passage] = []
    used = 0
    for passage in passages:
        numbered = passage.model_copy(update={"n": len(packed) + 1})
        cost = count_llm_tokens(format_passage(numbered) + "\n\n")
        if used + cost <= budget_tokens:
            packed.append(numbered)
            used += cost
        else:
            left_out.append(passage)
    return packed, left_out


class LLMAnswerEngine:
    """``AnswerEngine`` backed by a chat model (name ``"llm"``).

    ``judge`` defaults to the settings' (``create_batch_judge``: the same chat model, when an
    LLM is configured and ``BRIEFBOT_LLM_JUDGE`` is on); ``BRIEFBOT_LLM_JUDGE=false`` turns it
    off.
    """

    name = "llm"

    def __init__(
        self,
        chat_model: ChatModel,
        embedder: Embedder,
        settings: Settings,
        *,
        judge: BatchJudge | None = None,
        articles: ArticleSource | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.embedder = embedder
        self.settings = settings
        self.articles = articles
        self.prompts = load_prompts(directory=prompts_dir(settings))
        self.judge = judge if judge is not None else create_batch_judge(chat_model, settings)

    @property
    def prompt(self) -> Prompt:
        return self.prompts["answer"]

    def prompt_budget(self, question: str) -> int:
        """Tokens left for passages once the instructions, question and answer are counted."""
        empty = self.prompt.render(
            passages="", question=question, cannot_answer=CANNOT_ANSWER_PHRASE
        )
        return (
            self.settings.llm_context_tokens
            - self.settings.llm_max_answer_tokens
            - MESSAGE_OVERHEAD_TOKENS
            - count_llm_tokens(empty)
        )

    def messages(self, question: str, passages: Sequence[Passage]) -> list[ChatMessage]:
        return self.prompt.messages(
            passages="\n\n".join(format_passage(p) for p in passages),
            question=question,
            cannot_answer=CANNOT_ANSWER_PHRASE,
        )

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        on_text: TextCallback | None = None,
        said: Sequence[Citation] = (),
        wider: Sequence[Passage] = (),  # not shown to the model: its prompt holds ``passages``
    ) -> Answer:
        packed, left_out = pack_passages(passages, self.prompt_budget(question))
        notices = []
        if left_out:
            notices.append(
                f"{len(left_out)} retrieved passage(s) did not fit the model's context "
                f"(BRIEFBOT_LLM_CONTEXT_TOKENS={self.settings.llm_context_tokens}) and were "
                "not shown to it."
            )
        if not packed:
            raise LLMError(
                "no retrieved passage fits the model's context window "
                f"(BRIEFBOT_LLM_CONTEXT_TOKENS={self.settings.llm_context_tokens}, "
                f"BRIEFBOT_LLM_MAX_ANSWER_TOKENS={self.settings.llm_max_answer_tokens})"
            )
        result = self.chat_model.complete(
            self.messages(question, packed),
            max_tokens=self.settings.llm_max_answer_tokens,
            on_text=on_text,
        )
        usage = result.usage
        if not result.text.strip():
            raise LLMError(f"the language model {self.chat_model.name!r} returned an empty answer")
        replies = parse_answer(result.text)
        if result.finish_reason == "length" and replies and not _finished(replies[-1].text):
            replies.pop()
            notices.append(
                "The model's answer was cut off at BRIEFBOT_LLM_MAX_ANSWER_TOKENS="
                f"{self.settings.llm_max_answer_tokens}; its unfinished last sentence was left out."
            )
        parsed = [s for s in replies if not is_cannot_answer(s.text) and not is_question(s.text)]
        if not parsed:
            said_so = any(is_cannot_answer(s.text) for s in replies)
            return Answer(
                question=question,
                mode=self.name,
                refused=True,
                refusal_reason=MODEL_SAID_NO_ANSWER if said_so else MODEL_GAVE_NO_ANSWER,
                usage=usage,
                notices=notices,
            )
        by_n = {p.n: p for p in packed}
        sentences: list[CitedSentence] = []
        dangling: list[list[int]] = []
        for sentence in parsed:
            cited = [by_n[n] for n in sentence.numbers if n in by_n]
            dangling.append([n for n in sentence.numbers if n not in by_n])
            sentences.append(
                CitedSentence(
                    text=sentence.text,
                    citations=[p.citation(0, len(p.text)) for p in cited],
                )
            )
        verified = verify_sentences(sentences, packed, self.embedder, self.settings)
        verified = [_note_dangling(s, d) for s, d in zip(verified, dangling, strict=True)]
        fresh = [s for s in verified if not _repeats(s, said)]
        if fresh and len(fresh) < len(verified):
            notices.append(
                f"{len(verified) - len(fresh)} sentence(s) repeating an earlier answer of this "
                "conversation were left out."
            )
            verified = fresh
        draft = Answer(
            question=question,
            mode=self.name,
            sentences=verified,
            sources=[p.source_ref() for p in packed],
            usage=usage,
            notices=notices,
        )
        checked = finalize(draft, packed, self.settings, self.articles, judge=self.judge)
        return Answer.model_validate(checked.model_dump())


def _repeats(sentence: CitedSentence, said: Sequence[Citation]) -> bool:
    """Whether every span the sentence cites was quoted by an earlier answer."""
    return bool(sentence.citations) and all(
        already_said(c.start, c.end, c.article_id, said) for c in sentence.citations
    )


def _note_dangling(sentence: CitedSentence, numbers: list[int]) -> CitedSentence:
    if not numbers:
        return sentence
    dropped = "; ".join(f"cited source [{n}] does not exist and was dropped" for n in numbers)
    note = f"{dropped}; {sentence.note}" if sentence.note else dropped
    return sentence.model_copy(update={"note": note})


class UsageTracking:
    """Mixin of LLM helpers that accumulate token usage across calls."""

    _usage: Usage | None = None

    def _record(self, usage: Usage) -> None:
        self._usage = usage if self._usage is None else self._usage.plus(usage)

    def take_usage(self) -> Usage | None:
        usage, self._usage = self._usage, None
        return usage


class LLMQueryRewriter(UsageTracking):
    """``conversation.QueryRewriter`` asking the chat model to make a follow-up stand alone.

    A question that does not look like a follow-up is kept as is (no model call). A reply
    that is empty or rambles is replaced by the offline rewrite, with a warning in the log;
    the rewritten query is shown in ``Answer.standalone_query`` either way.
    """

    def __init__(self, chat_model: ChatModel, settings: Settings) -> None:
        self.chat_model = chat_model
        self.prompt = load_prompts(["rewrite_query"], prompts_dir(settings))["rewrite_query"]

    def rewrite(self, question: str, history: History) -> str:
        if not history or not needs_context(question):
            return question
        result = self.chat_model.complete(
            self.prompt.messages(history=format_history(history), question=question),
            max_tokens=REWRITE_MAX_TOKENS,
        )
        self._record(result.usage)
        rewritten = _first_line(result.text)
        if not rewritten or len(rewritten) > 3 * len(question) + 200:
            log.warning("LLM query rewrite unusable (%r); using the offline rewrite", rewritten)
            return ExtractiveRewriter().rewrite(question, history)
        return rewritten


REWRITE_MAX_TOKENS = 96
HISTORY_TURNS = 3
HISTORY_ANSWER_TOKENS = 200


def format_history(history: History) -> str:
    """The last turns as "Reporter: ... / Answer: ...", answers shortened."""
    lines = []
    for turn in list(history)[-HISTORY_TURNS:]:
        said = turn.refusal_reason or "no answer" if turn.refused else turn.text
        lines.append(f"Reporter: {turn.question}")
        lines.append(f"Answer: {truncate_to_llm_tokens(said, HISTORY_ANSWER_TOKENS)}")
    return "\n".join(lines)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:standalone question|question)\s*:\s*", "", line, flags=re.I)
        line = line.strip().strip('"“”').strip()
        if line:
            return line
    return ""


def create_llm_rewriter(settings: Settings) -> LLMQueryRewriter:
    """The LLM query rewriter for ``settings`` (for ``answers.Answerer(rewriter=...)``)."""
    return LLMQueryRewriter(create_chat_model(settings), settings)


def create_llm_engine(
    settings: Settings, embedder: Embedder, articles: ArticleSource | None = None
) -> LLMAnswerEngine:
    """The LLM engine for ``settings``: the configured chat model, judged by it (unless
    ``BRIEFBOT_LLM_JUDGE=false``)."""
    chat_model = create_chat_model(settings)
    judge = create_batch_judge(chat_model, settings)
    return LLMAnswerEngine(chat_model, embedder, settings, judge=judge, articles=articles)
