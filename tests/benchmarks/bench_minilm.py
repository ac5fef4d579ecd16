"""Benchmark: text-minilm on the public Women's E-Commerce Clothing Reviews.

Sentiment from the rating (1–2 → -1, 3 → 0, 4–5 → 1), text = Title + " " + Review Text, a seeded
stratified 80/20 train/test split (10% of the training part held out for early stopping).
Reports, as JSON:
  * fine-tuned MiniLM with its defaults (issue 15's target: test macro-F1 ≥ 0.72 with training ≤ 20 minutes on
    2 idle cores): macro-F1, accuracy, per-class F1 and the neutral class's F1, precision and recall on the test
    split; the combination chosen on the validation split (TF-IDF weight, class offsets) and the fine-tuned
    network's own figures without it; training wall time with the load average beside it (other work on the
    machine inflates it), and that time scaled to 16,000 training reviews;
  * the baseline measured in the same run on the same split: text-tfidf with its defaults;
  * the frozen encoder + head: macro-F1, accuracy, wall time, embeddings per second;
  * a second frozen run on the same table version, which reads the stored feature group instead of
    encoding: its wall time and the speed-up (target: ≥ 5×).

Run: `.venv/bin/python tests/benchmarks/bench_minilm.py` (text-minilm's defaults: 2 epochs at batch 16, learning
rate 1e-4, 160 tokens, word embeddings kept as pretrained, class balancing, the checkpoint with the best validation
macro-F1, the TF-IDF ensemble and class offsets tuned on validation; about 30 minutes on 2 idle CPU cores, much
longer on busy ones; `--skip-fine-tune` or `--skip-frozen` for half of it, `--hp KEY=VALUE` to change a
hyperparameter). Exits 1 when the fine-tuned model misses a target.

Measured on this split (11,439 / 1,272 / 3,178 rows) with `--skip-frozen`, 2 idle cores (load 1.4-2.0):
the defaults give test macro-F1 **0.7228** (neutral 0.547, negative 0.674, positive 0.947; the network alone 0.706)
in 1,063 s of training; text-tfidf 0.669 in the same run. Before (1 epoch at batch 32, 128 tokens, the checkpoint of
the lowest validation loss): 0.683 alone, 0.709 combined; 2 epochs that way 0.702 alone, 0.711-0.715 combined. What
moved it: batch 16 (twice the updates for the same compute; freezing the word-embedding matrix pays for the extra
optimizer steps) and keeping the checkpoint by validation macro-F1: at batch 16 the validation loss rose in epoch 2
(0.387 -> 0.439) while macro-F1 rose too (0.676 -> 0.688), so the loss kept epoch 1 (0.696 combined).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.training.algorithms import minilm_features as features  # noqa: E402
from services.training.algorithms import text_ensemble, text_minilm  # noqa: E402
from services.training.algorithms.base import Dataset  # noqa: E402
from services.training.algorithms.metrics import classification_metrics  # noqa: E402
from services.training.algorithms.text_tfidf import TextTfidfAlgorithm  # noqa: E402
from tests.helpers.review_data import PrintingReporter, load_reviews, split_reviews  # noqa: E402

TRAINING_REVIEWS = 16_000
TARGET_F1 = 0.72
TARGET_SECONDS = 20 * 60
NEUTRAL = "0"


def timed_fit(data: Dataset, hyperparameters: dict[str, str]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = text_minilm.MiniLMAlgorithm().fit(data, hyperparameters, PrintingReporter())
    return result, time.perf_counter() - started


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def class_figures(metrics: dict[str, float], per_class: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Macro-F1, accuracy, per-class F1 and the neutral class's F1, precision and recall."""
    neutral = per_class.get(NEUTRAL, {})
    return {"f1_macro": round(metrics["f1_macro"], 4), "accuracy": round(metrics["accuracy"], 4),
            "per_class_f1": {k: round(v["f1"], 4) for k, v in per_class.items()},
            "neutral": {k: round(neutral[k], 4) for k in ("f1", "precision", "recall", "support") if k in neutral}}


def probabilities_figures(data: Dataset, probabilities: np.ndarray) -> dict[str, Any]:
    truth = data.test[data.target].astype(str).tolist()
    predicted = [data.classes[i] for i in probabilities.argmax(axis=1)]
    metrics, per_class, _ = classification_metrics(truth, predicted, probabilities, data.classes)
    return class_figures(metrics, per_class)


