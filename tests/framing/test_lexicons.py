"""Lexicon files: the bundled ones load; malformed lines fail naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefbot.errors import ConfigError
from briefbot.framing.lexicons import Term as LexTerm
from briefbot.framing.lexicons import (
    TermMatcher,
    load_lexicon,
    parse_loaded_terms,
    parse_word_list,
)

HEADER = "term,neutral,kind,note\n"


def test_bundled_lexicon_is_substantial() -> None:
    lexicon = load_lexicon()
    terms = {t.term for t in lexicon.loaded}
    assert len(lexicon.loaded) >= 300
    assert {"regime", "so-called", "special military operation", "mercenar*"} <= terms
    assert {"reportedly", "expected to", "could", "allegedly"} <= {h.term for h in lexicon.hedges}
    assert {"said", "claims", "emphasized", "told"} <= set(lexicon.verbs)
    euphemism = next(t for t in lexicon.loaded if t.term == "special military operation")
    assert euphemism.kind == "euphemism"
    assert euphemism.neutral == "war/invasion"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("term,neutral,kind\nx,y,loaded\n", 1, "header"),
        (HEADER + "regime,government,loaded,ok\nthugs,attackers,nasty,bad kind\n", 3, "kind"),
        (HEADER + "regime,government,loaded\n", 2, "expected 4 fields"),
        (HEADER + "regime,government,loaded,a\n# comment\nRegime,state,loaded,b\n", 4, "line 2"),
        (HEADER + ",government,loaded,a\n", 2, "empty"),
        (HEADER + "re*gime,government,loaded,a\n", 2, "not a term"),
        (HEADER + '"unclosed,government,loaded,a\n', 2, "CSV"),
    ],
)
def test_loaded_terms_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_loaded_terms(text, "terms.csv")
    assert f"terms.csv:{line}:" in str(caught.value)
    assert message in str(caught.value)


def test_empty_loaded_terms_file_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"terms\.csv: empty lexicon"):
        parse_loaded_terms("# only a comment\n", "terms.csv")


def test_word_list_errors_name_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"hedges.txt:3: 'maybe' is already listed on line 1"):
        parse_word_list("maybe\n# comment\nmaybe\n", "hedges.txt", kind="hedge")
    with pytest.raises(ConfigError, match=r"hedges.txt:2:"):
        parse_word_list("maybe\nperhaps; not\n", "hedges.txt", kind="hedge")


def test_lexicon_dir_overrides_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "loaded_terms.csv").write_text(HEADER + "gizmo*,device,loaded,test entry\n")
    lexicon = load_lexicon(tmp_path)
    assert [t.term for t in lexicon.loaded] == ["gizmo*"]
    assert any(h.term == "reportedly" for h in lexicon.hedges)  # bundled file still used


def test_lexicon_dir_error_names_the_users_file(tmp_path: Path) -> None:
    (tmp_path / "hedges.txt").write_text("maybe\nmay be*?\n")
    with pytest.raises(ConfigError, match=rf"{tmp_path / 'hedges.txt'}:2:"):
        load_lexicon(tmp_path)


def test_missing_lexicon_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        load_lexicon(tmp_path / "missing")


def _find(terms: list[str], sentence: str) -> list[str]:
    matcher = TermMatcher([LexTerm(term=t, kind="loaded") for t in terms])
    return [sentence[m.start : m.end] for m in matcher.find(sentence)]


def test_matcher_wildcards_longest_first_and_word_boundaries() -> None:
    terms = ["slam*", "military operation", "special military operation", "rig"]
    sentence = "Critics slammed the special military operation; a rigorous rig was slams."
    assert _find(terms, sentence) == ["slammed", "special military operation", "rig", "slams"]


def test_matcher_skips_capitalised_names_but_not_sentence_starts() -> None:
    assert _find(["may"], "Talks may resume in May.") == ["may"]
    assert _find(["may"], "May they resume?") == ["May"]
    assert _find(["patriot*"], "They fired Patriot missiles at patriots.") == ["patriots"]


def test_matcher_accepts_either_apostrophe() -> None:
    assert _find(["nobody's fool"], "He is nobody’s fool.") == ["nobody’s fool"]
