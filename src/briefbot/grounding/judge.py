"""The language-model judge: one call checks every sentence of a text against its evidence.

After the offline verifier (``verify.py``) the sentences it supports go to the chat model in
one request, each with the quotes its citations hold as evidence, both fenced as data. The
model answers, in the style of MiniCheck, one verdict per numbered claim as a JSON array:
``[{"n": 1, "supported": true}, {"n": 2, "supported": false, "unsupported": "..."}]``.

A sentence the judge rejects becomes unsupported, its note naming the part the judge
rejected. A judge that fails never passes a sentence: an ``LLMError`` (a timeout included), a
reply that is not the JSON asked for (or only repeats the prompt's example), or no verdict for
a sentence flags the sentences it did not clear. A verdict for a claim number that does not
exist is ignored. Sentences the offline checker already rejected are not sent; they stay
unsupported.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from briefbot.backends.llm import ChatModel
from briefbot.citations import CitedSentence, Usage
from briefbot.errors import LLMError
from briefbot.prompts import load_prompts, prompts_dir
from briefbot.settings import Settings
from briefbot.text.tokens import truncate_to_llm_tokens

log = logging.getLogger(__name__)

PROMPT_NAME = "judge_batch"
JUDGE_BASE_TOKENS = 16
JUDGE_TOKENS_PER_CLAIM = 48
"""Reply tokens allowed: the array's brackets, then one verdict (and a short quote) a claim."""
EVIDENCE_MAX_TOKENS = 600
"""Evidence of one claim is cut here (a cut can only make the judge stricter)."""
UNSUPPORTED_PART_MAX_CHARS = 160

REJECTED = "the language-model judge found the source does not support"
UNJUDGED = "the language-model judge could not check it"
NOT_JSON = "its reply was not the JSON list of verdicts asked for"
NO_VERDICT = "its reply held no verdict for this sentence"
REPEATED_EXAMPLE = "its reply only repeated the prompt's example"

_TAG = re.compile(r"</?\s*(?:claim|evidence|data)\s*>", re.IGNORECASE)
_CODE_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_EXAMPLE = re.compile(r"\[\s*\{[^\n]*\}\s*\]")


@dataclass(frozen=True)
class JudgeItem:
    """One claim and the evidence it must be checked against (the quotes it cites)."""

    sentence: str
    evidence: str


@dataclass(frozen=True)
class Verdict:
    """The judge's decision on one claim; ``reason`` is the note a rejected claim gets."""

    supported: bool
    unsupported_part: str | None = None
    reason: str = ""


def rejected(part: str | None) -> Verdict:
    reason = f'{REJECTED}: "{part}"' if part else f"{REJECTED} it"
    return Verdict(False, part, reason)


def unjudged(why: str) -> Verdict:
    return Verdict(False, None, f"{UNJUDGED} ({why}); flagged, not passed")


class BatchJudge(Protocol):
    """Judges several claims at once; returns one verdict per item, in order."""

    def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]: ...

    def take_usage(self) -> Usage | None:
        """Tokens and cost of the calls since the last ``take_usage`` (None: no call)."""
        ...


def _fenced(tag: str, text: str) -> str:
    """``text`` between ``<tag>`` lines; fence tags inside it are neutralised."""
    body = _TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)
    return f"<{tag}>\n{body.strip()}\n</{tag}>"


def format_claims(items: Sequence[JudgeItem]) -> str:
    """The numbered claims, each followed by its evidence, all fenced as data."""
    blocks = []
    for n, item in enumerate(items, start=1):
        evidence = truncate_to_llm_tokens(item.evidence, EVIDENCE_MAX_TOKENS)
        blocks.append(
            f"Claim {n}:\n{_fenced('claim', item.sentence)}\n"
            f"Evidence for claim {n}:\n{_fenced('evidence', evidence)}"
        )
    return "\n\n".join(blocks)


