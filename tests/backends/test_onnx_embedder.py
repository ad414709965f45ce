"""MiniLM converted for OpenVINO (bf16) and ONNX Runtime (int8): same tokens, vectors close to
torch's, the CPU check, a failed build remembered, and stores that keep their backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from briefbot import Briefbot, Settings
from briefbot.backends import embedders, onnx_build
from briefbot.backends.embedders import (
    BF16_NAME,
    INT8_NAME,
    TORCH_NAME,
    ConvertedMiniLM,
    Embedder,
    MiniLMEmbedder,
    create_embedder,
)
from briefbot.backends.minilm_files import BF16, INT8, failed_marker, model_file
from briefbot.backends.store import ChromaStore
from briefbot.errors import EmbedderMismatchError
from tests.conftest import SEED_FILE

pytestmark = pytest.mark.real_model

LONG = " ".join(
    f"The ministry said {n} households in Kharkiv were without power." for n in range(60)
)
TEXTS = [
    "How many people were evacuated from the flooded villages on Sunday?",
    "Ukraine's foreign minister, Dmytro Kuleba, met his counterparts in Brussels.",
    "Le président a déclaré « nous ne céderons pas » — naïve café, Zürich, São Paulo.",
    "东京 and 北京 signed a trade deal; shares rose 3.5% to ¥12,340 😀.",
    "Rates: 4.25%–4.50%. GDP +2.1% y/y (Q3 2024), CPI 3.2%.",
    "a",
    "",
    "   leading and trailing spaces   ",
    LONG,  # far beyond 256 word pieces: truncated as sentence-transformers does
    SEED_FILE.read_text(encoding="utf-8")[:5000],
]


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both converted models, built once for the session from the packaged weights (~20 s)."""
    folder = tmp_path_factory.mktemp("converted-minilm")
    onnx_build.build(folder)
    return folder


def _settings(folder: Path, tmp_path: Path, embedder: str = "minilm") -> Settings:
    return Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "store", onnx_model_dir=folder, embedder=embedder, _env_file=None
    )


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


def test_the_long_text_is_longer_than_the_model_reads(minilm: Embedder) -> None:
    assert minilm.count_tokens([LONG])[0] > 3 * 256


@pytest.mark.parametrize(
    ("name", "floor"), [("minilm-fp32", 0.99999), ("minilm-bf16", 0.99), ("minilm-int8", 0.98)]
)
def test_converted_vectors_are_close_to_torch(
    name: str, floor: float, converted: Path, tmp_path: Path, minilm: Embedder
) -> None:
    embedder = create_embedder(_settings(converted, tmp_path, name))
    assert isinstance(embedder, ConvertedMiniLM)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = _cosines(vectors, minilm.embed(TEXTS))
    report = dict(zip(TEXTS, cosines.round(4), strict=True))
    if name == "minilm-int8":  # int8 loses most on the empty text ([CLS][SEP] alone): 0.97
        assert report.pop("") >= 0.95 and cosines.mean() >= 0.99
    assert min(report.values()) >= floor, report
    # Order and batching do not change a text's vector.
    again = embedder.embed(list(reversed(TEXTS)))[::-1]
    assert _cosines(vectors, again).min() > 0.999


