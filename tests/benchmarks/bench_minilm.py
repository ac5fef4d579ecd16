"""Benchmark: text-minilm on the public Women's E-Commerce Clothing Reviews.

Sentiment from the rating (1–2 → -1, 3 → 0, 4–5 → 1), text = Title + " " + Review Text, a seeded
stratified 80/20 train/test split (10% of the training part held out for early stopping).
Reports, as JSON:
  * fine-tuned MiniLM: macro-F1 and accuracy on the test split (target: macro-F1 > 0.66, TF-IDF's
    figure), wall time, and that time scaled to 16,000 training reviews;
  * the frozen encoder + head: macro-F1, accuracy, wall time, embeddings per second;
  * a second frozen run on the same table version, which reads the stored feature group instead of
    encoding: its wall time and the speed-up (target: ≥ 5×).

Run: `.venv/bin/python tests/benchmarks/bench_minilm.py` (defaults: 1 epoch, learning rate 1e-4, 128 tokens,
class balancing; about 25 minutes on 2 idle CPU cores, much longer on busy ones; `--skip-fine-tune` or
`--skip-frozen` for half of it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.training.algorithms import minilm_features as features  # noqa: E402
from services.training.algorithms import text_minilm  # noqa: E402
from services.training.algorithms.base import Dataset  # noqa: E402
from tests.helpers.review_data import PrintingReporter, load_reviews, split_reviews  # noqa: E402

TRAINING_REVIEWS = 16_000


def timed_fit(data: Dataset, hyperparameters: dict[str, str]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = text_minilm.MiniLMAlgorithm().fit(data, hyperparameters, PrintingReporter())
    return result, time.perf_counter() - started


def fine_tune_figures(data: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    hyperparameters = {"epochs": str(args.epochs), "learning_rate": str(args.learning_rate), "batch_size": str(args.batch_size),
                       "max_seq_length": str(args.max_seq_length), "patience": str(args.patience),
                       "eval_steps": str(args.eval_steps), "class_balancing": args.class_balancing}
    if args.max_train_rows:
        hyperparameters["max_train_rows"] = str(args.max_train_rows)
    result, seconds = timed_fit(data, hyperparameters)
    trained_rows = min(len(data.train), args.max_train_rows or len(data.train))
    return {"hyperparameters": result.hyperparameters, "training_rows": trained_rows,
            "f1_macro": round(result.metrics["f1_macro"], 4), "accuracy": round(result.metrics["accuracy"], 4),
            "per_class_f1": {k: round(v["f1"], 4) for k, v in result.per_class.items()},
            "wall_seconds": round(seconds, 1),
            f"wall_seconds_scaled_to_{TRAINING_REVIEWS}_reviews": round(seconds * TRAINING_REVIEWS / trained_rows, 1),
            "clears_tfidf_0_66": result.metrics["f1_macro"] > 0.66}


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
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--eval-steps", type=int, default=0)
    parser.add_argument("--max-train-rows", type=int, default=0, help="train on a sample (0 = all)")
    parser.add_argument("--class-balancing", choices=("true", "false"), default="true")
    parser.add_argument("--skip-fine-tune", action="store_true")
    parser.add_argument("--skip-frozen", action="store_true")
    args = parser.parse_args()
    data = split_reviews(load_reviews())
    figures: dict[str, Any] = {"rows": {"train": len(data.train), "validation": len(data.validation), "test": len(data.test)}}
    if not args.skip_frozen:
        with tempfile.TemporaryDirectory() as home:
            figures["frozen"] = frozen_figures(data, Path(home) / "workspace", args.max_seq_length)
        print(json.dumps(figures, indent=2), file=sys.stderr, flush=True)
    if not args.skip_fine_tune:
        figures["fine_tuned"] = fine_tune_figures(data, args)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
