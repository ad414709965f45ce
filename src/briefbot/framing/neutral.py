"""The neutral reading: reported content only, each claim with its attribution, loaded words
replaced by neutral ones, every sentence citing the span it was made from.

Sentences in the writer's own evaluative voice are dropped (and listed, with their span).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from briefbot.citations import CitedSentence
from briefbot.framing.analyzer import Citer, SentenceAnalysis
from briefbot.framing.lexicons import Lexicon
from briefbot.framing.loaded import find_loaded, neutralise
from briefbot.framing.report import DroppedSentence, NeutralReading
from briefbot.text.counts import plural


def _note(item: SentenceAnalysis, replaced: list[tuple[str, str]]) -> str:
    text = item.span.text
    if item.attributed:
        who = "; ".join(
            f"“{text[f.speaker_start : f.speaker_end]}” (the speaker of the sentence before)"
            if f.pattern == "pronoun"
            else text[f.speaker_start : f.speaker_end]
            for f in item.attributions
        )
        parts = [f"attributed to {who}"]
    else:
        parts = ["unattributed: stated in the outlet's own voice"]
    if replaced:
        swaps = ", ".join(
            f"'{old}' -> '{new}'" if new else f"'{old}' dropped" for old, new in replaced
        )
        parts.append(f"neutral wording: {swaps}")
    return "; ".join(parts)


def neutral_reading(analysis: Sequence[SentenceAnalysis], cite: Citer) -> NeutralReading:
    reading = NeutralReading()
    for item in analysis:
        source = cite(item.span.start, item.span.end)
        if not item.is_claim:
            continue
        if item.evaluative:
            cues = ", ".join(item.cues) or f"sentiment {item.compound:+.2f}"
            reading.dropped.append(
                DroppedSentence(citation=source, reason=f"writer's evaluation ({cues})")
            )
            continue
        text, replaced = neutralise(item.span.text, item.loaded)
        reading.sentences.append(
            CitedSentence(
                text=text,
                citations=[source],
                supported=True,
                support_score=1.0,
                note=_note(item, replaced),
            )
        )
    if not reading.sentences:
        reading.notes.append("nothing reported to restate: no claims outside the writer's voice")
    if reading.dropped:
        reading.notes.append(
            f"{plural(len(reading.dropped), 'sentence')} in the writer's evaluative voice left out"
        )
    return reading


def clean_brief(
    sentences: Sequence[CitedSentence],
    analysis: Sequence[SentenceAnalysis],
    article_id: str,
    lexicon: Lexicon,
    number: Callable[[str], int],
) -> tuple[list[CitedSentence], list[DroppedSentence]]:
    """A brief's sentences with loaded words replaced; those resting only on the writer's
    evaluative sentences of ``article_id`` are left out. ``number`` renumbers citations."""
    kept: list[CitedSentence] = []
    dropped: list[DroppedSentence] = []
    for sentence in sentences:
        citations = [c.model_copy(update={"n": number(c.article_id)}) for c in sentence.citations]
        underlying = [
            item
            for c in citations
            if c.article_id == article_id
            for item in analysis
            if item.span.start < c.end and c.start < item.span.end
        ]
        if underlying and all(item.evaluative for item in underlying):
            cues = ", ".join(cue for item in underlying for cue in item.cues) or "strong sentiment"
            for citation in citations:
                dropped.append(
                    DroppedSentence(citation=citation, reason=f"writer's evaluation ({cues})")
                )
            continue
        text, replaced = neutralise(sentence.text, find_loaded(sentence.text, lexicon))
        notes = [sentence.note] if sentence.note else []
        if replaced:
            swaps = ", ".join(
                f"'{old}' -> '{new}'" if new else f"'{old}' dropped" for old, new in replaced
            )
            notes.append(f"neutral wording: {swaps}")
        speakers = [
            item.span.text[f.speaker_start : f.speaker_end]
            for item in underlying
            for f in item.attributions
        ]
        notes.insert(0, f"attributed to {'; '.join(speakers)}" if speakers else "unattributed")
        kept.append(
            sentence.model_copy(
                update={"text": text, "citations": citations, "note": "; ".join(notes)}
            )
        )
    return kept, dropped
