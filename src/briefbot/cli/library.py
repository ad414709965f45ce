"""Library commands: ingest, articles, show, delete, search."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from briefbot.cli.common import (
    StoreOption,
    command,
    console,
    err_console,
    json_text,
    open_bot,
    safe,
    safe_message,
)
from briefbot.cli.options import parse_day
from briefbot.models import SearchFilters

REPORT_LINES = 50
"""Articles listed by title after an ingest (the counts cover the rest)."""


@command("ingest")
def ingest(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, URLs or feed URLs.")],
    store: StoreOption = None,
) -> None:
    """Add news to the store (files, directories, web pages, RSS/Atom feeds, JSON Lines)."""
    bot = open_bot(store)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=safe(label[:60]))

        report = bot.ingest(sources, progress=progress)
    console.print(report.summary())
    for kind, article in bot.outcomes(report)[:REPORT_LINES]:
        outlets = ", ".join(article.outlets) or "unknown outlet"
        console.print(f"  {kind}: {safe(article.title)} — {safe(outlets)}")
    for skipped in report.skipped:
        err_console.print(
            f"[yellow]skipped[/yellow] {safe_message(skipped.location)}: "
            f"{safe_message(skipped.reason)}"
        )
    if report.skipped:
        raise typer.Exit(2 if (report.added or report.unchanged or report.replaced) else 1)


@command("articles")
def articles(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List stored articles."""
    found = open_bot(store).articles()
    if as_json:
        rows = [a.model_dump(mode="json", exclude={"text"}) for a in found]
        print(json_text(rows))
        return
    table = Table("id", "published", "outlets", "chunks", "title")
    for a in found:
        table.add_row(
            a.id,
            a.published.date().isoformat() if a.published else "",
            safe(", ".join(a.outlets)),
            str(a.chunk_count),
            safe(a.title),
        )
    console.print(table)
    console.print(f"{len(found)} article{'s' if len(found) != 1 else ''}")


@command("show")
def show(
    article_id: Annotated[str, typer.Argument(help="Article id (see `briefbot articles`).")],
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one article with its metadata and full text."""
    article = open_bot(store).article(article_id)
    if as_json:
        print(json_text(article.model_dump(mode="json")))
        return
    console.print(f"[bold]{safe(article.title)}[/bold]")
    console.print(
        " · ".join(
            part
            for part in (
                safe(", ".join(article.outlets)) or "unknown outlet",
                article.published.isoformat() if article.published else "undated",
                safe(", ".join(article.authors)),
                safe(article.url or article.key),
            )
            if part
        )
    )
    console.print(f"id {article.id} · {article.chunk_count} chunks\n")
    console.print(safe(article.text))


@command("delete")
def delete(
    article_id: Annotated[str, typer.Argument(help="Article id.")],
    store: StoreOption = None,
) -> None:
    """Delete an article and all its chunks."""
    removed = open_bot(store).delete(article_id)
    console.print(f"deleted {article_id} ({removed} chunks)")


@command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="Number of hits.", min=1, max=100)] = 5,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these outlets.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Search as of this day (YYYY-MM-DD): recent coverage ranks higher."
        ),
    ] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the store; every hit shows its source and the quoted text."""
    filters = SearchFilters(
        outlets=source or None,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until", end=True),
        as_of=parse_day(as_of, "--as-of", end=True),
    )
    hits = open_bot(store).search(query, k=k, filters=filters)
    if as_json:
        print(json_text([h.to_dict() for h in hits]))
        return
    if not hits:
        console.print("no matching passages")
    for rank, hit in enumerate(hits, start=1):
        date = hit.published.date().isoformat() if hit.published else "undated"
        console.print(
            f"[bold]{rank}. {safe(hit.title)}[/bold] — {safe(hit.source) or 'unknown outlet'}, "
            f"{date} "
            f"(similarity {hit.similarity if hit.similarity is not None else hit.score:.2f}, "
            f"{hit.chunk.id}, chars {hit.chunk.start}-{hit.chunk.end})"
        )
        console.print(f"   “{safe(hit.quote)}”\n")
