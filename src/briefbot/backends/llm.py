"""Chat models behind one small protocol, with a registry by name.

The ``openai`` backend talks to OpenAI or any OpenAI-compatible server (Ollama, vLLM,
llama.cpp server) through the ``openai`` SDK. Retries are ours, not the SDK's, so their
count and delays follow settings and show in the log. ``llm_timeout_s`` is a deadline for the
whole call, retries and their waits included: the request runs in a worker thread and the
caller stops waiting when the deadline passes, whatever the server does (a read timeout alone
never fires for a server that trickles keep-alive bytes). The API key never appears in an
error, a log line or a ``Usage``.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypedDict, cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from briefbot.citations import Usage
from briefbot.errors import ConfigError, LLMError
from briefbot.settings import Settings
from briefbot.text.tokens import count_llm_tokens

log = logging.getLogger(__name__)

TextCallback = Callable[[str], None]

PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-3.5-turbo": (0.50, 1.50),
}
"""USD per million (prompt, completion) tokens; ``Settings.llm_prices`` adds and overrides."""

NO_KEY_NEEDED = "not-needed"
"""Sent as the key to OpenAI-compatible servers configured without one."""


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class ChatResult:
    """The text a chat model produced, what it cost, and why it stopped ("length": cut off)."""

    text: str
    usage: Usage
    finish_reason: str | None = None


class ChatModel(Protocol):
    """Completes a conversation; streams text to ``on_text`` when given."""

    name: str

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        on_text: TextCallback | None = None,
    ) -> ChatResult: ...


ChatModelFactory = Callable[[Settings], ChatModel]
_REGISTRY: dict[str, ChatModelFactory] = {}


def register_chat_model(name: str) -> Callable[[ChatModelFactory], ChatModelFactory]:
    def decorate(factory: ChatModelFactory) -> ChatModelFactory:
        _REGISTRY[name] = factory
        return factory

    return decorate


def chat_model_names() -> list[str]:
    return sorted(_REGISTRY)


def create_chat_model(settings: Settings) -> ChatModel:
    try:
        factory = _REGISTRY[settings.llm_provider]
    except KeyError:
        raise ConfigError(
            f"BRIEFBOT_LLM_PROVIDER={settings.llm_provider!r} is not a known chat model "
            f"backend; choose one of {', '.join(chat_model_names())}"
        ) from None
    return factory(settings)


def estimate_cost(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    overrides: dict[str, tuple[float, float]] | None = None,
) -> float | None:
    """Estimated USD cost, or None for a model without a known price."""
    prices = {**PRICES_PER_MTOK, **(overrides or {})}
    price = prices.get(model)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


class Redactor:
    """Removes a secret from any text before it leaves this module."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret if secret and secret != NO_KEY_NEEDED else None

    def __call__(self, text: str) -> str:
        if self._secret is None:
            return text
        text = text.replace(self._secret, "***")
        if len(self._secret) >= 12:
            # Servers sometimes echo a key partly masked ("sk-abc...wxyz"): drop its body too.
            text = text.replace(self._secret[3:-4], "***")
        return text


def _without_userinfo(url: str | None) -> str | None:
    """A URL fit for messages: any ``user:password@`` part removed."""
    return re.sub(r"//[^/@]*@", "//", url) if url else url


def _retryable(error: openai.APIStatusError) -> bool:
    return error.status_code == 429 or error.status_code >= 500


def _server_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        detail = body.get("message") or body.get("error") or body.get("detail")
        if isinstance(detail, dict):
            detail = detail.get("message")
        if detail:
            return str(detail)[:300]
    return str(error.message)[:300]


