"""The one cleaner for article text, at ingest and wherever text is shown.

Removed: C0 controls but newline and tab, DEL, C1 controls (U+0080-U+009F, among them the
8-bit escape introducer U+009B), bidi embeddings, overrides and isolates, zero-width
characters and the byte-order mark: none is text a reporter wrote, and several can reorder or
hide what a terminal or page shows. Kept: every letter, mark, punctuation and space; for
display, the Unicode spaces (no-break, thin, narrow no-break, ideographic, ...) are shown as a
plain space, so words never run together.
"""

from __future__ import annotations

import re

UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (but \t \n \r), DEL, C1
    "\u200b-\u200f"  # zero-width space, non-joiner, joiner, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u2064\u2066-\u2069"  # word joiner, invisible operators, bidi isolates
    "\ufeff]"  # byte-order mark / zero-width no-break space
)
_UNICODE_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")
_WHITESPACE = re.compile(r"\s+")


def stored_text(text: str) -> str:
    """The stored form of article text: newlines normalised, unsafe characters removed,
    trailing spaces on each line and blank lines at both ends dropped."""
    text = UNSAFE.sub("", _LINE_BREAKS.sub("\n", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def for_display(text: str) -> str:
    """``text`` as it may be shown: unsafe characters removed, Unicode spaces as spaces,
    newlines and tabs kept. The words shown are the words stored."""
    return _UNICODE_SPACE.sub(" ", UNSAFE.sub("", _LINE_BREAKS.sub("\n", text)))


def one_line(text: str) -> str:
    """``for_display`` with all whitespace collapsed to single spaces."""
    return _WHITESPACE.sub(" ", for_display(text)).strip()
