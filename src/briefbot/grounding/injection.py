"""Spotting source text that looks like instructions to a language model (prompt injection).

Articles are data. Prompts fence them and tell the model to ignore instructions inside, and
the verifier rejects unsupported sentences, but a model that obeys an injected "reply X" can
produce a sentence the injected text itself supports. So every answer and brief is checked
after the fact: a sentence whose cited span sits in instruction-like text is marked
unsupported with a note, and a notice names the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol, TypeVar

from briefbot.citations import Citation, CitedSentence, CitedText
from briefbot.models import Article
from briefbot.text.sentences import split_sentences

_VERB = r"\b(?:ignore|disregard|forget|override|bypass)\b"
_QUALIFIER = (
    r"(?:all|any|of|the|your|my|our|previous|prior|above|earlier|preceding|original|system|"
    r"these|those|other|existing|initial)"
)
_PATTERNS = [
    rf"{_VERB}\s+(?:{_QUALIFIER}\s+){{0,4}}(?:instructions?|prompts?)\b",
    rf"{_VERB}\s+(?:all\s+|any\s+)?(?:(?:the|your|my)\s+)?(?:previous|prior|above|earlier|"
    r"preceding|original)\s+(?:rules|directions|guidelines|directives|context|messages?)\b",
    r"\b(?:new|updated|real|actual|secret|hidden)\s+instructions?\s*:",
    r"\b(?:system|developer)\s+(?:prompt|message|instructions?)\b",
    r"\byou\s+(?:are|must|should|will)\s+now\b",
    r"\b(?:as|you\s+are)\s+an?\s+(?:ai|artificial intelligence|language model|llm|chatbot|"
    r"assistant)\b",
    r"\b(?:ai|language model|llm|chatbot|assistant)s?\b[^.!?\n]{0,40}?\b(?:must|should|shall)\s+"
    r"(?:reply|respond|answer|say|output|write|state)\b",
    r"\b(?:reply|respond|answer)\s+(?:only\s+)?(?:with|by\s+saying)\s*[:\"“']",
    r"\b(?:reply|respond|answer|say|output|print|write)\s+(?:only\s+|exactly\s+)?[:\"“]",
    r"\bdo\s+not\s+(?:tell|mention|reveal|inform)\s+(?:the\s+)?(?:user|reader|anyone)\b",
    r"<\|(?:im_start|im_end|system|user|assistant)\|>|\[/?INST\]|<</?SYS>>",
    r"^\s*#{1,4}\s*(?:system|instruction|assistant)\b",
]
_DETECTOR = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)
_CONTEXT_CHARS = 400

INJECTION_NOTE = "relies on source text that looks like an instruction to an AI model"

Cited = TypeVar("Cited", bound=CitedText)


class ArticleSource(Protocol):
    def get_article(self, article_id: str) -> Article | None: ...


def find_instructions(text: str) -> list[str]:
    """The instruction-like phrases in ``text`` (empty when it reads as ordinary prose)."""
    return [m.group(0).strip() for m in _DETECTOR.finditer(text)]


def looks_like_instructions(text: str) -> bool:
    return _DETECTOR.search(text) is not None


def citation_context(text: str, start: int, end: int) -> str:
    """The sentences of ``text`` that overlap ``[start, end)``: what a citation stands in."""
    lo = max(0, start - _CONTEXT_CHARS)
    window = text[lo : min(len(text), end + _CONTEXT_CHARS)]
    parts = [s.text for s in split_sentences(window) if lo + s.start < end and lo + s.end > start]
    return " ".join(parts) or text[start:end]


def _snippet(phrase: str) -> str:
    phrase = " ".join(phrase.split())
    return phrase if len(phrase) <= 80 else phrase[:77] + "..."


def flag_injections(cited: Cited, context: Callable[[Citation], str]) -> Cited:
    """``cited`` with sentences resting on instruction-like text marked, and a notice per source.

    ``context(citation)`` returns the source text around a citation (see ``citation_context``).
    """
    flagged_sources: dict[int, str] = {}
    sentences: list[CitedSentence] = []
    for sentence in cited.sentences:
        phrases = find_instructions(sentence.text)
        for citation in sentence.citations:
            found = find_instructions(citation.quote) or find_instructions(context(citation))
            if found:
                flagged_sources.setdefault(citation.n, found[0])
                phrases += found
        if phrases:
            note = f"{INJECTION_NOTE} (“{_snippet(phrases[0])}”)"
            if sentence.note:
                note = f"{sentence.note}; {note}"
            sentence = sentence.model_copy(update={"supported": False, "note": note})
        sentences.append(sentence)
    if not flagged_sources and sentences == cited.sentences:
        return cited
    notices = list(cited.notices)
    for n, phrase in sorted(flagged_sources.items()):
        notices.append(
            f"Source [{n}] contains text that looks like instructions to an AI model "
            f"(“{_snippet(phrase)}”); it was treated as data, and sentences that rely on it "
            "are marked unsupported."
        )
    if any(find_instructions(s.text) for s in cited.sentences) and not flagged_sources:
        notices.append(
            "The answer contains text that reads like instructions to an AI model; "
            "it is marked unsupported."
        )
    return cited.model_copy(update={"sentences": sentences, "notices": notices})


def flag_injections_from(cited: Cited, articles: ArticleSource) -> Cited:
    """``flag_injections`` with contexts read from stored articles (each fetched once)."""
    cache: dict[str, str] = {}

    def context(citation: Citation) -> str:
        if citation.article_id not in cache:
            article = articles.get_article(citation.article_id)
            cache[citation.article_id] = article.text if article else ""
        text = cache[citation.article_id]
        return citation_context(text, citation.start, citation.end) if text else ""

    return flag_injections(cited, context)
