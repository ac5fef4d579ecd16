"""text-minilm as ONNX: ``python -m services.endpoints.prepare`` exports it once, the export agrees
with PyTorch, and serving it (in process, or over HTTP) imports neither torch nor transformers.

The models are the packaged all-MiniLM-L6-v2 encoder with a seeded random head (wide weights, so the
probabilities are far from uniform and a wrong graph shows), saved through the predictor's own
``save()``: one "fine-tuned" (encoder saved with the model, mean pooling) and one frozen (the packaged
encoder, L2-normalised embeddings).
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
    torch.nn.init.normal_(model.head.weight, std=0.3 if fine_tuned else 8.0)  # normalised embeddings need larger weights
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


def run_prepare(*folders: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.endpoints.prepare", *map(str, folders)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=server_environment())


@pytest.fixture(scope="module")
def prepared(saved: dict[str, Path]) -> tuple[dict[str, Path], subprocess.CompletedProcess[str]]:
    for folder in saved.values():  # before the export a MiniLM model cannot be served
        with pytest.raises(InvalidInput, match="services.endpoints.prepare"):
            load_serving_model(folder)
    return saved, run_prepare(*saved.values())


def test_prepare_exports_once_and_then_skips(prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]]) -> None:
    saved, first = prepared
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("exported to ONNX") == 2
    for folder in saved.values():
        exported = onnx_export.onnx_folder(folder)
        assert {p.name for p in exported.iterdir()} == {"model.onnx", "tokenizer.json", "manifest.json"}
        manifest = json.loads((exported / "manifest.json").read_text())
        assert manifest["classes"] == CLASSES and manifest["max_seq_length"] == 64 and manifest["fused"] is True
        assert manifest["max_abs_difference"] < onnx_export.TOLERANCE
    model_file = onnx_export.onnx_folder(saved["frozen"]) / "model.onnx"
    written = model_file.stat().st_mtime_ns
    again = run_prepare(saved["frozen"])
    assert again.returncode == 0 and "up to date" in again.stdout
    assert model_file.stat().st_mtime_ns == written
    head = saved["frozen"] / "head.safetensors"
    stamp = head.stat()
    os.utime(head, (stamp.st_atime + 3600, stamp.st_mtime + 3600))  # the model changed after its export
    try:
        assert not onnx_export.is_current(saved["frozen"])
    finally:
        os.utime(head, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert onnx_export.is_current(saved["frozen"])


@pytest.mark.parametrize("name", ["fine-tuned", "frozen"])
def test_onnx_probabilities_match_pytorch(prepared: tuple[dict[str, Path], subprocess.CompletedProcess[str]], name: str) -> None:
    folder = prepared[0][name]
    torch_predictor = load_predictor(folder)
    columns = [f"probability_{label}" for label in CLASSES]
    expected = torch_predictor.predict_frame(pd.DataFrame({"review_body": TEXTS}))[columns].to_numpy()
    served = load_serving_model(folder)
    predictions = served.predict(TEXTS)
    got = np.array([[p["probabilities"][label] for label in CLASSES] for p in predictions])
    assert np.abs(got - expected).max() < 1e-4
    assert expected.max() - expected.min() > 0.3  # far from uniform, so the comparison means something
    assert [p["predicted_label"] for p in predictions] == [CLASSES[i] for i in expected.argmax(axis=1)]
    alone = np.vstack([served.text_probabilities([text]) for text in TEXTS])  # type: ignore[attr-defined]
    assert np.abs(alone - expected).max() < 1e-4


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
        for prediction, (_, row) in zip(reply.json()["predictions"], expected.iterrows()):
            assert prediction["predicted_label"] == row["predicted_label"]
            assert prediction["probability"] == pytest.approx(row["probability"], abs=1e-4)
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
    shutil.rmtree(tmp_path / "tfidf")
