"""``briefbot eval ...``: evaluations against public research data.

Other concepts register their own ``eval`` commands on ``eval_app`` from their modules.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from briefbot.cli.common import app, console, err_console, errors_as_messages, safe, state
from briefbot.facade import Briefbot
from briefbot.settings import Settings

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
    from briefbot.evals.datasets import load_realtimeqa, load_rgb
    from briefbot.evals.qa import (
        RGB_NEAR_DUPLICATE,
        audit_corpus_oracle,
        evaluate_realtimeqa,
        evaluate_rgb,
        oracle_audit_markdown,
        realtimeqa_markdown,
        rgb_markdown,
    )

    def say(message: str) -> None:
        err_console.print(safe(message))

    with errors_as_messages(), tempfile.TemporaryDirectory(prefix="briefbot-eval-") as work:
        rtqa = load_realtimeqa(data / "realtimeqa")
        rgb_items = load_rgb(data / "rgb" / "en_fact.jsonl") if rgb else []
        settings = Settings()
        location = store or state.store or str(Path(work) / "realtimeqa-store")
        bot = Briefbot.open(store=location, settings=settings)
        result = evaluate_realtimeqa(bot, rtqa, k, answers=answers, limit=limit, progress=say)
        console.print(safe(realtimeqa_markdown(result)))
        if not limit:
            gaps = audit_corpus_oracle(bot, rtqa, result.retrievers["hybrid"].found_ids)
            console.print(safe(oracle_audit_markdown(gaps, result)))
        if rgb:
            rgb_settings = settings.model_copy(
                update={"near_duplicate_threshold": RGB_NEAR_DUPLICATE}
            )
            rgb_bot = Briefbot.open(
                store=Path(work) / "rgb-store", settings=rgb_settings, embedder=bot.embedder
            )
            rgb_result = evaluate_rgb(rgb_bot, rgb_items, answers=answers, progress=say)
            console.print()
            console.print(safe(rgb_markdown(rgb_result)))
