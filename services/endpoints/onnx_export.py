"""A text-minilm model as ONNX, so an endpoint serves it with ONNX Runtime and no PyTorch.

``export_minilm(artifact)`` loads the saved predictor (fine-tuned encoder, or the packaged frozen
encoder, plus the head), traces ``input_ids, attention_mask → class probabilities`` (mean pooling,
the optional L2 normalisation and the softmax are inside the graph) with dynamic batch and sequence
axes, and writes into ``<artifact>/onnx/``:

* ``model.onnx``: the graph, with ONNX Runtime's BERT fusions applied (attention, embedding
  layer-norm, GELU), which roughly halves single-review latency on a CPU, then
  (by default) its weights dynamically quantised to INT8 per channel (``quantize_graph``), which cuts
  single-review latency by about 2.5× again and the file from 90 MB to 23 MB;
* ``tokenizer.json``: the fast (Rust ``tokenizers``) tokenizer the model was trained with;
* ``tfidf/``: the model's text-tfidf part, when its ``combination`` uses one (``text_ensemble``);
* ``manifest.json``: classes, problem type, text columns, sequence length, the ``combination`` (TF-IDF
  weight and class offsets, applied after the graph), the graph's input and output names, versions,
  whether the graph is quantised, and the largest probability difference from PyTorch found when checking
  (``max_abs_difference`` for the served graph, ``float_max_abs_difference`` for the float graph it was made from).

The encoder is traced with eager attention: ONNX Runtime fuses that pattern, not PyTorch's SDPA one.
Before anything is published the exported model scores a few texts of different lengths, alone and
padded in one batch: the float graph must agree with the PyTorch predictor to ``TOLERANCE``, the quantised
one to ``QUANTIZED_TOLERANCE`` (a probability: INT8 weights moved a trained model's by 0.03, a random
head's on the packaged encoder by up to 0.14; a broken quantisation moves them by far more). A
quantised graph that strays further is not used: the float graph is served and the manifest says why
(``quantization_skipped``). Quantisation's cost in accuracy on real held-out reviews is measured by
``tests/benchmarks/bench_minilm_quantization.py``. The files are written to a staging folder and renamed
into place, so a reader never sees half an export.

Residual additions stay ``Add`` + ``LayerNormalization`` (``SKIP_LAYER_NORM_FUSION`` off, here and in the
serving session, ``DISABLED_RUNTIME_FUSIONS``): ONNX Runtime's CPU ``SkipLayerNormalization`` kernel took
0.14 ms per call on a 60-word review where the two plain operators take 0.03 ms; twelve of them were a
third of the INT8 model's time (5.6 ms → 4.0 ms per review on this 2-core machine). ``FORMAT_VERSION`` 2 marks
exports made so; an older export is not current, so the next ``prepare`` (every deploy runs one) redoes it.

Only ``export_minilm`` imports torch; the constants and manifest helpers are safe for the server.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

from services.errors import InternalError, InvalidInput
from services.training.algorithms.manifest import PREDICTOR_FILE, loader_name
from services.training.algorithms.text_ensemble import TFIDF_FOLDER

MINILM_LOADER = "text-minilm"  # its name in manifest.LOADERS
ONNX_FOLDER = "onnx"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 2  # 2: residual layer norms left unfused (see the module docstring)
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "probabilities"
TOLERANCE = 1e-4
QUANTIZED_TOLERANCE = 0.15
DISABLED_RUNTIME_FUSIONS = ("SkipLayerNormFusion",)  # ONNX Runtime's own graph transformer that would fuse them again
CHECK_TEXTS = (
    "Love it!",
    "The fabric is soft and the fit is flattering, but the sleeves run a bit long and the color is duller than shown.",
    "Terrible. Returned it the next day.",
    "ok",
    "Runs small " * 80,  # longer than any sequence length: truncation must match too
)


def read_manifest(folder: Path) -> dict[str, Any]:
    """``predictor.json`` of a saved model; ``InvalidInput`` when the folder holds no model."""
    path = Path(folder) / PREDICTOR_FILE
    if not path.is_file():
        raise InvalidInput(f"{folder} holds no saved model ({PREDICTOR_FILE} is missing).",
                           hint="Point at a model version folder, <home>/models/<name>/<version>/.")
    return dict(json.loads(path.read_text()))


def is_minilm(folder: Path) -> bool:
    """Whether the saved model is a text-minilm predictor."""
    return is_minilm_manifest(read_manifest(folder))


def is_minilm_manifest(manifest: dict[str, Any]) -> bool:
    """Whether a ``predictor.json`` is a text-minilm predictor's (``InvalidInput`` for an unknown loader)."""
    return loader_name(manifest) == MINILM_LOADER