class OpenAIChatModel:
    """OpenAI or an OpenAI-compatible server, via the ``openai`` SDK."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if key is None and settings.openai_base_url is None:
            raise ConfigError(
                "no language model configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
                "(an OpenAI-compatible server such as llama.cpp, Ollama or vLLM)"
            )
        self.name = settings.llm_model
        self.settings = settings
        self.retries_done = 0
        self._sleep = sleep
        self._redact = Redactor(key)
        self._where = _without_userinfo(settings.openai_base_url) or "OpenAI"
        self._client = openai.OpenAI(
            api_key=key or NO_KEY_NEEDED,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        on_text: TextCallback | None = None,
    ) -> ChatResult:
        deadline = time.monotonic() + self.settings.llm_timeout_s
        attempts = self.settings.llm_max_retries + 1
        retried = ""
        for attempt in range(attempts):
            try:
                return self._attempt(messages, max_tokens, on_text, deadline, retried)
            except _Retry as retry:
                if attempt + 1 >= attempts:
                    raise self._error(retry.error, attempts) from None
                delay = self._delay(attempt, retry.error)
                if time.monotonic() + delay >= deadline:
                    raise self._timed_out(
                        f"; it answered HTTP {retry.error.status_code} and no time was left "
                        "for a retry"
                    ) from None
                log.warning(
                    "LLM %s answered %s; retry %d of %d in %.2fs",
                    self._where,
                    retry.error.status_code,
                    attempt + 1,
                    attempts - 1,
                    delay,
                )
                self.retries_done += 1
                retried = f"; retried {attempt + 1}x after HTTP {retry.error.status_code}"
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        on_text: TextCallback | None,
        deadline: float,
        retried: str = "",
    ) -> ChatResult:
        """One request, run in a worker thread; the caller waits for it until ``deadline``.

        Streamed text reaches ``on_text`` on the caller's thread (Streamlit writes only from
        its own). A request given up on is told to stop; until its own per-request timeout
        (the budget left when it started) or the next streamed chunk, it may still hold its
        connection, but nobody waits for it.
        """
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out(retried)
        events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        cancelled = threading.Event()

        def work() -> None:
            try:
                if on_text is None:
                    result = self._complete_once(messages, max_tokens, remaining)
                else:
                    result = self._stream_once(
                        messages,
                        max_tokens,
                        lambda piece: events.put(("text", piece)),
                        remaining,
                        cancelled,
                    )
                events.put(("done", result))
            except Exception as error:  # handed to the caller, raised there
                events.put(("error", error))

        threading.Thread(target=work, name="briefbot-llm", daemon=True).start()
        streamed = False
        try:
            while True:
                try:
                    kind, value = events.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise self._timed_out(retried, streamed=streamed) from None
                if kind == "text":
                    streamed = True
                    if on_text is not None:
                        on_text(value)
                elif kind == "done":
                    return cast(ChatResult, value)
                else:
                    raise value
        finally:
            cancelled.set()

    def _timed_out(self, detail: str = "", *, streamed: bool = False) -> LLMError:
        what = "finish its answer" if streamed else "answer"
        return LLMError(
            f"LLM {self._where} did not {what} within {self.settings.llm_timeout_s:g}s "
            f"(BRIEFBOT_LLM_TIMEOUT_S){detail}"
        )

    def _delay(self, attempt: int, error: openai.APIStatusError) -> float:
        delay = self.settings.llm_backoff_s * 2**attempt
        retry_after = error.response.headers.get("retry-after", "")
        if retry_after.replace(".", "", 1).isdigit():
            delay = max(delay, float(retry_after))
        return float(min(delay, self.settings.llm_backoff_max_s))

    def _error(self, error: openai.APIStatusError, attempts: int) -> LLMError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        message = (
            f"LLM {self._where} answered HTTP {error.status_code}{tries}: {_server_message(error)}"
        )
        return LLMError(self._redact(message), status=error.status_code)

    def _call(
        self, messages: Sequence[ChatMessage], max_tokens: int, stream: bool, timeout_s: float
    ) -> Any:
        extra: dict[str, Any] = {}
        if stream:
            extra["stream_options"] = {"include_usage": True}
        try:
            return self._client.chat.completions.create(
                model=self.name,
                messages=cast("list[ChatCompletionMessageParam]", list(messages)),
                max_tokens=max_tokens,
                temperature=self.settings.llm_temperature,
                stream=stream,
                timeout=timeout_s,
                **extra,
            )
        except openai.APIStatusError as error:
            if _retryable(error):
                raise _Retry(error) from None
            raise self._error(error, 1) from None
        except openai.APITimeoutError:
            raise self._timed_out() from None
        except openai.APIConnectionError as error:
            raise LLMError(
                self._redact(f"cannot reach LLM {self._where}: {error.__cause__ or error}")
            ) from None
        except (openai.OpenAIError, ValueError) as error:
            raise LLMError(
                self._redact(f"LLM {self._where} sent a malformed response: {error}")
            ) from None

    def _complete_once(
        self, messages: Sequence[ChatMessage], max_tokens: int, timeout_s: float
    ) -> ChatResult:
        response = self._call(messages, max_tokens, stream=False, timeout_s=timeout_s)
        try:
            text = response.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            text = None
        if not isinstance(text, str):
            raise LLMError(f"LLM {self._where} sent a response without message content")
        usage = getattr(response, "usage", None)
        finish = getattr(response.choices[0], "finish_reason", None)
        return ChatResult(text, self._usage(messages, text, usage), finish)

    def _stream_once(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        on_text: TextCallback,
        timeout_s: float,
        cancelled: threading.Event,
    ) -> ChatResult:
        stream = self._call(messages, max_tokens, stream=True, timeout_s=timeout_s)
        parts: list[str] = []
        usage = None
        chunks = 0
        finish: str | None = None
        try:
            for chunk in stream:
                if cancelled.is_set():  # the caller gave up at its deadline
                    break
                chunks += 1
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    finish = choice.finish_reason or finish
                    delta = choice.delta.content if choice.delta else None
                    if delta:
                        parts.append(delta)
                        on_text(delta)
        except openai.APITimeoutError:
            raise self._timed_out(streamed=bool(parts)) from None
        except (openai.OpenAIError, ValueError, AttributeError, TypeError) as error:
            raise LLMError(
                self._redact(f"LLM {self._where} sent a malformed stream: {error}")
            ) from None
        finally:
            stream.close()
        if not chunks:
            raise LLMError(f"LLM {self._where} sent a malformed stream: no completion chunks")
        text = "".join(parts)
        return ChatResult(text, self._usage(messages, text, usage), finish)

    def _usage(self, messages: Sequence[ChatMessage], text: str, reported: Any) -> Usage:
        """Token counts as the server reports them, else estimated with tiktoken."""
        prompt = getattr(reported, "prompt_tokens", None)
        completion = getattr(reported, "completion_tokens", None)
        if not isinstance(prompt, int):
            prompt = sum(count_llm_tokens(m["content"]) + 4 for m in messages)
        if not isinstance(completion, int):
            completion = count_llm_tokens(text)
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            estimated_cost_usd=estimate_cost(
                self.name, prompt, completion, self.settings.llm_prices
            ),
            model=self.name,
        )


class _Retry(Exception):
    def __init__(self, error: openai.APIStatusError) -> None:
        self.error = error
        super().__init__(error.status_code)


@register_chat_model("openai")
def _openai(settings: Settings) -> ChatModel:
    return OpenAIChatModel(settings)
