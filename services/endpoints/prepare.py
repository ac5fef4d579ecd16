"""Make saved models fast to serve: ``python -m services.endpoints.prepare ARTIFACT_PATH [ARTIFACT_PATH...]``.

For a text-minilm model this exports the encoder and head to ONNX once (``<artifact>/onnx/``, see
``onnx_export``), so the inference server needs neither torch nor transformers; its weights are quantised
to INT8 unless ``--float`` is given (about 2.5× faster per review; the accuracy it costs is measured by
``tests/benchmarks/bench_minilm_quantization.py``). The export is skipped when it is present, newer than
the model's files and made with the same choice of weights; an exclusive lock on ``<artifact>/.onnx.lock``
keeps two endpoints that deploy the same model at once from exporting it twice. Other models are
served from their saved pipelines as they are; for them this only checks that a model is there.

Prints one line per model on stdout; exits 0 when every model is ready, else prints one
``error: …`` line on stderr and exits 2 (models after the failing one are not looked at).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from services.endpoints import onnx_export
from services.errors import ServiceError

LOCK_FILE = ".onnx.lock"


@contextlib.contextmanager
def export_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the model folder's export (waits for another process's export)."""
    with (folder / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_model(folder: Path, quantize: bool = True) -> str:
    """Make the model in ``folder`` servable (INT8 weights unless ``quantize`` is False); returns what was done, in one line."""
    manifest = onnx_export.read_manifest(folder)
    if not onnx_export.is_minilm_manifest(manifest):
        return f"{folder}: served from its saved pipeline, nothing to prepare"
    if onnx_export.is_current(folder, quantize):
        return f"{folder}: ONNX export is up to date"
    with export_lock(folder):
        if onnx_export.is_current(folder, quantize):  # another process exported it while we waited
            return f"{folder}: ONNX export is up to date"
        started = time.monotonic()
        exported = onnx_export.export_minilm(folder, quantize)
    weights = "INT8" if exported["quantized"] else "float"
    return (f"{folder}: exported to ONNX in {time.monotonic() - started:.1f} s "
            f"(fused: {exported['fused']}, {weights} weights, largest difference from PyTorch {exported['max_abs_difference']:.1e})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.endpoints.prepare", description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT_PATH")
    parser.add_argument("--float", dest="quantize", action="store_false",
                        help="keep the float weights (exact to PyTorch, slower) instead of INT8 ones")
    arguments = parser.parse_args(argv)
    for folder in arguments.artifacts:
        try:
            print(prepare_model(folder.resolve(), arguments.quantize), flush=True)
        except ServiceError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 2
        except Exception as exc:  # a bug or a broken model file: still one line, and a failed exit
            print(f"error: preparing {folder} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