def onnx_folder(folder: Path) -> Path:
    return Path(folder) / ONNX_FOLDER


def source_files(folder: Path) -> list[Path]:
    """The files the export is made from (their newest change dates the export)."""
    folder = Path(folder)
    files = [folder / PREDICTOR_FILE, folder / "minilm.json", folder / "head.safetensors"]
    files += [path for sub in ("encoder", "tokenizer", TFIDF_FOLDER) for path in sorted((folder / sub).glob("*")) if path.is_file()]
    return [path for path in files if path.exists()]


def is_current(folder: Path, quantize: bool | None = None) -> bool:
    """Whether ``<folder>/onnx`` holds a complete export of this ``FORMAT_VERSION`` newer than every file it was made from (and, when
    ``quantize`` is given, made with that choice: quantised, or tried and refused, or float on purpose)."""
    target = onnx_folder(folder)
    outputs = [target / MODEL_FILE, target / TOKENIZER_FILE, target / MANIFEST_FILE]
    if not all(path.is_file() for path in outputs):
        return False
    exported = min(path.stat().st_mtime for path in outputs)
    if not all(path.stat().st_mtime <= exported for path in source_files(folder)):
        return False
    manifest = json.loads((target / MANIFEST_FILE).read_text())
    return manifest.get("format") == FORMAT_VERSION and (quantize is None or was_quantize_requested(manifest) == quantize)


def was_quantize_requested(manifest: dict[str, Any]) -> bool:
    """Whether the export in ``manifest`` was asked for INT8 weights (exports older than quantisation were not)."""
    return bool(manifest.get("quantized")) or "quantization_skipped" in manifest


def export_minilm(folder: Path, quantize: bool = True) -> dict[str, Any]:
    """Export the text-minilm model saved in ``folder`` to ``folder/onnx`` (INT8 weights unless ``quantize``
    is False, or quantising strays from PyTorch); returns the manifest written."""
    from services.training.algorithms.base import load_predictor

    folder = Path(folder)
    if not is_minilm(folder):
        raise InvalidInput(f"{folder} is not a text-minilm model.", hint="Only text-minilm models are exported to ONNX.")
    started = time.monotonic()
    predictor: Any = load_predictor(folder)
    staging = folder / f".{ONNX_FOLDER}-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        manifest = _write_export(predictor, staging, quantize)
        manifest["export_seconds"] = round(time.monotonic() - started, 2)
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
        _publish(staging, onnx_folder(folder))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write_export(predictor: Any, staging: Path, quantize: bool) -> dict[str, Any]:
    trace_graph(predictor.model, predictor.tokenizer, staging / MODEL_FILE)
    fused = fuse_graph(staging / MODEL_FILE, predictor.model.encoder.config)
    (staging / TOKENIZER_FILE).write_text(predictor.tokenizer.backend_tokenizer.to_str())
    if predictor.tfidf is not None:  # the text-tfidf part the combination uses (served beside the graph)
        predictor.tfidf.save(staging / TFIDF_FOLDER)
    manifest = _manifest(predictor.config, fused)
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
    manifest["float_max_abs_difference"] = manifest["max_abs_difference"] = check_parity(predictor, staging)
    if quantize:
        manifest |= quantize_export(predictor, staging)
    return manifest


def quantize_export(predictor: Any, staging: Path, tolerance: float = QUANTIZED_TOLERANCE) -> dict[str, Any]:
    """Replace the float graph in ``staging`` with its INT8 version when that agrees with PyTorch to ``tolerance``
    (else keep the float graph); returns the manifest entries saying which was kept."""
    float_graph = staging / f"float-{MODEL_FILE}"
    (staging / MODEL_FILE).rename(float_graph)
    quantize_graph(float_graph, staging / MODEL_FILE)
    difference = check_parity(predictor, staging, tolerance, raise_above=False)
    if difference <= tolerance:
        float_graph.unlink()
        return {"quantized": True, "max_abs_difference": difference}
    float_graph.replace(staging / MODEL_FILE)
    reason = f"the INT8 graph differed from PyTorch by {difference:.3f} (allowed {tolerance})"
    print(f"warning: {reason}; serving the float graph", flush=True)
    return {"quantized": False, "quantization_skipped": reason}