def fine_tune_figures(data: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    hyperparameters = dict(pair.split("=", 1) for pair in args.hp)
    if args.max_train_rows:
        hyperparameters["max_train_rows"] = str(args.max_train_rows)
    load_before = load_average()
    result, seconds = timed_fit(data, hyperparameters)
    load_after = load_average()
    trained_rows = min(len(data.train), args.max_train_rows or len(data.train))
    predictor = result.predictor
    figures = {"hyperparameters": result.hyperparameters, "training_rows": trained_rows,
               "combination": predictor.combination.as_config(), **class_figures(result.metrics, result.per_class),
               "training_wall_seconds": round(seconds, 1), "load_average_1min": [load_before, load_after],
               f"wall_seconds_scaled_to_{TRAINING_REVIEWS}_reviews": round(seconds * TRAINING_REVIEWS / trained_rows, 1)}
    if not args.skip_components:  # the fine-tuned network alone: one more pass over the test split (not timed)
        texts = text_minilm.input_texts(data.test, predictor.config["text_columns"])
        alone = text_minilm.MiniLMPredictor(predictor.model, predictor.tokenizer,
                                            {**predictor.config, "combination": text_ensemble.Combination().as_config()})
        figures["network_alone"] = probabilities_figures(data, alone.text_probabilities(texts))
    return figures


def tfidf_baseline(data: Dataset) -> dict[str, Any]:
    """text-tfidf with its defaults on the same split, in the same run."""
    started = time.perf_counter()
    result = TextTfidfAlgorithm().fit(data, {}, PrintingReporter())
    return {**class_figures(result.metrics, result.per_class), "wall_seconds": round(time.perf_counter() - started, 1)}


def verdict(figures: dict[str, Any]) -> dict[str, Any]:
    fine_tuned, baseline = figures["fine_tuned"], figures["tfidf_baseline"]
    return {"target_f1_macro": TARGET_F1, "f1_macro": fine_tuned["f1_macro"], "neutral_f1": fine_tuned["neutral"].get("f1"),
            "tfidf_baseline_f1_macro": baseline["f1_macro"], "meets_f1_target": fine_tuned["f1_macro"] >= TARGET_F1,
            "target_training_seconds": TARGET_SECONDS, "training_wall_seconds": fine_tuned["training_wall_seconds"],
            "load_average_1min": fine_tuned["load_average_1min"],
            "meets_time_target": fine_tuned["training_wall_seconds"] <= TARGET_SECONDS,
            "note": "wall time is inflated by other work on the machine (see the load average); F1 is not"}


def frozen_figures(data: Dataset, home: Path, max_seq_length: int) -> dict[str, Any]:
    hyperparameters = {"fine_tune": "false", "max_seq_length": str(max_seq_length), "_source_table": "bench.womens_reviews",
                       "_source_version": "1", "_workbench_home": str(home)}
    encoding: list[tuple[int, float]] = []
    features.encode_texts = _timing(features.encode_texts, encoding)  # type: ignore[assignment]
    first, first_seconds = timed_fit(data, hyperparameters)
    encoded, encoding_seconds = sum(n for n, _ in encoding), sum(s for _, s in encoding)
    second, second_seconds = timed_fit(data, hyperparameters)
    return {"f1_macro": round(first.metrics["f1_macro"], 4), "accuracy": round(first.metrics["accuracy"], 4),
            "first_run_wall_seconds": round(first_seconds, 1), "texts_encoded_first_run": encoded,
            "embeddings_per_second": round(encoded / encoding_seconds, 1) if encoding_seconds else None,
            "second_run_wall_seconds": round(second_seconds, 1),
            "texts_encoded_second_run": sum(n for n, _ in encoding) - encoded,
            "second_run_f1_macro": round(second.metrics["f1_macro"], 4),
            "speed_up": round(first_seconds / second_seconds, 1)}


def _timing(encode: Callable[..., np.ndarray], record: list[tuple[int, float]]) -> Callable[..., np.ndarray]:
    def timed(encoder: Any, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = encode(encoder, texts)
        record.append((len(texts), time.perf_counter() - started))
        return vectors

    return timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE",
                        help="a text-minilm hyperparameter for the fine-tuned run (repeatable); defaults otherwise")
    parser.add_argument("--max-seq-length", type=int, default=128, help="for the frozen runs")
    parser.add_argument("--max-train-rows", type=int, default=0, help="train on a sample (0 = all)")
    parser.add_argument("--skip-fine-tune", action="store_true")
    parser.add_argument("--skip-frozen", action="store_true")
    parser.add_argument("--skip-components", action="store_true", help="do not score the fine-tuned network alone")
    args = parser.parse_args()
    data = split_reviews(load_reviews())
    figures: dict[str, Any] = {"rows": {"train": len(data.train), "validation": len(data.validation), "test": len(data.test)},
                               "tfidf_baseline": tfidf_baseline(data)}
    print(json.dumps(figures, indent=2), file=sys.stderr, flush=True)
    if not args.skip_frozen:
        with tempfile.TemporaryDirectory() as home:
            figures["frozen"] = frozen_figures(data, Path(home) / "workspace", args.max_seq_length)
        print(json.dumps(figures, indent=2), file=sys.stderr, flush=True)
    if not args.skip_fine_tune:
        figures["fine_tuned"] = fine_tune_figures(data, args)
        figures["verdict"] = verdict(figures)
    print(json.dumps(figures, indent=2))
    verdicts = figures.get("verdict", {})
    if verdicts and not (verdicts["meets_f1_target"] and verdicts["meets_time_target"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
