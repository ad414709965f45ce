"""``briefbot eval ...``: every evaluation against public research data, in one place."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from briefbot.cli.common import app, console, err_console, errors_as_messages, safe, state
from briefbot.settings import load_settings

eval_app = typer.Typer(
    help="Measure briefbot on public research data (benchmarks, not tests).",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"


@eval_app.command("qa")
def qa(
    data: Annotated[
        Path, typer.Option("--data", help="Folder holding realtimeqa/ and rgb/en_fact.jsonl.")
    ] = DEFAULT_DATA,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="RealTimeQA store to build or reuse (ingest is idempotent); "
            "default: a temporary directory.",
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, help="Passages per question.")] = 5,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N RealTimeQA questions.")
    ] = None,
    answers: Annotated[
        bool, typer.Option("--answers/--no-answers", help="Also score `ask` answers.")
    ] = True,
    rgb: Annotated[bool, typer.Option("--rgb/--no-rgb", help="Also run RGB.")] = True,
    crossval: Annotated[
        bool,
        typer.Option(
            "--crossval/--no-crossval",
            help="Lead with leave-one-week-out figures (settings chosen on the other weeks).",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Retrieval recall (hybrid, dense, BM25 vs oracle), answer accuracy and latency; first,
    every setting chosen on three weeks and measured on the fourth."""
    from briefbot.evals.qa import run_qa

    def say(message: str) -> None:
        err_console.print(safe(message))

    with errors_as_messages(), tempfile.TemporaryDirectory(prefix="briefbot-eval-") as work:
        location = store or state.store or str(Path(work) / "realtimeqa-store")
        report = run_qa(
            data,
            location,
            load_settings(),
            Path(work),
            k=k,
            answers=answers,
            limit=limit,
            rgb=rgb,
            crossval=crossval,
            progress=say,
        )
        if as_json:
            print(json.dumps(report.to_dict(), indent=2))
        else:
            console.print(safe("\n\n".join(report.sections)))


@eval_app.command("verify")
def verify(
    data: Annotated[
        Path,
        typer.Option("--data", help="Folder holding frank/ (articles/, human_annotations.json)."),
    ] = DEFAULT_DATA,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N judged summaries.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Agreement of the support checker with human factuality judgements (FRANK)."""
    import json

    from briefbot.backends.embedders import create_embedder
    from briefbot.evals.verify import evaluate_verify, verify_markdown

    def say(message: str) -> None:
        err_console.print(safe(message))

    with errors_as_messages():
        settings = load_settings()
        report = evaluate_verify(data, create_embedder(settings), settings, limit, progress=say)
        if as_json:
            print(json.dumps(report.to_dict(), indent=2))
        else:
            console.print(safe(verify_markdown(report)))


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


@eval_app.command("framing")
def framing_eval(
    data: Annotated[
        Path, typer.Option("--data", help="Folder holding basil/ and neus/allsides_stories.jsonl.")
    ] = DEFAULT_DATA,
    embedder: Annotated[
        str | None,
        typer.Option(
            "--embedder",
            help="Embedder aligning BASIL triplets for the omission metric (default: the "
            "configured one); 'none' skips that metric.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N articles/stories.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Loaded-term precision/recall (BASIL) and per-lean density (NeuS), beside a baseline."""
    from briefbot.backends.embedders import create_embedder
    from briefbot.evals.datasets import load_allsides, load_basil
    from briefbot.evals.framing import evaluate_basil, evaluate_neus, render_markdown
    from briefbot.framing.lexicons import load_lexicon
    from briefbot.settings import load_settings

    with errors_as_messages():
        settings = load_settings()
        lexicon = load_lexicon(settings.framing_lexicon_dir)
        aligner = None
        if embedder != "none":
            name = embedder or settings.embedder
            err_console.print(f"aligning BASIL triplets with the {safe(name)} embedder")
            aligner = create_embedder(settings.model_copy(update={"embedder": name}))
        basil = evaluate_basil(
            load_basil(data / "basil", limit),
            lexicon,
            aligner,
            settings.framing_similarity,
        )
        neus = evaluate_neus(
            load_allsides(data / "neus" / "allsides_stories.jsonl", limit), lexicon
        )
        if as_json:
            print(
                json.dumps(
                    {"basil": basil.model_dump(), "neus": [r.model_dump() for r in neus]}, indent=2
                )
            )
            return
        console.print(safe(render_markdown(basil, neus)))
