"""Autopilot's reports on its best candidate, read from S3 into the views the local Autopilot writes
(``services/training/autopilot/insights.py``): ``model_insights`` and ``explainability``.

Where they are: ``DescribeAutoMLJobV2`` → ``BestCandidate.CandidateProperties.CandidateArtifactLocations``
``{ModelInsights, Explainability}`` (S3 prefixes). What they hold, by documented format rather than file name:

* model insights: the Model Monitor model-quality statistics (``binary_classification_metrics`` /
  ``multiclass_classification_metrics`` / ``regression_metrics``, each metric ``{"value", "standard_deviation"}``,
  the confusion matrix as ``{actual: {predicted: count}}``, ROC and precision-recall curves);
* explainability: SageMaker Clarify's ``analysis.json`` (``explanations.kernel_shap.<label>.global_shap_values``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from services.aws.s3 import split_s3_uri

MAX_REPORT_BYTES = 20_000_000  # a report larger than this is not one of these JSON documents
MAX_LISTED = 200
METRIC_SECTIONS = {"binary_classification_metrics": "BinaryClassification",
                   "multiclass_classification_metrics": "MulticlassClassification", "regression_metrics": "Regression"}


def report_locations(describe: dict[str, Any]) -> dict[str, str]:
    """``{"model_insights": s3 prefix, "explainability": s3 prefix}`` of the best candidate (those that exist)."""
    properties = (describe.get("BestCandidate") or {}).get("CandidateProperties") or {}
    locations = properties.get("CandidateArtifactLocations") or {}
    found = {"model_insights": locations.get("ModelInsights", ""), "explainability": locations.get("Explainability", "")}
    return {name: uri for name, uri in found.items() if uri.startswith("s3://")}


def notebook_locations(describe: dict[str, Any]) -> dict[str, str]:
    """The two generated notebooks, named as the local Autopilot names them."""
    artifacts = describe.get("AutoMLJobArtifacts") or {}
    found = {"data_exploration": artifacts.get("DataExplorationNotebookLocation", ""),
             "candidate_definition": artifacts.get("CandidateDefinitionNotebookLocation", "")}
    return {name: uri for name, uri in found.items() if uri}


def json_documents(s3: Any, prefix: str) -> list[dict[str, Any]]:
    """Every JSON object under ``prefix`` (reports are a few small files beside a PDF)."""
    bucket, key = split_s3_uri(prefix)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=MAX_LISTED).get("Contents", [])
    documents = []
    for item in listed:
        if item["Key"].endswith(".json") and item.get("Size", 0) <= MAX_REPORT_BYTES:
            document = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            if isinstance(document, dict):
                documents.append(document)
    return documents


def model_insights(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The first model-quality statistics among ``documents`` as the local ``model_insights``; ``{}`` if none."""
    for document in documents:
        for section, problem_type in METRIC_SECTIONS.items():
            if isinstance(document.get(section), dict):
                return quality_insights(document[section], problem_type, document.get("dataset") or {})
    return {}


def quality_insights(metrics: dict[str, Any], problem_type: str, dataset: dict[str, Any]) -> dict[str, Any]:
    insights: dict[str, Any] = {"problem_type": problem_type, "split": "validation",
                                "rows": int(dataset.get("item_count") or 0), "metrics": scalar_metrics(metrics)}
    matrix = metrics.get("confusion_matrix")
    if isinstance(matrix, dict) and matrix:
        labels = sorted({str(k) for k in matrix} | {str(p) for row in matrix.values() for p in row}, key=_label_order)
        insights["classes"] = labels
        insights["confusion_matrix"] = {"labels": labels, "matrix": [[int((matrix.get(actual) or {}).get(predicted, 0))
                                                                       for predicted in labels] for actual in labels]}
    roc = metrics.get("receiver_operating_characteristic_curve") or {}
    if roc.get("false_positive_rates"):
        insights["roc_curve"] = {"fpr": roc["false_positive_rates"], "tpr": roc["true_positive_rates"],
                                 "auc": insights["metrics"].get("auc")}
    pr = metrics.get("precision_recall_curve") or {}
    if pr.get("recalls"):
        insights["precision_recall_curve"] = {"precision": pr["precisions"], "recall": pr["recalls"]}
    return insights


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float | None]:
    """``{"accuracy": {"value": 0.9, "standard_deviation": …}}`` → ``{"accuracy": 0.9}`` (NaN → None)."""
    values: dict[str, float | None] = {}
    for name, metric in metrics.items():
        if isinstance(metric, dict) and "value" in metric:
            value = _number(metric["value"])
            values[name] = value if value is not None and math.isfinite(value) else None
    return values


def explainability(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Clarify's global SHAP values among ``documents`` as the local ``explainability``; ``{}`` if none."""
    for document in documents:
        outputs = (document.get("explanations") or {}).get("kernel_shap") or {}
        for label, output in outputs.items():
            values = {str(k): float(v) for k, v in (output.get("global_shap_values") or {}).items()}
            if values:
                ranked = dict(sorted(values.items(), key=lambda item: -item[1]))
                return {"method": "kernel_shap", "objective": "", "label": label, "importance": ranked,
                        "complete": True}
    return {}


def _number(value: Any) -> float | None:
    try:
        return float(value)  # Model Monitor writes "NaN" as a string
    except (TypeError, ValueError):
        return None


def _label_order(label: str) -> tuple[int, float, str]:
    """Numeric labels in numeric order (2 before 10), then the rest alphabetically."""
    number = _number(label)
    return (0, number, "") if number is not None and math.isfinite(number) else (1, 0.0, label)
