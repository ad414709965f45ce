"""Embedders behind one small protocol, with a registry by name.

The store records ``Embedder.name``; opening a store with a different embedder is an error,
except that ``minilm`` (the default: the fastest MiniLM backend this CPU runs at torch's
quality) opens a store with the MiniLM backend that built it (``embedder_for_store``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from briefbot.backends.minilm_files import (
    BF16,
    INT8,
    MAX_SEQ_LENGTH,
    converted_dir,
    failed_marker,
    minilm_model_dir,
    model_file,
)
from briefbot.errors import ConfigError, LLMError
from briefbot.settings import Settings
from briefbot.text.tokens import count_llm_tokens_batch, encoding

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Encoding, Tokenizer

__all__ = ["minilm_model_dir"]  # re-exported: callers find the weights here, as before

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors and measures texts in its own tokens."""

    name: str
    dimension: int

    @property
    def max_tokens(self) -> int:
        """Content tokens one text may have before the model truncates it."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of ``text`` (used to split over-long sentences)."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


EmbedderFactory = Callable[[Settings], Embedder]
_REGISTRY: dict[str, EmbedderFactory] = {}


def register_embedder(name: str) -> Callable[[EmbedderFactory], EmbedderFactory]:
    def decorate(factory: EmbedderFactory) -> EmbedderFactory:
        _REGISTRY[name] = factory
        return factory

    return decorate


def embedder_names() -> list[str]:
    return sorted(_REGISTRY)


def create_embedder(settings: Settings) -> Embedder:
    try:
        factory = _REGISTRY[settings.embedder]
    except KeyError:
        raise ConfigError(
            f"BRIEFBOT_EMBEDDER={settings.embedder!r} is not a known embedder; "
            f"choose one of {', '.join(embedder_names())}"
        ) from None
    return factory(settings)


def _normalise(vectors: npt.NDArray[Any]) -> Vectors:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = vectors / norms
    return normalised


# --- local all-MiniLM-L6-v2 -------------------------------------------------------------


TORCH_NAME = "minilm:all-MiniLM-L6-v2"
"""fp32 MiniLM vectors, whether torch or OpenVINO computes them (they agree to a cosine of
0.9999998, docs/benchmarks.md): the name names the vector space, so a store built by one is
read by the other; stores built before other backends existed carry it too."""
BF16_NAME = "minilm-bf16:all-MiniLM-L6-v2"
INT8_NAME = "minilm-int8:all-MiniLM-L6-v2"

_model_lock = threading.Lock()


@lru_cache(maxsize=2)
def _load_sentence_transformer(path: str) -> SentenceTransformer:
    # Weights come from the package on disk; never let the hub library reach the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    return SentenceTransformer(path, device="cpu")


@runtime_checkable
class Preloadable(Protocol):
    """An embedder with weights to load; ``load`` does now what its first use would do."""

    def load(self) -> None: ...


def preload(embedder: Embedder) -> None:
    """Load the embedder's model now, if it has one (a remote embedder has nothing to load)."""
    if isinstance(embedder, Preloadable):
        embedder.load()


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2 on torch, loaded from the local package on first use.

    Creating one costs nothing: torch, sentence-transformers and the weights (seconds of
    start-up) are loaded by the first call that needs them, or by ``load``. Commands that only
    read the store (``briefbot articles``, ``show``, ``delete``) never load them.
    """

    name = TORCH_NAME
    dimension = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.path = str(minilm_model_dir())  # a missing package is an error now, not later
        self.batch_size = batch_size
        self._encode_lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        with _model_lock:  # one load per process, however many threads ask at once
            return _load_sentence_transformer(self.path)

    def load(self) -> None:
        """Load the model now and run it once (torch's first call is slower than the rest)."""
        self.embed(["warm up"])

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        # max_seq_length counts [CLS] and [SEP]; the text itself gets two fewer pieces.
        return int(self.model.max_seq_length or 256) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._encode_lock:  # torch on 2 cores gains nothing from parallel calls
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


# --- MiniLM converted: OpenVINO bf16, ONNX Runtime int8 ------------------------------------


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (``/proc/cpuinfo``); empty where that file is not readable."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def bf16_pays(flags: frozenset[str]) -> bool:
    """bf16 matrix instructions (AVX-512 BF16 or AMX): OpenVINO bf16 beats torch fp32 there."""
    return "avx512_bf16" in flags or "amx_bf16" in flags


@lru_cache(maxsize=2)
def _wordpieces(path: str, truncate: bool) -> Tokenizer:
    """The packaged tokenizer.json, as sentence-transformers uses it: no padding (batches are
    padded to their longest text) and, for embedding, truncation at 256 pieces with specials."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if truncate:
        tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    return tokenizer


class _Runner(Protocol):
    def __call__(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        """The transformer's last hidden state, (batch, sequence, 384) float32."""
        ...


class ConvertedMiniLM:
    """all-MiniLM-L6-v2 run by OpenVINO or ONNX Runtime from a model converted at install time.

    Tokenizer (``tokenizers``, the packaged tokenizer.json), truncation (256 pieces), mean
    pooling and normalisation are sentence-transformers', so token counts are identical and
    vectors match torch's to the cosines in docs/benchmarks.md. The model is loaded (built
    first if missing, ~20 s) on first use; if it cannot be built, this embedder says so in the
    log and embeds with torch.
    """

    dimension = 384
    max_tokens = MAX_SEQ_LENGTH - 2

    def __init__(
        self, name: str, kind: str, folder: Path, batch_size: int = 64, precision: str = "bf16"
    ) -> None:
        self.name = name
        self.kind = kind
        self.folder = folder
        self.precision = precision
        """OpenVINO's inference precision (``bf16``, or ``f32`` for torch's own vectors)."""
        self.path = str(minilm_model_dir())
        self.batch_size = batch_size
        self._runner: _Runner | None = None
        self._torch: MiniLMEmbedder | None = None

    def load(self) -> None:
        self.embed(["warm up"])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = _wordpieces(self.path, False).encode_batch(list(texts), add_special_tokens=False)
        return [len(item.ids) for item in encoded]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        encoded = _wordpieces(self.path, False).encode(text, add_special_tokens=False)
        return [(int(a), int(b)) for a, b in encoded.offsets]

    def _load(self) -> _Runner | None:
        from briefbot.backends.onnx_build import ModelBuildError, ensure_built

        if self._runner is None and self._torch is None:
            try:
                model = ensure_built(self.folder, self.kind)
            except ModelBuildError as exc:
                log.warning("%s: %s; embedding with torch instead", self.name, exc)
                self._torch = MiniLMEmbedder(batch_size=self.batch_size)
                return None
            self._runner = (
                _openvino_runner(model, self.precision)
                if self.kind == BF16
                else _onnx_runner(model)
            )
        return self._runner

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with _converted_lock:  # one model per process; 2 cores gain nothing from parallel calls
            runner = self._load()
            if runner is None:
                assert self._torch is not None
                return self._torch.embed(texts)
            encoded = _wordpieces(self.path, True).encode_batch(list(texts))
            out = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for rows in padding_batches([len(item.ids) for item in encoded], self.batch_size):
                out[rows] = _mean_pool(runner, [encoded[i] for i in rows])
        return _normalise(out)


PADDED_TOKENS_PER_BATCH = 1024
"""A batch holds at most this many padded positions (four full chunks)."""
WIDTH_DROP = 0.75
"""A text shorter than this share of its batch's longest starts a new batch."""


def padding_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indexes of ``lengths`` in batches, longest first, so that little of a batch is padding:
    every batch is padded to its longest text, and a model's cost is the padded positions. A
    question's sixteen sentences of 9 to 48 pieces ran in 152 ms as batches of about four
    against 205 ms as one (OpenVINO fp32, 2 cores), and 64 chunks no slower."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    width = 0
    for index in order:
        full = batches and (
            len(batches[-1]) >= batch_size
            or (len(batches[-1]) + 1) * width > PADDED_TOKENS_PER_BATCH
            or lengths[index] < WIDTH_DROP * width
        )
        if not batches or full:
            batches.append([])
            width = max(lengths[index], 1)
        batches[-1].append(index)
    return batches


_converted_lock = threading.Lock()


def _mean_pool(runner: _Runner, batch: list[Encoding]) -> Vectors:
    width = max(len(item.ids) for item in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, item in enumerate(batch):
        ids[row, : len(item.ids)] = item.ids
        mask[row, : len(item.ids)] = 1
    hidden = runner(ids, mask)
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled: Vectors = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled


@lru_cache(maxsize=4)
def _openvino_runner(model: Path, precision: str) -> _Runner:
    import openvino as ov

    compiled = ov.Core().compile_model(
        str(model), "CPU", {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"}
    )
    request = compiled.create_infer_request()

    def run(ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        result = request.infer(
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        return np.asarray(result[compiled.output(0)], dtype=np.float32)

    return run


@lru_cache(maxsize=2)
def _onnx_runner(model: Path) -> _Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def run(ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray(session.run(None, feed)[0], dtype=np.float32)

    return run


@register_embedder("minilm-torch")
def _minilm_torch(settings: Settings) -> Embedder:
    return MiniLMEmbedder(batch_size=settings.embed_batch_size)


@register_embedder("minilm-bf16")
def _minilm_bf16(settings: Settings) -> Embedder:
    folder = converted_dir(settings.onnx_model_dir)
    return ConvertedMiniLM(BF16_NAME, BF16, folder, batch_size=settings.embed_batch_size)


@register_embedder("minilm-fp32")
def _minilm_fp32(settings: Settings) -> Embedder:
    """torch's fp32 vectors computed by OpenVINO: the same store name, a fraction of the time
    per question (no torch dispatch for a one-line query)."""
    folder = converted_dir(settings.onnx_model_dir)
    return ConvertedMiniLM(
        TORCH_NAME, BF16, folder, batch_size=settings.embed_batch_size, precision="f32"
    )


@register_embedder("minilm-int8")
def _minilm_int8(settings: Settings) -> Embedder:
    folder = converted_dir(settings.onnx_model_dir)
    return ConvertedMiniLM(INT8_NAME, INT8, folder, batch_size=settings.embed_batch_size)


def _openvino_usable(settings: Settings) -> bool:
    folder = converted_dir(settings.onnx_model_dir)
    if find_spec("openvino") is None:
        log.warning("MiniLM on torch: the 'openvino' package is not installed")
        return False
    if failed_marker(folder).exists() and not model_file(folder, BF16).exists():
        log.warning(
            "MiniLM on torch: building the OpenVINO model in %s failed before; "
            "`python -m briefbot.backends.onnx_build --force` tries again",
            folder,
        )
        return False
    return True


@register_embedder("minilm")
def _minilm(settings: Settings) -> Embedder:
    """OpenVINO bf16 where the CPU has bf16 instructions, OpenVINO fp32 (torch's vectors)
    elsewhere, torch where the OpenVINO model cannot be built."""
    if not _openvino_usable(settings):
        return _minilm_torch(settings)
    if bf16_pays(cpu_flags()):
        return _minilm_bf16(settings)
    log.info("MiniLM in fp32: this CPU has no bf16 instructions (avx512_bf16, amx_bf16)")
    return _minilm_fp32(settings)


def _minilm_fp32_or_torch(settings: Settings) -> Embedder:
    return _minilm_fp32(settings) if _openvino_usable(settings) else _minilm_torch(settings)


_BACKEND_BY_RECORD: dict[str, Callable[[Settings], Embedder]] = {
    TORCH_NAME: _minilm_fp32_or_torch,
    BF16_NAME: _minilm_bf16,
    INT8_NAME: _minilm_int8,
}


def embedder_for_store(settings: Settings, recorded: str) -> Embedder | None:
    """The embedder that opens a store recorded as built by ``recorded``, when the configured
    ``minilm`` (the default, which picks a backend per CPU) should follow the store: a store
    keeps the MiniLM backend that built it, so its vectors stay in one space. None otherwise
    (another configured embedder, or a store built by something other than MiniLM)."""
    backend = _BACKEND_BY_RECORD.get(recorded)
    if settings.embedder != "minilm" or backend is None:
        return None
    return backend(settings)


# --- OpenAI embeddings --------------------------------------------------------------------

_OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEmbedder:
    """OpenAI (or compatible) embeddings; tokens measured with cl100k_base."""

    max_tokens = 8191

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        if not settings.llm_configured:
            raise ConfigError(
                "BRIEFBOT_EMBEDDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL) in the "
                "environment or .env"
            )
        self.model = settings.openai_embedding_model
        self.name = f"openai:{self.model}"
        self.dimension = _OPENAI_DIMENSIONS.get(self.model, 1536)
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self.client = OpenAI(
            api_key=key, base_url=settings.openai_base_url, timeout=settings.llm_timeout_s
        )
        self.batch_size = settings.embed_batch_size

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return count_llm_tokens_batch(texts)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        ids = encoding().encode_ordinary(text)
        offsets: list[tuple[int, int]] = []
        position = 0
        for token in ids:
            piece = encoding().decode_single_token_bytes(token).decode("utf-8", errors="ignore")
            offsets.append((position, position + len(piece)))
            position += len(piece)
        return offsets

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            try:
                response = self.client.embeddings.create(model=self.model, input=batch)
            except Exception as exc:  # the SDK raises many types; keep the message only
                raise LLMError(
                    f"embedding request to {self.model} failed: {type(exc).__name__}"
                ) from None
            rows.extend(item.embedding for item in response.data)
        return _normalise(np.array(rows, dtype=np.float32).reshape(len(rows), -1))


@register_embedder("openai")
def _openai(settings: Settings) -> Embedder:
    return OpenAIEmbedder(settings)
