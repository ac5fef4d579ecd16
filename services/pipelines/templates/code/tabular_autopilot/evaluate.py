"""Evaluate the Autopilot pipeline's best candidate on the held-out rows (a Processing script, scikit-learn image).

Reads the batch transform's predictions (``features.csv.out``: one predicted label a line, which is what
Autopilot's inference container answers to ``text/csv`` records by default) and the held-out labels
(``labels.csv``, same order), and writes ``evaluation.json`` in SageMaker's model quality format for
classification (``multiclass_classification_metrics``; a binary target is its two-class case): accuracy,
weighted precision, recall and F1, and the confusion matrix. The pipeline's condition reads
``multiclass_classification_metrics.accuracy.value`` through a PropertyFile, and the registered model package
carries the file as its model statistics.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--predictions-dir", default="/opt/ml/processing/predictions", help="the transform's *.out files")
    parser.add_argument("--labels-dir", default="/opt/ml/processing/labels", help="labels.csv")
    parser.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    return parser.parse_args(argv)


def read_predictions(folder: Path) -> list[str]:
    files = sorted(p for p in folder.rglob("*.out") if p.is_file())
    if not files:
        raise SystemExit(f"No batch transform output (*.out) under {folder}")
    return [line.strip().strip('"') for file in files for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_labels(folder: Path) -> list[str]:
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return [row[0].strip() if row else "" for row in rows[1:]]  # under the header


def weighted(scores: dict[str, float], support: Counter[str]) -> float:
    """A per-class score averaged with the classes' true counts as weights (scikit-learn's average="weighted")."""
    total = sum(support.values())
    return sum(scores[name] * count for name, count in support.items()) / total if total else 0.0


def evaluate(labels: list[str], predicted: list[str]) -> dict[str, Any]:
    """Plain counting (no scikit-learn import, which costs the step seconds); 0 where a ratio has no denominator."""
    if len(labels) != len(predicted):
        raise SystemExit(f"{len(predicted)} predictions for {len(labels)} held-out rows: the transform's output does not "
                         "line up with the labels")
    classes = sorted(set(labels) | set(predicted))
    pairs = Counter(zip(labels, predicted, strict=True))
    support, guessed = Counter(labels), Counter(predicted)
    precision = {c: pairs[c, c] / guessed[c] if guessed[c] else 0.0 for c in classes}
    recall = {c: pairs[c, c] / support[c] if support[c] else 0.0 for c in classes}
    f1 = {c: 2 * precision[c] * recall[c] / (precision[c] + recall[c]) if precision[c] + recall[c] else 0.0 for c in classes}
    return {"multiclass_classification_metrics": {
        "accuracy": {"value": sum(pairs[c, c] for c in classes) / len(labels) if labels else 0.0},
        "weighted_precision": {"value": weighted(precision, support)},
        "weighted_recall": {"value": weighted(recall, support)},
        "weighted_f1": {"value": weighted(f1, support)},
        "confusion_matrix": {actual: {guess: pairs[actual, guess] for guess in classes} for actual in classes},
    }, "rows": len(labels)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = evaluate(read_labels(Path(args.labels_dir)), read_predictions(Path(args.predictions_dir)))
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / "evaluation.json").write_text(json.dumps(report, indent=2))
    metrics = report["multiclass_classification_metrics"]
    print(f"test:accuracy={metrics['accuracy']['value']:.4f} test:weighted_f1={metrics['weighted_f1']['value']:.4f} "
          f"rows={report['rows']}")


if __name__ == "__main__":
    main()
