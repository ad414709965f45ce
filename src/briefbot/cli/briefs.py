"""Brief commands: ``brief`` (one cited paragraph) and ``eval brief`` (ROUGE vs LEAD-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from briefbot.cli.common import StoreOption, command, err_console, json_text, open_bot
from briefbot.cli.options import parse_day
from briefbot.errors import BriefbotError

if TYPE_CHECKING:
    from briefbot.briefs.types import BriefMode

Format = Literal["text", "md", "json"]


@command("brief")
def brief(
    article_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Article ids (see `briefbot articles`); several make a story."),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", help="Brief the articles this topic query finds."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only articles published on or after YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only articles published on or before YYYY-MM-DD."),
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this outlet (repeat for several).")
    ] = None,
    max_words: Annotated[
        int | None,
        typer.Option("--max-words", min=5, help="Word limit (default: BRIEFBOT_BRIEF_MAX_WORDS)."),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--format", help="text, md (Markdown, citations as footnotes with quotes) or json."
        ),
    ] = "text",
    mode: Annotated[
        str,
        typer.Option("--mode", help="auto (LLM when configured), extractive (offline) or llm."),
    ] = "auto",
    store: StoreOption = None,
) -> None:
    """One paragraph on an article, a story (several ids) or a topic; every sentence cited."""
    from briefbot.render import render_markdown, render_text

    if output not in ("text", "md", "json"):
        raise BriefbotError(f"--format {output!r}: choose text, md or json")
    if mode not in ("auto", "extractive", "llm"):
        raise BriefbotError(f"--mode {mode!r}: choose auto, extractive or llm")
    result = open_bot(store).brief(
        article_ids=article_ids or None,
        query=query,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until", end=True),
        outlets=source or None,
        max_words=max_words,
        mode=cast("BriefMode", mode),
    )
    if output == "json":
        data = result.to_dict()
        data["word_count"] = result.word_count
        print(json_text(data))
        return
    err_console.print(
        f"brief of {len(result.article_ids)} article{'s' if len(result.article_ids) != 1 else ''}, "
        f"{result.word_count}/{result.max_words} "
        f"words, {result.mode}",
        markup=False,
    )
    print(render_markdown(result) if output == "md" else render_text(result), end="")
