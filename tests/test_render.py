"""Text and Markdown rendering of cited text; source text can never inject markup."""

from __future__ import annotations

from datetime import UTC, datetime

from markdown_it import MarkdownIt

from briefbot.citations import Citation, CitedSentence, CitedText, SourceRef
from briefbot.render import (
    escape_markdown,
    marked_line,
    plain_mark,
    render_markdown,
    render_text,
    safe_url,
)


def citation(n: int, quote: str) -> Citation:
    return Citation(
        n=n, article_id=f"a{n}", chunk_id=f"a{n}:0000", start=0, end=len(quote), quote=quote
    )


def source(n: int, **kw: object) -> SourceRef:
    data: dict[str, object] = {
        "n": n,
        "article_id": f"a{n}",
        "title": f"Title {n}",
        "outlet": f"Outlet {n}",
        "published": datetime(2024, 10, 18, tzinfo=UTC),
        "url": f"https://example.com/{n}",
    }
    data.update(kw)
    return SourceRef.model_validate(data)


ANSWER = CitedText(
    mode="extractive",
    sentences=[
        CitedSentence(
            text="Pyongyang is sending 5,000 engineers.",
            citations=[citation(1, "Pyongyang is sending approximately 5,000 engineers.")],
            supported=True,
        ),
        CitedSentence(
            text="Another 1,000 deminers follow.",
            citations=[citation(1, "another 1,000 soldiers"), citation(2, "1,000 deminers")],
            supported=True,
        ),
        CitedSentence(
            text="They arrive in 2030.",
            citations=[citation(2, "1,000 deminers")],
            supported=False,
            note="the source does not mention “2030”",
        ),
    ],
    sources=[source(1), source(2)],
    notices=["The language model failed; extractive fallback."],
)


def test_text_has_markers_sources_and_quotes() -> None:
    out = render_text(ANSWER)
    assert out.splitlines()[0] == "Note: The language model failed; extractive fallback."
    assert "Pyongyang is sending 5,000 engineers. [1] Another 1,000 deminers follow. [1] [2]" in out
    assert "They arrive in 2030. [2] [unsupported]: the source does not mention “2030”" in out
    lines = out.splitlines()
    first = lines.index("[1] Title 1 — Outlet 1, 2024-10-18 — https://example.com/1")
    assert lines[first + 1 : first + 3] == [
        '    "Pyongyang is sending approximately 5,000 engineers."',
        '    "another 1,000 soldiers"',
    ]
    second = lines.index("[2] Title 2 — Outlet 2, 2024-10-18 — https://example.com/2")
    assert lines[second + 1 :] == ['    "1,000 deminers"']


def test_refusal_text() -> None:
    refusal = CitedText(
        mode="extractive", refused=True, refusal_reason="Searched for “x”: nothing."
    )
    assert render_text(refusal) == "No answer: Searched for “x”: nothing.\n"
    assert render_markdown(refusal) == "**No answer:** Searched for “x”: nothing.\n"
    detailed = refusal.model_copy(update={"refusal_details": "best similarity 0.07"})
    assert render_text(detailed).splitlines()[1] == "Details: best similarity 0.07"


def test_markdown_footnotes_carry_the_quotes() -> None:
    out = render_markdown(ANSWER)
    assert "Pyongyang is sending 5,000 engineers.[^1] Another 1,000 deminers follow.[^1][^2]" in out
    assert (
        "They arrive in 2030.[^2] **\\[unsupported\\]** _the source does not mention “2030”_" in out
    )
    assert (
        "[^1]: **Title 1**, Outlet 1, 2024-10-18, <https://example.com/1>: "
        "“Pyongyang is sending approximately 5,000 engineers.” “another 1,000 soldiers”"
    ) in out
    assert out.startswith("> **Note:** The language model failed; extractive fallback.")


EVIL = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** ![i](http://x/y.png)"


def test_markdown_escapes_article_text_everywhere() -> None:
    hostile = CitedText(
        mode="llm",
        sentences=[
            CitedSentence(text=EVIL, citations=[citation(1, EVIL + "\n# heading")], supported=True)
        ],
        sources=[source(1, title=EVIL, outlet="<b>Outlet</b>", url="javascript:alert(1)")],
    )
    out = render_markdown(hostile)
    for raw in ("[click](", "**bold**", "![i]", "javascript:alert(1)>", "\n#"):
        assert raw not in out
    rendered = MarkdownIt("commonmark", {"html": False}).render(out)
    assert "<img" not in rendered and "<b>" not in rendered and 'href="javascript' not in rendered
    assert "\\*\\*bold\\*\\*" in out


def test_escape_breaks_autolinks_and_line_starts() -> None:
    for hostile in ("see http://evil.example/x", "visit www.evil.example", "mail a@evil.example"):
        rendered = MarkdownIt("commonmark", {"html": False}).render(escape_markdown(hostile))
        assert "<a" not in rendered and "<code>" in rendered
    assert escape_markdown("- not a list") == "\\- not a list"
    assert escape_markdown("1. not a list") == "1\\. not a list"


def test_only_http_urls_are_linked() -> None:
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://example.com/a>b") is None
    assert safe_url(None) is None


def test_text_drops_terminal_control_characters() -> None:
    hostile = CitedText(
        mode="extractive",
        sentences=[
            CitedSentence(
                text="Red \x1b[31malert\x1b[0m.", citations=[citation(1, "x")], supported=True
            )
        ],
        sources=[source(1)],
    )
    assert "\x1b" not in render_text(hostile)


def test_text_marks_the_asked_for_value_in_its_quote() -> None:
    text = "Pyongyang is sending \ue000approximately 5,000\u00a0engineers\ue001."
    start = text.index("5,000")
    citation = Citation(
        n=1,
        article_id="a",
        chunk_id="a:0",
        start=0,
        end=len(text),
        quote=text,
        highlights=[(start, start + 5)],
    )
    assert marked_line(citation, plain_mark) == (
        "Pyongyang is sending approximately *5,000* engineers."
    )
    assert marked_line(citation.model_copy(update={"highlights": []}), plain_mark) == (
        "Pyongyang is sending approximately 5,000 engineers."
    )