def _part(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    part = " ".join(value.split()).strip("\"'“”‘’ ")
    if len(part) > UNSUPPORTED_PART_MAX_CHARS:
        part = part[: UNSUPPORTED_PART_MAX_CHARS - 1].rstrip() + "…"
    return part or None


def decode_reply(reply: str) -> list[Any] | None:
    """The JSON array in a reply (a code fence or words around it are allowed), or None."""
    text = reply.strip()
    fenced = _CODE_FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def examples_in(template: str) -> list[list[Any]]:
    """The JSON arrays a prompt shows as examples (a reply repeating one judged nothing)."""
    text = template.replace("{{", "{").replace("}}", "}")
    found = []
    for match in _EXAMPLE.finditer(text):
        decoded = decode_reply(match.group(0))
        if decoded:
            found.append(decoded)
    return found


def parse_verdicts(reply: str, count: int) -> list[Verdict] | None:
    """One verdict per claim 1..``count`` from the judge's reply; None if it is not JSON.

    A claim without a valid verdict gets an "unjudged" one (flagged); a verdict for a number
    outside 1..count is ignored; when one claim has several verdicts, a rejection wins, and so
    does a verdict that says supported yet names an unsupported part.
    """
    data = decode_reply(reply)
    if data is None:
        return None
    found: dict[int, Verdict] = {}
    for entry in data:
        if not isinstance(entry, dict):
            continue
        n, supported = entry.get("n"), entry.get("supported")
        if isinstance(n, bool) or not isinstance(n, int) or not isinstance(supported, bool):
            continue
        if not 1 <= n <= count:
            log.warning("LLM judge gave a verdict for claim %d of %d; ignored", n, count)
            continue
        part = _part(entry.get("unsupported"))
        verdict = Verdict(True) if supported and part is None else rejected(part)
        if n not in found or not verdict.supported:
            found[n] = verdict
    return [found.get(n) or unjudged(NO_VERDICT) for n in range(1, count + 1)]


class LLMBatchJudge:
    """``BatchJudge`` asking the chat model (prompt ``prompts/judge_batch.md``) in one call.

    It never raises for the model's sake: a failed call or an unusable reply comes back as
    "unjudged" verdicts, which flag their sentences.
    """

    def __init__(self, chat_model: ChatModel, settings: Settings) -> None:
        self.chat_model = chat_model
        self.prompt = load_prompts([PROMPT_NAME], prompts_dir(settings))[PROMPT_NAME]
        self.examples = examples_in(self.prompt.template)
        self._usage: Usage | None = None
        self.calls = 0

    def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        if not items:
            return []
        self.calls += 1
        try:
            result = self.chat_model.complete(
                self.prompt.messages(claims=format_claims(items), count=str(len(items))),
                max_tokens=JUDGE_BASE_TOKENS + JUDGE_TOKENS_PER_CLAIM * len(items),
            )
        except LLMError as error:
            log.warning("LLM judge failed (%s); its %d sentence(s) are flagged", error, len(items))
            return [unjudged(f"it failed: {error}")] * len(items)
        self._usage = result.usage.plus(self._usage)
        if decode_reply(result.text) in self.examples:
            # Small models copy the example; its "n": 1 true would pass a claim unread.
            log.warning("LLM judge repeated the prompt's example; its sentences are flagged")
            return [unjudged(REPEATED_EXAMPLE)] * len(items)
        verdicts = parse_verdicts(result.text, len(items))
        if verdicts is None:
            log.warning("LLM judge reply is not a JSON verdict list: %r", result.text[:200])
            return [unjudged(NOT_JSON)] * len(items)
        return verdicts

    def take_usage(self) -> Usage | None:
        usage, self._usage = self._usage, None
        return usage


def create_batch_judge(chat_model: ChatModel, settings: Settings) -> LLMBatchJudge | None:
    """The settings' judge: on when an LLM is configured and ``BRIEFBOT_LLM_JUDGE`` is true."""
    if settings.llm_judge and settings.llm_configured:
        return LLMBatchJudge(chat_model, settings)
    return None


def evidence_of(sentence: CitedSentence) -> str:
    """The quotes a sentence's citations hold, in order, one per line."""
    return "\n".join(dict.fromkeys(c.quote for c in sentence.citations if c.quote.strip()))


@dataclass
class Judged:
    """Sentences after the judge, its usage, and how many it could not check."""

    sentences: list[CitedSentence]
    usage: Usage | None
    unjudged: int = 0


def judge_sentences(sentences: Sequence[CitedSentence], judge: BatchJudge) -> Judged:
    """The offline-supported ``sentences`` judged in one call; rejected ones flagged.

    Whatever the judge does, a sentence passes only with a verdict that says supported: an
    ``LLMError``, too few verdicts or an unusable reply flags the rest.
    """
    chosen = [i for i, s in enumerate(sentences) if s.supported]
    out = list(sentences)
    if not chosen:
        return Judged(out, None)
    items = [JudgeItem(sentences[i].text, evidence_of(sentences[i])) for i in chosen]
    try:
        verdicts = list(judge.judge(items))
    except LLMError as error:
        verdicts = [unjudged(f"it failed: {error}")] * len(items)
    usage = judge.take_usage()
    verdicts = verdicts[: len(items)] + [unjudged(NO_VERDICT)] * (len(items) - len(verdicts))
    failed = 0
    for index, verdict in zip(chosen, verdicts, strict=True):
        if verdict.supported:
            continue
        if verdict.reason.startswith(UNJUDGED):
            failed += 1
        sentence = out[index]
        reason = verdict.reason or rejected(verdict.unsupported_part).reason
        note = f"{sentence.note}; {reason}" if sentence.note else reason
        out[index] = sentence.model_copy(update={"supported": False, "note": note})
    return Judged(out, usage, failed)
