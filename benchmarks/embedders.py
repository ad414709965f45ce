"""MiniLM backends: throughput, cosine to torch and dense recall@5 on RealTimeQA.

    .venv/bin/python benchmarks/embedders.py --store DIR [--data ../shared/data] [--texts 128]
        [--rounds 3] [--no-write]

``--store`` is a RealTimeQA store (`benchmarks/ingest.py`; copied, never written); built with
torch MiniLM, its vectors are torch's, else torch embeds its chunks too (about 13 minutes).
Throughput: the same chunk texts (every n-th chunk of the store) through torch
(sentence-transformers, the baseline), OpenVINO fp32 and bf16 and ONNX Runtime int8, in alternating
rounds after a warm-up; texts/s is the median of the rounds. Cosine: each backend's vectors
against torch's on those texts. Dense recall@5: every chunk of the store embedded by each
backend and each question's top 5 by exact cosine (no recency prior, no MMR: the embedding
alone), scored as `benchmarks/qa.py` scores it.
Decision rule (issue 16): a backend may be the default only where its recall@5 is within one
point of torch's and its mean cosine to torch is at least 0.99.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Settings
from briefbot.backends.embedders import (
    TORCH_NAME,
    Embedder,
    bf16_pays,
    cpu_flags,
    create_embedder,
)
from briefbot.backends.onnx_build import build
from briefbot.evals.datasets import load_realtimeqa
from briefbot.evals.scoring import contains_any

SECTION = "Embedders: MiniLM on torch, OpenVINO bf16 and ONNX Runtime int8"
BACKENDS = {
    "minilm-torch": "torch fp32 (sentence-transformers)",
    "minilm-fp32": "OpenVINO fp32",
    "minilm-bf16": "OpenVINO bf16",
    "minilm-int8": "ONNX Runtime int8",
}
FLAGS_SHOWN = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def _chunks(store: Path) -> tuple[list[str], np.ndarray | None]:
    """Every chunk text of the store and, for a store built by torch, the vectors it holds."""
    import chromadb

    client = chromadb.PersistentClient(str(store))
    name = next(c.name for c in client.list_collections() if c.name.endswith("-chunks"))
    collection = client.get_collection(name)
    recorded = (collection.metadata or {}).get("embedder")
    texts: list[str] = []
    vectors: list[Any] = []
    total = collection.count()
    for offset in range(0, total, 2000):
        page = collection.get(include=["documents", "embeddings"], limit=2000, offset=offset)
        texts += page["documents"]
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
    return texts, np.concatenate(vectors) if recorded == TORCH_NAME else None


def _recall(
    chunk_vectors: np.ndarray,
    question_vectors: np.ndarray,
    texts: list[str],
    answers: list[list[str]],
    k: int = 5,
) -> float:
    found = 0
    for question, gold in zip(question_vectors, answers, strict=True):
        top = np.argsort(-(chunk_vectors @ question))[:k]
        found += contains_any([texts[i] for i in top], gold)
    return found / len(answers)


def _cpu_id() -> str:
    """Vendor, family and model from /proc/cpuinfo (a VM may show only a generic model name)."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "CPU unknown"
    fields = dict(line.split(":", 1) for line in lines[:30] if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    return (
        f"{fields.get('vendor_id', '?')} family {fields.get('cpu family', '?')} "
        f"model {fields.get('model', '?')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="RealTimeQA store (torch).")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--texts", type=int, default=128, help="Chunk texts for throughput.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="onnx-bench-"))
    try:
        copy = work / "store"
        shutil.copytree(args.store, copy, ignore=shutil.ignore_patterns("write.lock"))
        texts, stored = _chunks(copy)
        models = work / "models"
        build_started = time.perf_counter()
        build(models)
        build_s = time.perf_counter() - build_started
        settings = Settings(onnx_model_dir=models, _env_file=None)  # type: ignore[call-arg]
        embedders: dict[str, Embedder] = {
            name: create_embedder(settings.model_copy(update={"embedder": name}))
            for name in BACKENDS
        }
        step = max(1, len(texts) // args.texts)
        sample = texts[::step][: args.texts]
        for embedder in embedders.values():
            embedder.embed(sample[:8])  # warm-up: load, first-call costs
        seconds: dict[str, list[float]] = {name: [] for name in BACKENDS}
        vectors: dict[str, np.ndarray] = {}
        for round_ in range(args.rounds):
            order = list(BACKENDS) if round_ % 2 == 0 else list(reversed(BACKENDS))
            for name in order:
                tick = time.perf_counter()
                vectors[name] = embedders[name].embed(sample)
                seconds[name].append(time.perf_counter() - tick)
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{n} {seconds[n][-1]:.1f} s" for n in BACKENDS),
                file=sys.stderr,
            )

        data = load_realtimeqa(args.data / "realtimeqa")
        questions = [q.question for q in data.questions]
        answers = [q.answers for q in data.questions]
        rows = []
        recall: dict[str, float] = {}
        for name, label in BACKENDS.items():
            embedder = embedders[name]
            if name == "minilm-torch" and stored is not None:
                chunk_vectors = stored
            else:
                print(f"embedding {len(texts)} chunks with {label}", file=sys.stderr)
                chunk_vectors = embedder.embed(texts)
            if stored is None:  # built by another backend: torch's vectors come first
                stored = chunk_vectors
            recall[name] = _recall(chunk_vectors, embedder.embed(questions), texts, answers)
            cosines = (vectors[name] * vectors["minilm-torch"]).sum(axis=1)
            chunk_cos = (chunk_vectors * stored).sum(axis=1)
            rate = len(sample) / statistics.median(seconds[name])
            # Each round's torch time over this backend's, run back to back: the load of other
            # work on the machine changes between rounds more than within one.
            spread = [t / b for t, b in zip(seconds["minilm-torch"], seconds[name], strict=True)]
            speedup = statistics.median(spread)
            ok = recall[name] >= recall["minilm-torch"] - 0.01 and float(cosines.mean()) >= 0.99
            verdict = "baseline" if name == "minilm-torch" else "yes" if ok else "no"
            rows.append(
                f"| {label} (`{name}`) | {rate:.1f} | {speedup:.2f}x "
                f"({min(spread):.2f}-{max(spread):.2f}) | "
                f"{cosines.mean():.5f} / {cosines.min():.5f} | "
                f"{chunk_cos.mean():.5f} / {chunk_cos.min():.5f} | "
                f"{recall[name]:.1%} | {verdict} |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    flags = cpu_flags()
    shown = ", ".join(f for f in FLAGS_SHOWN if f in flags) or "none of " + ", ".join(FLAGS_SHOWN)
    default = "OpenVINO bf16" if bf16_pays(flags) else "OpenVINO fp32"
    command = " ".join(["python", "benchmarks/embedders.py", *map(shlex.quote, sys.argv[1:])])
    text = "\n\n".join(
        [
            f"{stamp()}; {machine()}, {_cpu_id()}; CPU flags that matter here: {shown}.",
            f"Command: `{command}` ({time.perf_counter() - started:.0f} s; building both "
            f"converted models took {build_s:.0f} s).",
            f"Throughput: {len(sample)} chunk texts of the RealTimeQA store (every {step}th of "
            f"{len(texts)}), {args.rounds} rounds after a warm-up, each running every backend back "
            "to back (the order reversed every other round); texts/s of the median round; vs "
            "torch = the median over rounds of torch's time over the backend's in that round "
            "(the range of rounds in brackets); batch 64, while other work may share the 2 cores. "
            "Cosine to torch: "
            "on those texts, and on every chunk of the store against torch's vector. Dense "
            f"recall@5: {len(questions)} questions, each chunk's vector by that backend, exact "
            "cosine top 5 (no recency prior or MMR, so it is lower than the retriever's dense "
            "figure in the QA section), the gold string counted as in the QA section.",
            "\n".join(
                [
                    "| backend | texts/s | vs torch | cosine to torch, sample (mean / min) | "
                    "cosine to torch, every chunk (mean / min) | dense recall@5 | "
                    "may be the default |",
                    "|---|---|---|---|---|---|---|",
                    *rows,
                ]
            ),
            "Decision rule: a backend may be the default only where it keeps dense recall@5 "
            "within one point of torch's in the same run and a mean cosine of at least 0.99 to "
            "the torch vectors. `minilm` (the default) is OpenVINO bf16 on CPUs with "
            "`avx512_bf16` or `amx_bf16` (without them OpenVINO runs the bf16 hint in fp32, so "
            "that row is fp32 there) and OpenVINO fp32 elsewhere, torch's own vectors with less "
            "overhead per call (it matters for a one-line question more than for these "
            "batches); ONNX Runtime int8 "
            "stays opt-in (`BRIEFBOT_EMBEDDER=minilm-int8`) wherever it misses the recall rule. "
            f"On this machine the default is {default}.",
        ]
    )
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
