"""The one cleaner: unsafe characters go, every space and word stays."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from briefbot.cli.common import safe
from briefbot.text.clean import for_display, one_line, stored_text
from briefbot.ui.text import md_escape_inline

NBSP_TEXT = "flights near\u00a0Taiwan\u00a0over the last week,\u2009China has been showing"


def test_unicode_spaces_are_shown_as_spaces() -> None:
    assert (
        for_display(NBSP_TEXT) == "flights near Taiwan over the last week, China has been showing"
    )
    assert one_line("complications from\u202fCOVID-19\u3000today") == (
        "complications from COVID-19 today"
    )


def test_cli_and_app_keep_words_apart() -> None:
    assert "near Taiwan over" in safe(NBSP_TEXT)
    assert "near Taiwan over" in md_escape_inline(NBSP_TEXT)


def test_controls_and_bidi_overrides_are_removed() -> None:
    hostile = "Mayor\u202e resigns\u009b31m\x1b[2J quietly\u2066\u200b"
    for cleaned in (stored_text(hostile), for_display(hostile), one_line(hostile)):
        assert not any(ch in cleaned for ch in "\u202e\u009b\x1b\u2066\u200b")
        assert "Mayor resigns" in cleaned and "quietly" in cleaned


def test_stored_text_normalises_newlines_and_keeps_no_break_spaces() -> None:
    assert stored_text("\ufeffOne\r\ntwo\rthree\u2028four  \n\n") == "One\ntwo\nthree\nfour"
    assert "\u00a0" in stored_text(NBSP_TEXT)  # offsets into stored text stay exact


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=200)


def _visible(text: str) -> Counter[str]:
    return Counter(ch for ch in text if unicodedata.category(ch)[0] in "LNPSM")


@given(_TEXT)
def test_words_shown_are_the_words_stored(text: str) -> None:
    stored = stored_text(text)
    assert for_display(stored).split() == for_display(text).split()
    # Display removes nothing visible: every letter, number, mark, punctuation and symbol of
    # the stored text is shown, and every space separator still separates.
    assert _visible(one_line(stored)) == _visible(stored)
    separated = [w for w in re.split(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+", stored)]
    shown = one_line(stored).split()
    assert len(shown) >= len([w for w in separated if _visible(w)])
