"""``briefbot eval ...``: evaluations against public research data.

Other concepts register their own ``eval`` commands on ``eval_app`` from their modules.
"""

from __future__ import annotations

import tempfile
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
) -> None:
    """Retrieval recall (hybrid, dense, BM25 vs oracle), answer accuracy and latency."""
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
            progress=say,
        )
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
