"""Answer commands: ``ask`` (one question) and ``chat`` (follow-ups, reading stdin)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from briefbot.answers.types import Answer
from briefbot.cli.common import StoreOption, command, err_console, json_text, state
from briefbot.cli.options import parse_day
from briefbot.facade import Briefbot
from briefbot.models import SearchFilters
from briefbot.render import Mark, plain_mark, render_markdown, render_text
from briefbot.settings import load_settings

CHAT_HISTORY_TURNS = 5
"""Earlier turns kept for rewriting follow-ups in ``chat``."""

SourceOption = Annotated[
    list[str] | None,
    typer.Option("--source", help="Only this outlet (repeat for several)."),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only articles published on or after YYYY-MM-DD.")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Only articles published on or before YYYY-MM-DD.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Ask as of this day (YYYY-MM-DD): coverage from just before it ranks higher "
        "(default: --until, else now).",
    ),
]
TopKOption = Annotated[
    int | None,
    typer.Option("-k", "--top-k", min=1, help="Passages to retrieve (default: settings)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
MarkdownOption = Annotated[
    bool, typer.Option("--markdown", help="Print Markdown with footnotes instead of text.")
]


def _open(store: str | None, top_k: int | None) -> Briefbot:
    settings = load_settings()
    if top_k is not None:
        settings = settings.model_copy(update={"top_k": top_k})
    return Briefbot.open(store=store or state.store, settings=settings)


def _filters(
    sources: list[str] | None, since: str | None, until: str | None, as_of: str | None
) -> SearchFilters | None:
    filters = SearchFilters(
        outlets=sources or None,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until", end=True),
        as_of=parse_day(as_of, "--as-of", end=True),
    )
    return None if filters.is_empty() and filters.as_of is None else filters


def terminal_mark(value: str) -> str:
    """The asked-for value in bold reverse video, for a terminal."""
    return f"\x1b[1;7m{value}\x1b[0m"


def _mark() -> Mark:
    """Reverse video on a terminal; ``*5,000*`` when piped (no escape codes in files)."""
    return terminal_mark if sys.stdout.isatty() else plain_mark


def _print(answer: Answer, as_json: bool, markdown: bool) -> None:
    if as_json:
        print(json_text(answer.to_dict()))
    elif markdown:
        print(render_markdown(answer), end="")
    else:
        print(render_text(answer, _mark()), end="")


@command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: JsonOption = False,
    markdown: MarkdownOption = False,
    source: SourceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    top_k: TopKOption = None,
    store: StoreOption = None,
) -> None:
    """Answer a question from the store; every sentence cites the span that supports it."""
    bot = _open(store, top_k)
    answer = bot.ask(question, filters=_filters(source, since, until, as_of))
    _print(answer, as_json, markdown)


@command("chat")
def chat(
    as_json: JsonOption = False,
    markdown: MarkdownOption = False,
    source: SourceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    top_k: TopKOption = None,
    store: StoreOption = None,
) -> None:
    """Ask questions one per line (follow-ups understood) until end of input or `exit`."""
    bot = _open(store, top_k)
    filters = _filters(source, since, until, as_of)
    interactive = sys.stdin.isatty()
    history: list[Answer] = []
    while True:
        if interactive:
            err_console.print("[bold]?[/bold] ", end="")
        line = sys.stdin.readline()
        if not line:
            break
        question = line.strip()
        if question.lower() in ("exit", "quit"):
            break
        if not question:
            continue
        answer = bot.ask(question, history=history, filters=filters)
        if answer.standalone_query and not as_json:
            err_console.print(f"(searched: {answer.standalone_query})", markup=False)
        _print(answer, as_json, markdown)
        if not as_json:
            print()
        history = [*history, answer][-CHAT_HISTORY_TURNS:]
