"""Deterministic test doubles for our own logic (real components get their own tests)."""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from briefbot.backends.embedders import Vectors
from briefbot.backends.llm import ChatMessage, ChatResult, TextCallback
from briefbot.citations import Usage
from briefbot.errors import LLMError
from briefbot.models import Article, article_id_for

_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    """Hashed bag of lower-cased words: similar words give similar vectors, no model needed.

    Tokens are words and punctuation marks, so token limits behave like a real tokenizer's.
    """

    name = "fake:hashed-bow"
    dimension = 256

    def __init__(self, max_tokens: int = 64) -> None:
        self.max_tokens = max_tokens
        self.calls: list[int] = []

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms

    @property
    def embedded_texts(self) -> int:
        return sum(self.calls)


class FakeChatModel:
    """A scripted ``ChatModel``: ``enqueue`` replies (text, ``ChatResult`` or ``LLMError``)."""

    name = "fake-chat"

    def __init__(self, *replies: str | LLMError | ChatResult) -> None:
        self.replies: deque[str | LLMError | ChatResult] = deque(replies)
        self.calls: list[list[ChatMessage]] = []
        self.max_tokens: list[int] = []

    def enqueue(self, *replies: str | LLMError | ChatResult) -> None:
        self.replies.extend(replies)

    def prompt(self, index: int) -> str:
        """The text of every message of the ``index``-th request."""
        return "\n".join(m["content"] for m in self.calls[index])

    @property
    def prompts(self) -> list[str]:
        return ["\n".join(m["content"] for m in messages) for messages in self.calls]

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        on_text: TextCallback | None = None,
    ) -> ChatResult:
        self.calls.append(list(messages))
        self.max_tokens.append(max_tokens)
        if not self.replies:
            raise AssertionError("FakeChatModel: no scripted reply left")
        reply = self.replies.popleft()
        if isinstance(reply, LLMError):
            raise reply
        if isinstance(reply, ChatResult):
            return reply
        if on_text is not None:
            for word in reply.split(" "):
                on_text(word + " ")
        usage = Usage(prompt_tokens=100, completion_tokens=len(reply.split()), model=self.name)
        return ChatResult(reply, usage)


def news_article(
    text: str, title: str, source: str = "Wire", published: datetime | None = None
) -> Article:
    """A test article: its id is the hash of its text, its source key comes from its title."""
    return Article(
        id=article_id_for(text),
        key=f"test:{title}",
        title=title,
        source=source,
        published=published,
        text=text,
    )