def test_token_counts_and_offsets_are_torchs(
    converted: Path, tmp_path: Path, minilm: Embedder
) -> None:
    embedder = create_embedder(_settings(converted, tmp_path, "minilm-bf16"))
    assert embedder.max_tokens == minilm.max_tokens == 254
    assert embedder.count_tokens(TEXTS) == minilm.count_tokens(TEXTS)
    assert embedder.count_tokens([]) == []
    for text in TEXTS:
        assert embedder.token_offsets(text) == minilm.token_offsets(text)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}, BF16_NAME),  # AMD EPYC (Zen 4/5)
        ({"avx2", "avx512f", "amx_tile", "amx_bf16", "amx_int8"}, BF16_NAME),  # Xeon with AMX
        ({"avx2", "avx512f", "avx512_vnni"}, TORCH_NAME),  # VNNI but no bf16: fp32
        ({"avx2", "fma"}, TORCH_NAME),  # AMD EPYC with AVX2 only: fp32
        (set(), TORCH_NAME),  # no /proc/cpuinfo
    ],
)
def test_the_default_uses_openvino_bf16_only_where_the_cpu_has_bf16(
    flags: set[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedders, "cpu_flags", lambda: frozenset(flags))
    embedder = create_embedder(_settings(tmp_path / "models", tmp_path))
    assert embedder.name == expected
    assert isinstance(embedder, ConvertedMiniLM)  # OpenVINO either way, fp32 without bf16
    assert embedder.precision == ("f32" if expected == TORCH_NAME else "bf16")
    torch = create_embedder(_settings(tmp_path, tmp_path, "minilm-torch"))
    assert isinstance(torch, MiniLMEmbedder) and torch.name == TORCH_NAME


def test_batches_pad_little_and_keep_every_text() -> None:
    lengths = [48, 9, 43, 10, 39, 13, 33, 16, 30, 16, 29, 17, 25, 21, 22, 21]
    batches = embedders.padding_batches(lengths, batch_size=64)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded < 1.3 * sum(lengths) < len(lengths) * max(lengths)
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert min(lengths[i] for i in batch) >= embedders.WIDTH_DROP * longest
    chunks = embedders.padding_batches([256] * 10, batch_size=64)
    assert [len(b) for b in chunks] == [4, 4, 2]  # 1,024 padded positions at most
    assert [len(b) for b in embedders.padding_batches([5] * 10, batch_size=3)] == [3, 3, 3, 1]
    assert embedders.padding_batches([], batch_size=8) == []


def test_the_cpu_flags_are_read_from_proc_cpuinfo() -> None:
    flags = embedders.cpu_flags()
    if Path("/proc/cpuinfo").exists():
        assert "sse2" in flags


def test_a_failed_build_falls_back_to_torch_and_is_not_retried(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    minilm: Embedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[Path] = []

    def broken(folder: Path, source: Path | None = None, force: bool = False) -> None:
        calls.append(folder)
        raise RuntimeError("converter exploded")

    monkeypatch.setattr(onnx_build, "build", broken)
    monkeypatch.setattr(embedders, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    folder = tmp_path / "models"
    settings = _settings(folder, tmp_path)
    first = create_embedder(settings)
    assert isinstance(first, ConvertedMiniLM)
    vectors = first.embed(TEXTS[:3])  # this process goes on with torch, and says so
    assert np.allclose(vectors, minilm.embed(TEXTS[:3]), atol=1e-5)
    assert "converter exploded" in caplog.text and "torch" in caplog.text
    assert "converter exploded" in failed_marker(folder).read_text(encoding="utf-8")
    assert len(calls) == 1

    caplog.clear()
    second = create_embedder(settings)  # the next start goes straight to torch
    assert isinstance(second, MiniLMEmbedder)
    assert "failed before" in caplog.text
    forced = create_embedder(_settings(folder, tmp_path, "minilm-bf16"))
    forced.embed(["x"])
    assert len(calls) == 1
    with pytest.raises(onnx_build.ModelBuildError, match="--force"):
        onnx_build.ensure_built(folder, BF16)


def test_a_missing_model_is_built_at_first_use(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "models"
    calls: list[Path] = []

    def copy(target: Path, source: Path | None = None, force: bool = False) -> None:
        calls.append(target)
        for kind in (BF16, INT8):
            model = model_file(target, kind)
            model.parent.mkdir(parents=True)
            for part in model_file(converted, kind).parent.iterdir():
                (model.parent / part.name).symlink_to(part)

    monkeypatch.setattr(onnx_build, "build", copy)
    embedder = create_embedder(_settings(folder, tmp_path, "minilm-int8"))
    assert not calls  # creating costs nothing
    assert embedder.embed(["one", "two"]).shape == (2, 384)
    assert calls == [folder] and embedder.name == INT8_NAME


def test_a_store_keeps_the_backend_that_built_it(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm: Embedder
) -> None:
    monkeypatch.setattr(embedders, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    old = _settings(converted, tmp_path / "old")
    ChromaStore(old, TORCH_NAME, 384)  # a store built before the converted backends existed
    bot = Briefbot.open(settings=old)  # its fp32 vectors: OpenVINO computes them in fp32
    assert isinstance(bot.embedder, ConvertedMiniLM) and bot.embedder.name == TORCH_NAME
    assert bot.embedder.precision == "f32"

    new = _settings(converted, tmp_path / "new")
    bot = Briefbot.open(settings=new)
    assert bot.embedder.name == BF16_NAME
    monkeypatch.setattr(embedders, "cpu_flags", lambda: frozenset())  # moved to another CPU
    assert Briefbot.open(settings=new).embedder.name == BF16_NAME

    # A backend named explicitly is a choice, not a default: a mismatch is still an error.
    with pytest.raises(EmbedderMismatchError, match="minilm:all-MiniLM-L6-v2"):
        Briefbot.open(settings=old.model_copy(update={"embedder": "minilm-int8"}))
    with pytest.raises(EmbedderMismatchError):
        Briefbot.open(
            settings=old, embedder=create_embedder(_settings(converted, tmp_path, "minilm-bf16"))
        )
