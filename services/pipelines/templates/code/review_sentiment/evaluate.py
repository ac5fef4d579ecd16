"""Evaluate the review-sentiment model (a SageMaker Processing script, scikit-learn image).

Reads the training job's ``model.tar.gz`` and the test split, and writes ``evaluation.json`` with the
macro-F1 and accuracy of the predictions and Clarify's DPPL (difference in positive proportions in
predicted labels) across ``product_category``: the facet is the category with most test rows, the rest is
the other group, "positive" is a predicted ``positive`` sentiment, and DPPL = q_rest - q_facet as Clarify
computes it. The pipeline's condition reads the file through a PropertyFile.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

TEXT, LABEL, CATEGORY = "review_body", "sentiment", "product_category"
POSITIVE = "positive"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", default="/opt/ml/processing/model", help="holds model.tar.gz")
    parser.add_argument("--test-dir", default="/opt/ml/processing/test")
    parser.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    return parser.parse_args(argv)


def load_model(folder: Path) -> Any:
    """model.joblib read straight out of model.tar.gz (nothing extracted to disk)."""
    with tarfile.open(folder / "model.tar.gz", "r:gz") as archive:
        member = next((m for m in archive.getmembers() if m.isfile() and Path(m.name).name == "model.joblib"), None)
        if member is None:
            raise SystemExit("model.tar.gz holds no model.joblib")
        handle = archive.extractfile(member)
        assert handle is not None
        return joblib.load(io.BytesIO(handle.read()))


def dppl(categories: pd.Series, predicted: pd.Series) -> dict[str, Any]:
    """Clarify's DPPL for the most common category (facet d) against the rest (a): q_a - q_d."""
    facet = str(categories.value_counts().idxmax())
    in_facet = categories == facet
    positive = predicted == POSITIVE
    if in_facet.all():
        return {"value": 0.0, "negated_value": 0.0, "facet": facet, "note": "every row is in the facet; no other group to compare"}
    q_facet, q_rest = float(positive[in_facet].mean()), float(positive[~in_facet].mean())
    value = q_rest - q_facet
    # negated_value: conditions have no abs(), so the pipeline checks |DPPL| <= t as value <= t and -value <= t
    return {"value": value, "negated_value": -value, "facet": facet, "label_value_or_threshold": POSITIVE,
            "facet_positive_proportion": q_facet, "rest_positive_proportion": q_rest}


def evaluate(model: Any, test: pd.DataFrame) -> dict[str, Any]:
    predicted = pd.Series(model.predict(test[[TEXT]]), index=test.index).astype(str)
    truth = test[LABEL].astype(str)
    return {
        "multiclass_classification_metrics": {
            "macro_f1": {"value": float(f1_score(truth, predicted, average="macro"))},
            "accuracy": {"value": float(accuracy_score(truth, predicted))},
        },
        "bias_metrics": {"dppl": dppl(test[CATEGORY].fillna("unknown").astype(str), predicted)},
        "test_rows": int(len(test)),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    test = pd.concat([pd.read_csv(f) for f in sorted(Path(args.test_dir).glob("*.csv"))], ignore_index=True)
    test[TEXT] = test[TEXT].fillna("").astype(str)
    report = evaluate(load_model(Path(args.model_dir)), test)
    Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    (Path(args.output_dir) / "evaluation.json").write_text(json.dumps(report, indent=2))
    metrics = report["multiclass_classification_metrics"]
    print(f"test:macro_f1={metrics['macro_f1']['value']:.4f} test:accuracy={metrics['accuracy']['value']:.4f} "
          f"dppl={report['bias_metrics']['dppl']['value']:.4f} (facet {report['bias_metrics']['dppl']['facet']})")


if __name__ == "__main__":
    main()
