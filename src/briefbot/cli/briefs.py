"""Brief commands: ``brief`` (one cited paragraph) and ``eval brief`` (ROUGE vs LEAD-3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from briefbot.cli.common import StoreOption, command, console, err_console, open_bot, safe
from briefbot.cli.evals import DEFAULT_DATA, eval_app
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
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    err_console.print(
        f"brief of {len(result.article_ids)} article(s), {result.word_count}/{result.max_words} "
        f"words, {result.mode}",
        markup=False,
    )
    print(render_markdown(result) if output == "md" else render_text(result), end="")


@eval_app.command("brief")
def eval_brief(
    data: Annotated[
        Path, typer.Option("--data", help="Folder holding neus/ and frank/.")
    ] = DEFAULT_DATA,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N items of each set.")
    ] = None,
    offset: Annotated[
        int, typer.Option("--offset", min=0, help="Skip the first N items of each set.")
    ] = 0,
    max_words: Annotated[
        int | None, typer.Option("--max-words", min=5, help="Word budget (default: settings).")
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="neus and/or frank (default: both).")
    ] = None,
) -> None:
    """ROUGE-1/2/L of extractive briefs next to LEAD-3 (NeuS, FRANK), support, time per brief."""
    from rich.progress import BarColumn, Progress, TextColumn

    from briefbot.backends.embedders import create_embedder
    from briefbot.cli.common import errors_as_messages
    from briefbot.evals.briefs import iter_failures, run, table
    from briefbot.settings import load_settings

    with errors_as_messages():
        settings = load_settings()
        embedder = create_embedder(settings)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=err_console,
            transient=True,
        ) as bar:

            def progress(name: str) -> Callable[[int, int], None]:
                task = bar.add_task(name, total=None)

                def update(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return update

            results = run(
                data,
                embedder,
                settings,
                limit=limit,
                offset=offset,
                max_words=max_words,
                sets=tuple(sets or ("neus", "frank")),
                progress=progress,
            )
        console.print(safe(table(results)))
        for failure in iter_failures(results):
            err_console.print(f"[yellow]skipped[/yellow] {safe(failure)}")
