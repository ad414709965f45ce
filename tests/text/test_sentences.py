from __future__ import annotations

from briefbot.text.sentences import paragraphs, split_sentences


def test_abbreviations_and_numbers_do_not_split_sentences() -> None:
    text = "Dr. Smith said the U.S. economy grew 2.5% in Jan. 2023. He left at 5 p.m. on Monday."
    assert [s.text for s in split_sentences(text)] == [
        "Dr. Smith said the U.S. economy grew 2.5% in Jan. 2023.",
        "He left at 5 p.m. on Monday.",
    ]


def test_sentences_never_cross_paragraphs_and_offsets_are_exact() -> None:
    text = "  Title line without stop\n\nFirst one. Second one!\n\n\nThird?  "
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Title line without stop",
        "First one.",
        "Second one!",
        "Third?",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert [p.text for p in paragraphs(text)] == [
        "Title line without stop",
        "First one. Second one!",
        "Third?",
    ]
