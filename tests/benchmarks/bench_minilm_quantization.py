"""Benchmark: what INT8 quantisation of the served text-minilm graph costs in accuracy, and what it saves in time.

On the public Women's E-Commerce Clothing Reviews, split as ``bench_minilm`` splits them (seeded, stratified
80/20; sentiment from the rating), a text-minilm model is fine-tuned on ``--max-train-rows`` training
reviews (default 2,000, 1 epoch: the quantisation check needs a real model, not the best one), or
``--model ARTIFACT`` is used. It is exported twice, as ``services.endpoints.prepare`` does: float (``--float``)
and INT8. Both ONNX graphs score every held-out review through the serving code (``OnnxTextModel``), and
one ~60-word review alone ``--repeats`` times each, interleaved, so both latencies see the same load.

Prints one JSON object: macro-F1 and accuracy of each, the F1 drop (target ≤ 0.01), how many labels
differ, the largest probability difference, single-review p50 of each and their ratio, and the load.

Run: ``.venv/bin/python tests/benchmarks/bench_minilm_quantization.py`` (about 10 minutes on 2 busy cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.endpoints import onnx_export  # noqa: E402
from services.endpoints.serving import OnnxTextModel  # noqa: E402
from tests.helpers.review_data import DATA, REVIEW, PrintingReporter, load_reviews, split_reviews  # noqa: E402

MAX_F1_DROP = 0.01


def train(data: Any, rows: int, folder: Path) -> Path:
    from services.training.algorithms.text_minilm import MiniLMAlgorithm

    hyperparameters = {"epochs": "1", "learning_rate": "1e-4", "batch_size": "32", "max_seq_length": "128",
                       "max_train_rows": str(rows), "class_balancing": "true"}
    MiniLMAlgorithm().fit(data, hyperparameters, PrintingReporter()).predictor.save(folder)
    return folder


def exported(model: Path, folder: Path, quantize: bool) -> tuple[OnnxTextModel, dict[str, Any]]:
    """A copy of ``model`` exported with or without INT8 weights, loaded as the server loads it."""
    copy = folder / ("int8" if quantize else "float")
    shutil.copytree(model, copy, ignore=shutil.ignore_patterns(onnx_export.ONNX_FOLDER, ".onnx*"))
    manifest = onnx_export.export_minilm(copy, quantize)
    return OnnxTextModel.load(onnx_export.onnx_folder(copy)), manifest


def single_review_p50s(models: dict[str, OnnxTextModel], repeats: int) -> dict[str, float]:
    """p50 ms of one review per model, the models taking turns so both see the same load."""
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            started = time.perf_counter()
            model.text_probabilities([REVIEW])
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: round(float(np.percentile(values, 50)), 2) for name, values in times.items()}


def scores(classes: list[str], truth: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    predicted = np.array(classes)[probabilities.argmax(axis=1)]
    return {"f1_macro": round(float(f1_score(truth, predicted, average="macro")), 4),
            "accuracy": round(float(accuracy_score(truth, predicted)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved text-minilm model folder (default: fine-tune one)")
    parser.add_argument("--max-train-rows", type=int, default=2000)
    parser.add_argument("--max-test-rows", type=int, default=0, help="score a sample of the held-out reviews (0 = all)")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    if not DATA.is_file():
        raise SystemExit(f"{DATA} is missing; this benchmark needs the public reviews data set")
    data = split_reviews(load_reviews())
    test = data.test if not args.max_test_rows else data.test.sample(args.max_test_rows, random_state=0)
    figures: dict[str, Any] = {"load_average_at_start": [round(v, 2) for v in os.getloadavg()], "test_reviews": len(test)}
    with tempfile.TemporaryDirectory(prefix="bench-quantization-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        model = args.model.resolve() if args.model else train(data, args.max_train_rows, folder / "trained")
        figures["model"] = str(args.model) if args.model else f"fine-tuned on {args.max_train_rows} training reviews, 1 epoch"
        figures["train_seconds"] = None if args.model else round(time.perf_counter() - started, 1)
        served = {}
        for name, quantize in (("float", False), ("int8", True)):
            served[name], manifest = exported(model, folder, quantize)
            figures[f"{name}_export"] = {key: manifest.get(key) for key in ("quantized", "max_abs_difference", "export_seconds")}
        texts, truth = test["review_body"].tolist(), test["sentiment"].astype(str).to_numpy()
        probabilities = {name: model_.text_probabilities(texts) for name, model_ in served.items()}
        classes = served["float"].classes
        for name in served:
            figures[name] = scores(classes, truth, probabilities[name])
        drop = figures["float"]["f1_macro"] - figures["int8"]["f1_macro"]
        figures["f1_macro_drop"] = round(drop, 4)
        figures["f1_macro_drop_target"] = f"<= {MAX_F1_DROP}"
        figures["f1_macro_drop_met"] = drop <= MAX_F1_DROP
        figures["labels_changed"] = int((probabilities["float"].argmax(1) != probabilities["int8"].argmax(1)).sum())
        figures["max_probability_difference"] = round(float(np.abs(probabilities["float"] - probabilities["int8"]).max()), 4)
        p50 = single_review_p50s(served, args.repeats)
        figures["single_review_p50_ms"] = p50
        figures["int8_speed_up"] = round(p50["float"] / p50["int8"], 2)
    figures["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
