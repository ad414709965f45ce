"""Pure formatting of the app: escaping, quote context, labels and the Markdown export."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import SecretStr

from briefbot import Settings
from briefbot.citations import Citation, CitedSentence, CitedText, SourceRef, Usage
from briefbot.text.clean import for_display
from briefbot.ui import text as fmt

PARSER = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")


def render(markdown: str) -> str:
    return PARSER.render(markdown)


FRAGMENTS = st.sampled_from(
    [
        "http://evil.example/x",
        "www.evil.example",
        "a@b.example",
        "mailto:x",
        "`",
        "``",
        "[",
        "](",
        ")",
        "<script>",
        "**",
        "_",
        "$",
        ":red[",
        "&amp;",
        "\\",
        "# ",
        "\n",
        " ",
        "1. ",
        "> ",
    ]
)
SOURCE_TEXT = st.lists(
    FRAGMENTS | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])),
    max_size=12,
).map("".join)


@given(SOURCE_TEXT)
def test_escaped_inline_text_renders_as_exactly_itself(text: str) -> None:
    rendered = render(fmt.md_escape_inline(text))
    tags = set(re.findall(r"<(/?\w+)", rendered))
    assert tags <= {"p", "/p", "code", "/code"}
    shown = html.unescape(re.sub(r"</?(p|code)>", "", rendered)).strip()
    assert shown == re.sub(r"\s+", " ", for_display(text)).strip()


def test_links_become_code_spans_never_links() -> None:
    rendered = render(fmt.md_escape_inline("see [x](http://evil.example) or www.evil.example"))
    assert "<a" not in rendered
    assert "<code>http://evil.example</code>)" in rendered
    assert "<code>www.evil.example</code>" in rendered


def test_hostile_markup_stays_literal() -> None:
    hostile = "[click](http://evil) <script>alert(1)</script> ![x](y) **b** `c` # h\n> q"
    rendered = render(fmt.md_escape(hostile))
    assert "<a" not in rendered and "<script" not in rendered and "<img" not in rendered
    assert "<strong>" not in rendered and "<code>c" not in rendered and "<h1>" not in rendered
    assert "[click](<code>http://evil</code>)" in rendered
    assert "&lt;script&gt;" in rendered


def test_paragraphs_are_kept_and_lines_joined() -> None:
    text = "First line\nsame paragraph.\n\n\n  Second paragraph.  \n"
    assert fmt.md_escape(text) == "First line same paragraph.\n\nSecond paragraph."


def test_control_characters_are_dropped() -> None:
    assert for_display("a\x1b[31mb\x00c\nd\te") == "a[31mbc\nd\te"


def test_quote_context_is_the_paragraph_around_the_span() -> None:
    text = "Intro paragraph.\n\nBefore the quote. THE QUOTE. After it.\n\nNext paragraph."
    start = text.index("THE QUOTE")
    context = fmt.quote_context(text, start, start + len("THE QUOTE."))
    assert context == fmt.QuoteContext("Before the quote. ", "THE QUOTE.", " After it.")
    assert fmt.context_markdown(context) == "Before the quote. **THE QUOTE.** After it."


def test_quote_context_trims_long_paragraphs_at_word_boundaries() -> None:
    words = " ".join(f"w{i}" for i in range(400))
    text = f"{words} QUOTE {words}"
    start = text.index("QUOTE")
    context = fmt.quote_context(text, start, start + 5, max_side=50)
    assert context.quote == "QUOTE"
    assert context.before.startswith("…") and len(context.before) <= 52
    assert context.after.endswith("…") and len(context.after) <= 52
    assert text[start - len(context.before) + 1 : start] == context.before[1:]


def test_bold_quote_survives_punctuation_at_its_edges() -> None:
    context = fmt.QuoteContext("He said", "“5,000 engineers”", "(reportedly).")
    rendered = render(fmt.context_markdown(context))
    assert "<strong>“5,000 engineers”</strong>" in rendered


def test_safe_url_keeps_only_web_links() -> None:
    assert fmt.safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert fmt.safe_url("javascript:alert(1)") is None
    assert fmt.safe_url("data:text/html,<b>") is None
    assert fmt.safe_url("file:///etc/passwd") is None
    assert fmt.safe_url(None) is None


def test_engine_label_names_model_and_server_never_the_key() -> None:
    offline = Settings(_env_file=None)  # type: ignore[call-arg]
    assert fmt.engine_label(offline).startswith("Extractive")
    llm = Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_api_key=SecretStr("sk-very-secret"),
        openai_base_url="http://127.0.0.1:8080/v1",
        llm_model="smollm2",
    )
    label = fmt.engine_label(llm)
    assert label == "LLM: smollm2 at http://127.0.0.1:8080/v1"
    assert "sk-very-secret" not in label


def test_search_filters_cover_whole_days() -> None:
    filters = fmt.search_filters(["Yonhap"], date(2024, 11, 1), date(2024, 11, 3))
    assert filters.since == datetime(2024, 11, 1, tzinfo=UTC)
    assert filters.until is not None and filters.until.date() == date(2024, 11, 3)
    assert filters.until.hour == 23
    assert fmt.describe_filters(filters) == "outlets Yonhap; published 2024-11-01 to 2024-11-03"
    assert fmt.search_filters().is_empty()
    assert fmt.describe_filters(fmt.search_filters()) == "all articles"


def _cited() -> CitedText:
    quote = "Pyongyang is sending approximately 5,000 engineers."
    cite = Citation(n=1, article_id="a1", chunk_id="a1:0000", start=10, end=61, quote=quote)
    return CitedText(
        mode="extractive",
        sentences=[
            CitedSentence(
                text="Pyongyang is sending 5,000 engineers.", citations=[cite], supported=True
            ),
            CitedSentence(text="They arrived in May.", citations=[cite], supported=False),
        ],
        sources=[
            SourceRef(
                n=1,
                article_id="a1",
                title="Troops [sic]",
                outlet="Yonhap",
                published=datetime(2024, 11, 2, tzinfo=UTC),
                url="https://y.example/1",
            )
        ],
    )


def test_cited_markdown_marks_unsupported_sentences() -> None:
    markdown = fmt.cited_markdown(_cited())
    assert markdown == (
        "Pyongyang is sending 5,000 engineers. \\[1\\] "
        f"{fmt.UNSUPPORTED_BADGE} They arrived in May. \\[1\\]"
    )


def test_citation_label_is_escaped_and_shortened() -> None:
    cited = _cited()
    citation = cited.sentences[0].citations[0]
    label = fmt.citation_label(citation, cited.sources[0], width=20)
    assert label.startswith("\\[1\\] “Pyongyang is sending…” — Troops \\[sic\\]")


def test_provenance_names_engine_sources_and_cost() -> None:
    cited = _cited()
    assert fmt.provenance(cited) == "extractive engine · 1 source"
    cited.mode = "llm"
    cited.usage = Usage(
        prompt_tokens=1200, completion_tokens=80, estimated_cost_usd=0.00023, model="gpt-4o-mini"
    )
    assert fmt.provenance(cited) == (
        "llm engine · 1 source · gpt-4o-mini: 1,200 prompt + 80 answer tokens · about $0.0002"
    )


def test_day_range_of_date_input_values() -> None:
    day, other = date(2024, 11, 1), date(2024, 11, 3)
    assert fmt.day_range(()) == (None, None)
    assert fmt.day_range((day,)) == (day, day)
    assert fmt.day_range((day, other)) == (day, other)
    assert fmt.day_range(day) == (day, day)
    assert fmt.day_range(None) == (None, None)


@given(SOURCE_TEXT)
def test_streamed_draft_is_marked_quoted_and_literal(text: str) -> None:
    markdown = fmt.draft_markdown(text)
    assert markdown.startswith(f":gray[*{fmt.DRAFT_NOTICE}")
    rendered = render(markdown)
    assert "<blockquote>" in rendered
    tags = set(re.findall(r"<(/?\w+)", rendered))
    assert tags <= {"p", "/p", "code", "/code", "em", "/em", "blockquote", "/blockquote"}
    shown = html.unescape(re.sub(r"</?(p|code|em|blockquote)>", "", rendered))
    for word in re.findall(r"\w+", for_display(text)):
        assert word in shown


def test_draft_keeps_paragraphs_inside_the_quote() -> None:
    rendered = render(fmt.draft_markdown("North Korea sent 5,000 engineers.\n\nSeoul said so."))
    quote = rendered.split("<blockquote>")[1].split("</blockquote>")[0]
    assert "5,000 engineers." in quote and "Seoul said so. ▌" in quote


def test_tone_and_counts_in_plain_words() -> None:
    assert [fmt.tone_label(x) for x in (-0.4, -0.04, 0.0, 0.049, 0.05)] == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
    ]
    assert fmt.plural(1, "fact") == "1 fact" and fmt.plural(3, "fact") == "3 facts"
    assert fmt.plural(2, "party", "parties") == "2 parties"


def test_a_finding_without_a_cue_has_no_empty_bold_label() -> None:
    assert fmt.finding_label("", "The plan is a disgrace.") == "“The plan is a disgrace.”"
    assert fmt.finding_label("disgrace", "The plan is a disgrace.").startswith("**disgrace** · ")
