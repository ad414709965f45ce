"""Maintenance commands: ``doctor`` checks the store and, with ``--repair``, fixes it."""

from __future__ import annotations

from typing import Annotated

import typer

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
from briefbot.doctor import Health, diagnose, repair
from briefbot.errors import EmbedderMismatchError


@command("doctor")
def doctor(
    store: StoreOption = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--repair", help="Fix what can be fixed (search indexes, orphans, chunks, BM25)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check the store: index files, orphan chunks, missing chunks, offsets, BM25, embedder."""
    try:
        bot = open_bot(store)
    except EmbedderMismatchError as exc:
        err_console.print(f"[red]embedder:[/red] {safe_message(str(exc))} (cannot be repaired)")
        raise typer.Exit(1) from None
    health = repair(bot) if fix else diagnose(bot)
    if as_json:
        print(json_text(health.to_dict()))
    else:
        _print(health)
    if not health.ok:
        raise typer.Exit(1)


def _print(health: Health) -> None:
    console.print(
        f"{safe_message(health.location)}: {health.articles} articles, {health.chunks} chunks"
    )
    for line in health.repairs:
        console.print(f"[green]repaired[/green] {safe(line)}")
    for finding in health.findings:
        hint = " (fixable with --repair)" if finding.repairable else ""
        console.print(f"[yellow]{finding.check}[/yellow]: {safe(finding.message)}{hint}")
    console.print("store is healthy" if health.ok else f"{len(health.findings)} problems found")
