"""``briefbot watch``: keep feeds current until Ctrl-C (or poll once, for cron)."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Annotated

import typer

from briefbot.cli.common import StoreOption, command, console, err_console, open_bot, safe_message

if TYPE_CHECKING:
    from briefbot.ingest.watch import PollResult


@command("watch")
def watch(
    feeds: Annotated[
        list[str],
        typer.Argument(
            help="RSS/Atom feed URLs to keep current.", metavar="FEED_URL...", show_default=False
        ),
    ],
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Poll interval, e.g. 15m, 90s, 1h or 1h30m (default: BRIEFBOT_WATCH_EVERY_S).",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Poll each feed once and exit (for cron).")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Keep feeds current: poll each one (conditional GET), ingest only new or changed
    entries, back off when a feed fails; one line per poll. Ctrl-C stops."""
    from briefbot.ingest.watch import interval_label, parse_interval

    every_s = parse_interval(every) if every else None
    bot = open_bot(store)
    watcher = bot.feed_watcher()
    watched = list(dict.fromkeys(watcher.add(feed, every_s) for feed in feeds))
    errors = 0

    def report(result: PollResult) -> None:
        nonlocal errors
        errors += result.error is not None
        console.print(safe_message(result.line()))

    if once:
        for feed in watched:
            report(watcher.poll(feed))
        if errors:
            raise typer.Exit(1)
        return
    interval = interval_label(every_s if every_s is not None else bot.settings.watch_every_s)
    err_console.print(
        f"watching {len(watched)} feed{'s' if len(watched) != 1 else ''} every {interval} "
        f"into {safe_message(bot.settings.store_location)}; Ctrl-C stops"
    )
    interrupted = False

    def stop_after_this_poll(_signum: int, _frame: object) -> None:
        # Ctrl-C ends the watch between polls rather than inside a store write; a second
        # Ctrl-C interrupts at once.
        nonlocal interrupted
        interrupted = True
        signal.signal(signal.SIGINT, signal.default_int_handler)
        watcher.stop()

    previous = signal.signal(signal.SIGINT, stop_after_this_poll)
    try:
        watcher.run(report)
    except KeyboardInterrupt:
        interrupted = True
        watcher.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        err_console.print("stopped watching (every poll so far is stored)")
        return
    err_console.print("[red]error:[/red] no feed left to watch: check the addresses above")
    raise typer.Exit(1)
