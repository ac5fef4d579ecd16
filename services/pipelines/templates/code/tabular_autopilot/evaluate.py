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
import json
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


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
    labels = pd.read_csv(folder / "labels.csv", dtype=str, keep_default_na=False)
    return [value.strip() for value in labels.iloc[:, 0]]


def evaluate(labels: list[str], predicted: list[str]) -> dict[str, Any]:
    if len(labels) != len(predicted):
        raise SystemExit(f"{len(predicted)} predictions for {len(labels)} held-out rows: the transform's output does not "
                         "line up with the labels")
    classes = sorted(set(labels) | set(predicted))
    precision, recall, f1, _ = precision_recall_fscore_support(labels, predicted, labels=classes, average="weighted",
                                                               zero_division=0)
    matrix = confusion_matrix(labels, predicted, labels=classes)
    return {"multiclass_classification_metrics": {
        "accuracy": {"value": float(accuracy_score(labels, predicted))},
        "weighted_precision": {"value": float(precision)},
        "weighted_recall": {"value": float(recall)},
        "weighted_f1": {"value": float(f1)},
        "confusion_matrix": {actual: {guess: int(matrix[i][j]) for j, guess in enumerate(classes)}
                             for i, actual in enumerate(classes)},
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
