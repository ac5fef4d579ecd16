"""text-minilm as ONNX: ``python -m services.endpoints.prepare`` exports it once, the export agrees
with PyTorch (the float graph exactly, the INT8 one within ``QUANTIZED_TOLERANCE`` and with the same labels),
and serving it (in process, or over HTTP) imports neither torch nor transformers.

The models are the packaged all-MiniLM-L6-v2 encoder with a seeded random head (wide weights, so the
probabilities are far from uniform and a wrong graph shows), saved through the predictor's own
``save()``: one "fine-tuned" (encoder saved with the model, mean pooling) and one frozen (the packaged
encoder, L2-normalised embeddings). The fine-tuned one is exported with INT8 weights (the default), the
frozen one with ``--float``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.endpoints import onnx_export
from services.endpoints.serving import load_serving_model
from services.errors import InvalidInput
from services.training.algorithms.base import load_predictor
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
from tests.helpers.data import tiny_reviews
from tests.helpers.recording import RecordingReporter
from tests.helpers.servers import ROOT, running_server, server_environment, variant

CLASSES = ["-1", "0", "1"]
TEXTS = ["Love it!", "Terrible, returned it the next day.", "ok", "Runs small " * 100,
         "The fabric is soft and the fit is flattering, but the sleeves run a bit long — still 4/5 ⭐",
         "Ce pull est très joli mais il gratte", "   spaces   around   "]


def save_minilm(folder: Path, fine_tuned: bool, seed: int) -> Path:
    import torch

    from services.training.algorithms import minilm_features as features
    from services.training.algorithms.text_minilm import MiniLMClassifier, MiniLMPredictor

    torch.manual_seed(seed)
    model = MiniLMClassifier(features.load_encoder(), len(CLASSES), normalize=not fine_tuned)
    torch.nn.init.normal_(model.head.weight, std=0.15 if fine_tuned else 8.0)  # normalised embeddings need larger weights
    config = {"problem_type": "MulticlassClassification", "classes": CLASSES, "text_columns": ["review_body"],
              "max_seq_length": 64, "fine_tuned": fine_tuned, "normalize": not fine_tuned,
              "base_model": features.MODEL_NAME, "target": "sentiment"}
    MiniLMPredictor(model, features.load_tokenizer(), config).save(folder)
    return folder


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {"fine-tuned": save_minilm(root / "fine-tuned" / "1", True, seed=1),
            "frozen": save_minilm(root / "frozen" / "1", False, seed=2)}


def run_prepare(*arguments: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.endpoints.prepare", *map(str, arguments)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=server_environment())


@pytest.fixture(scope="module")
def prepared(saved: dict[str, Path]) -> tuple[dict[str, Path], subprocess.CompletedProcess[str]]:
    for folder in saved.values():  # before the export a MiniLM model cannot be served
        with pytest.raises(InvalidInput, match="services.endpoints.prepare"):
            load_serving_model(folder)
    quantized, floating = run_prepare(saved["fine-tuned"]), run_prepare(saved["frozen"], "--float")
    return saved, subprocess.CompletedProcess(quantized.args, quantized.returncode or floating.returncode,
                                              quantized.stdout + floating.stdout, quantized.stderr + floating.stderr)


def tolerance(folder: Path) -> float:
    """How far the served graph may be from PyTorch: float graphs exactly, INT8 ones by a few hundredths."""
    manifest = json.loads((onnx_export.onnx_folder(folder) / "manifest.json").read_text())
    return onnx_export.QUANTIZED_TOLERANCE if manifest["quantized"] else 1e-4


def clear_rows(probabilities: np.ndarray, folder: Path) -> np.ndarray:
    """Rows whose top class leads the next by more than the served graph may move both: their label must not change."""
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    return np.asarray(top_two[:, 1] - top_two[:, 0] > 2 * tolerance(folder))


def test_prepare_exports_once_and_then_skips(prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]]) -> None:
    saved, first = prepared
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("exported to ONNX") == 2
    assert "INT8 weights" in first.stdout and "float weights" in first.stdout
    manifests = {}
    for name, folder in saved.items():
        exported = onnx_export.onnx_folder(folder)
        assert {p.name for p in exported.iterdir()} == {"model.onnx", "tokenizer.json", "manifest.json"}
        manifests[name] = manifest = json.loads((exported / "manifest.json").read_text())
        assert manifest["classes"] == CLASSES and manifest["max_seq_length"] == 64 and manifest["fused"] is True
        assert manifest["float_max_abs_difference"] < onnx_export.TOLERANCE  # the float graph is checked either way
    assert manifests["fine-tuned"]["quantized"] is True
    assert 0 < manifests["fine-tuned"]["max_abs_difference"] <= onnx_export.QUANTIZED_TOLERANCE
    assert manifests["frozen"]["quantized"] is False and "quantization_skipped" not in manifests["frozen"]
    sizes = {name: (onnx_export.onnx_folder(folder) / "model.onnx").stat().st_size for name, folder in saved.items()}
    assert sizes["fine-tuned"] < sizes["frozen"] / 3  # INT8 weights: a quarter of the float file
    model_file = onnx_export.onnx_folder(saved["frozen"]) / "model.onnx"
    written = model_file.stat().st_mtime_ns
    again = run_prepare(saved["frozen"], "--float")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert model_file.stat().st_mtime_ns == written
    assert not onnx_export.is_current(saved["frozen"], quantize=True)  # a default prepare would export INT8 weights
    assert onnx_export.is_current(saved["fine-tuned"], quantize=True) and not onnx_export.is_current(saved["fine-tuned"], False)
    head = saved["frozen"] / "head.safetensors"
    stamp = head.stat()
    os.utime(head, (stamp.st_atime + 3600, stamp.st_mtime + 3600))  # the model changed after its export
    try:
        assert not onnx_export.is_current(saved["frozen"])
    finally:
        os.utime(head, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert onnx_export.is_current(saved["frozen"])


def test_residual_layer_norms_stay_unfused_and_older_exports_are_redone(
        prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]]) -> None:
    import onnx

    for folder in prepared[0].values():
        graph = onnx.load(str(onnx_export.onnx_folder(folder) / "model.onnx"), load_external_data=False).graph
        operators = {node.op_type for node in graph.node}
        assert "SkipLayerNormalization" not in operators and "LayerNormalization" in operators  # ONNX Runtime's slow CPU kernel
        assert operators & {"Attention", "QAttention"}  # the other fusions are still applied
    manifest_file = onnx_export.onnx_folder(prepared[0]["frozen"]) / "manifest.json"
    written = manifest_file.read_text()
    assert json.loads(written)["format"] == onnx_export.FORMAT_VERSION
    manifest_file.write_text(json.dumps(json.loads(written) | {"format": 1}))  # an export made before this version
    try:
        assert not onnx_export.is_current(prepared[0]["frozen"]) and not onnx_export.is_current(prepared[0]["frozen"], False)
    finally:
        manifest_file.write_text(written)
    assert onnx_export.is_current(prepared[0]["frozen"], False)


@pytest.mark.parametrize("name", ["fine-tuned", "frozen"])
def test_onnx_probabilities_match_pytorch(prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]], name: str) -> None:
    folder = prepared[0][name]
    torch_predictor = load_predictor(folder)
    columns = [f"probability_{label}" for label in CLASSES]
    expected = torch_predictor.predict_frame(pd.DataFrame({"review_body": TEXTS}))[columns].to_numpy()
    served = load_serving_model(folder)
    predictions = served.predict(TEXTS)
    got = np.array([[p["probabilities"][label] for label in CLASSES] for p in predictions])
    assert np.abs(got - expected).max() < tolerance(folder)
    assert expected.max() - expected.min() > 0.3  # far from uniform, so the comparison means something
    clear = clear_rows(expected, folder)
    assert clear.sum() >= 2
    labels = np.array([p["predicted_label"] for p in predictions])
    assert list(labels[clear]) == [CLASSES[i] for i in expected[clear].argmax(axis=1)]
    alone = np.vstack([served.text_probabilities([text]) for text in TEXTS])  # type: ignore[attr-defined]
    assert np.abs(alone - expected).max() < tolerance(folder)


def test_an_int8_graph_that_strays_from_pytorch_is_not_served(
        prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    folder = prepared[0]["frozen"]
    staging = tmp_path / "staging"
    shutil.copytree(onnx_export.onnx_folder(folder), staging)
    float_graph = (staging / "model.onnx").stat()
    predictor = load_predictor(folder)
    kept = onnx_export.quantize_export(predictor, staging, tolerance=0.0)  # any INT8 difference is too much
    assert kept["quantized"] is False and "differed from PyTorch by" in kept["quantization_skipped"]
    assert {p.name for p in staging.iterdir()} == {"model.onnx", "tokenizer.json", "manifest.json"}
    served = (staging / "model.onnx").stat()
    assert (served.st_size, served.st_mtime_ns) == (float_graph.st_size, float_graph.st_mtime_ns)
    assert onnx_export.check_parity(predictor, staging) < onnx_export.TOLERANCE


def test_serving_and_explaining_minilm_imports_no_torch(prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]]) -> None:
    script = textwrap.dedent(f"""
        import json, sys
        from services.endpoints.serving import load_serving_model
        model = load_serving_model({str(prepared[0]['fine-tuned'])!r})
        prediction = model.predict(["Love this dress", {{"review_body": "Awful"}}])
        explanation = model.explain("Love this dress, but the zipper broke.")
        print(json.dumps({{"torch": "torch" in sys.modules, "transformers": "transformers" in sys.modules,
                          "labels": [p["predicted_label"] for p in prediction], "tokens": explanation["tokens"],
                          "scores": {{k: len(v) for k, v in explanation["scores"].items()}}}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=server_environment())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["torch"], report["transformers"]) == (False, False)
    assert len(report["labels"]) == 2 and set(report["labels"]) <= set(CLASSES)
    assert "".join(report["tokens"]) == "Love this dress, but the zipper broke."
    assert report["scores"] == {label: len(report["tokens"]) for label in CLASSES}


def test_the_server_answers_minilm_requests_without_loading_torch(
        prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    folder = prepared[0]["fine-tuned"]
    expected = load_predictor(folder).predict_frame(pd.DataFrame({"review_body": TEXTS}))
    with running_server(tmp_path / "minilm", [variant("AllTraffic", folder)], capture_percent=0) as server:
        reply = server.invoke({"instances": TEXTS})
        assert reply.status == 200
        clear = clear_rows(expected[[f"probability_{label}" for label in CLASSES]].to_numpy(), folder)
        assert clear.any()
        for prediction, (_, row), is_clear in zip(reply.json()["predictions"], expected.iterrows(), clear):
            assert prediction["predicted_label"] == row["predicted_label"] or not is_clear
            assert max(abs(prediction["probabilities"][label] - row[f"probability_{label}"]) for label in CLASSES) < tolerance(folder)
        maps = Path(f"/proc/{server.process.pid}/maps").read_text()
        assert "onnxruntime" in maps and "libtorch" not in maps


def test_prepare_fails_with_one_error_line_and_skips_other_models(tmp_path: Path) -> None:
    done = run_prepare(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error: ") and "predictor.json" in done.stderr
    data = prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=3)
    get_algorithm("text-tfidf").fit(data, {}, RecordingReporter()).predictor.save(tmp_path / "tfidf")
    done = run_prepare(tmp_path / "tfidf")
    assert done.returncode == 0 and "nothing to prepare" in done.stdout
    assert not onnx_export.onnx_folder(tmp_path / "tfidf").exists()
    assert_prepared_without_data_libraries(tmp_path / "tfidf")
    shutil.rmtree(tmp_path / "tfidf")


def assert_prepared_without_data_libraries(folder: Path) -> None:
    """Every deploy runs the preparation first: for a model with nothing to prepare it reads the manifest and
    stops, without importing pandas (0.7 s of the 0.9 s it took before every endpoint could start)."""
    script = textwrap.dedent(f"""
        import json, sys
        from services.endpoints.prepare import main
        code = main([{str(folder)!r}])
        print(json.dumps({{"code": code, "pandas": "pandas" in sys.modules}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=server_environment())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "pandas": False}
