"""Shared CLI plumbing: the typer app, store options, and error-to-message conversion."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from briefbot.errors import BriefbotError
from briefbot.facade import Briefbot
from briefbot.settings import load_settings, redact_userinfo
from briefbot.text.clean import UNSAFE, for_display

app = typer.Typer(
    name="briefbot",
    help="Read the news faster without losing the source.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# emoji=False: ":100:" in a title or file name is text, never a 💯.
console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def json_text(data: Any) -> str:
    """``data`` as indented JSON for the terminal: readable Unicode, but the characters the
    one cleaner removes (``text.clean.UNSAFE``) escaped as ``\\uXXXX`` so none acts on the
    terminal. They can only stand inside strings, so the JSON stays valid."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class State:
    debug: bool = False
    store: str | None = None


state = State()

StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store directory or Chroma server URL (default: settings)."),
]


@app.callback()
def _global_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    store: StoreOption = None,
) -> None:
    state.debug = debug
    state.store = store
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    if not debug:  # bm25s logs its index builds at DEBUG on its own logger
        logging.getLogger("bm25s").setLevel(logging.WARNING)


def open_bot(store: str | None = None) -> Briefbot:
    return Briefbot.open(store=store or state.store, settings=load_settings())


def safe(text: str) -> str:
    """Article-derived text for rich output: markup escaped, control characters dropped."""
    return escape(for_display(text))


def safe_message(text: str) -> str:
    """An error or skip message for rich output: ``safe``, and no URL's ``user:password@``."""
    return safe(redact_userinfo(text))


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn briefbot errors into one line on stderr and exit code 1 (traceback with --debug)."""
    try:
        yield
    except BriefbotError as exc:
        if state.debug:
            raise
        err_console.print(f"[red]error:[/red] {safe_message(str(exc))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.command`` whose body runs inside ``errors_as_messages``."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        @functools.wraps(func)
        def wrapper(*a: Any, **kw: Any) -> Any:
            with errors_as_messages():
                return func(*a, **kw)

        app.command(*args, **kwargs)(wrapper)
        return func

    return decorate


def main() -> None:
    try:
        app()
    except BriefbotError as exc:  # raised outside a command body (e.g. settings)
        print(f"error: {for_display(redact_userinfo(str(exc)))}", file=sys.stderr)
        sys.exit(1)