def quantize_graph(source: Path, target: Path) -> None:
    """Dynamic INT8 quantisation of a (fused) graph's weights, one scale per output channel; activations are
    quantised per call from their own range, so no calibration data is needed."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process (optimise) the graph first is already followed: it is fused
    try:
        # The fused graph holds com.microsoft operators that ONNX shape inference cannot type: their outputs are float.
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)


def trace_graph(model: Any, tokenizer: Any, path: Path) -> None:
    """Trace probabilities(input_ids, attention_mask) with dynamic batch and sequence axes."""
    import torch

    model.eval()
    model.encoder.set_attn_implementation("eager")  # the attention pattern ONNX Runtime can fuse
    sample = tokenizer(list(CHECK_TEXTS[:2]), padding=True, return_tensors="pt")
    axes = {"batch": 0, "sequence": 1}
    dynamic = {name: {index: axis for axis, index in axes.items()} for name in INPUT_NAMES} | {OUTPUT_NAME: {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shapes that are fixed for every input we send
        torch.onnx.export(probability_module(model), (sample["input_ids"], sample["attention_mask"]), str(path),
                          input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME], dynamic_axes=dynamic,
                          opset_version=OPSET, dynamo=False)


def probability_module(model: Any) -> Any:
    """``model`` with a softmax on top (a function so that importing this module needs no torch)."""
    import torch

    class _Probabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.model(input_ids, attention_mask), dim=1)

    return _Probabilities().eval()


def fuse_graph(path: Path, encoder_config: Any) -> bool:
    """Apply ONNX Runtime's BERT fusions in place, all but the skip layer norm (see the module docstring);
    False (graph kept as traced) when they do not apply."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = options.enable_bias_skip_layer_norm = False
    try:
        optimized = optimizer.optimize_model(str(path), model_type="bert", num_heads=int(encoder_config.num_attention_heads),
                                             hidden_size=int(encoder_config.hidden_size), opt_level=0,
                                             optimization_options=options)
    except Exception as exc:  # an unexpected graph shape: the traced graph is still correct, only slower
        print(f"warning: ONNX Runtime could not fuse the graph ({exc}); serving the traced graph", flush=True)
        return False
    fused = optimized.get_fused_operator_statistics()
    optimized.save_model_to_file(str(path))
    return bool(fused.get("Attention", 0))


def _manifest(config: dict[str, Any], fused: bool) -> dict[str, Any]:
    import onnxruntime
    import torch

    return {"format": FORMAT_VERSION, "problem_type": config["problem_type"], "classes": list(config["classes"]),
            "text_columns": list(config["text_columns"]), "max_seq_length": int(config["max_seq_length"]),
            "base_model": config.get("base_model", ""), "fine_tuned": bool(config["fine_tuned"]),
            "combination": dict(config.get("combination") or {}),
            "inputs": list(INPUT_NAMES), "output": OUTPUT_NAME, "fused": fused, "quantized": False, "opset": OPSET,
            "torch_version": torch.__version__, "onnxruntime_version": onnxruntime.__version__,
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def check_parity(predictor: Any, staging: Path, tolerance: float = TOLERANCE, raise_above: bool = True) -> float:
    """The largest difference between ONNX Runtime's and PyTorch's probabilities on ``CHECK_TEXTS``,
    each text alone and all in one padded batch; ``InternalError`` above ``tolerance`` if ``raise_above``."""
    import numpy as np
    import pandas as pd

    from services.endpoints.serving import OnnxTextModel

    served = OnnxTextModel.load(staging)
    texts = list(CHECK_TEXTS)
    columns = [f"probability_{label}" for label in predictor.classes]
    frame = pd.DataFrame({name: texts if i == 0 else [""] * len(texts) for i, name in enumerate(predictor.config["text_columns"])})
    expected = predictor.predict_frame(frame)[columns].to_numpy()
    batched = served.text_probabilities(texts)
    alone = np.vstack([served.text_probabilities([text]) for text in texts])
    difference = float(max(np.abs(batched - expected).max(), np.abs(alone - expected).max()))
    if raise_above and difference > tolerance:
        raise InternalError(f"The ONNX export disagrees with the PyTorch model by {difference:.2e} (allowed {tolerance:.0e}).",
                            hint="Report this model; it can still be scored by batch transform.")
    return difference


def _publish(staging: Path, target: Path) -> None:
    """Swap the finished export into place (the old one, if any, is removed first)."""
    old = target.with_name(f".{ONNX_FOLDER}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
