"""SageMaker Autopilot as the aws tests see it: a ``DescribeAutoMLJobV2`` answer and the report files Autopilot
writes for its best candidate, in their documented shapes (the DescribeAutoMLJobV2 response syntax; Model
Monitor's model-quality statistics; SageMaker Clarify's analysis.json)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3

# Model Monitor's binary-classification metrics (the documented example, with its curves).
MODEL_QUALITY = {
    "version": 0.0,
    "dataset": {"item_count": 4, "evaluation_time": "2025-01-01T00:30:00.000Z"},
    "binary_classification_metrics": {
        "confusion_matrix": {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}},
        "recall": {"value": 1.0, "standard_deviation": "NaN"},
        "precision": {"value": 0.3333333333333333, "standard_deviation": "NaN"},
        "accuracy": {"value": 0.5, "standard_deviation": "NaN"},
        "auc": {"value": 1.0, "standard_deviation": "NaN"},
        "f1": {"value": 0.5, "standard_deviation": "NaN"},
        "receiver_operating_characteristic_curve": {"false_positive_rates": [0.0, 0.3333333333333333, 1.0],
                                                    "true_positive_rates": [0.0, 1.0, 1.0]},
        "precision_recall_curve": {"precisions": [1.0, 0.3333333333333333, 0.25], "recalls": [1.0, 1.0, 1.0]},
    },
}
# SageMaker Clarify's analysis.json for a SHAP (kernel) run.
SHAP_ANALYSIS = {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
    "global_shap_values": {"age": 0.021, "division_name": 0.0087, "department_name": 0.0043}, "expected_value": 0.6112}}}}


def autopilot_description(name: str, bucket: str, status: str = "Completed", failure_reason: str = "",
                          with_reports: bool = True) -> dict[str, Any]:
    """``DescribeAutoMLJobV2``'s answer for a tabular job (its best candidate, reports and notebooks when Completed)."""
    output = f"s3://{bucket}/autopilot/{name}/"
    answer: dict[str, Any] = {
        "AutoMLJobName": name, "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}",
        "AutoMLJobInputDataConfig": [{"ChannelType": "training", "ContentType": "text/csv;header=present", "CompressionType": "None",
                                      "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/data/"}}}],
        "OutputDataConfig": {"S3OutputPath": output},
        "RoleArn": "arn:aws:iam::123456789012:role/workbench-sagemaker",
        "AutoMLProblemTypeConfig": {"TabularJobConfig": {"TargetAttributeName": "recommended", "ProblemType": "BinaryClassification"}},
        "CreationTime": datetime(2025, 1, 1), "LastModifiedTime": datetime(2025, 1, 1, 1),
        "AutoMLJobStatus": status, "AutoMLJobSecondaryStatus": status if status != "Completed" else "Completed",
    }
    if failure_reason:
        answer["FailureReason"] = failure_reason
    if status == "Completed":
        answer["EndTime"] = datetime(2025, 1, 1, 1)
        answer["BestCandidate"] = best_candidate(name, output, with_reports)
        notebooks = f"{output}sagemaker-automl-candidates/notebooks/"
        answer["AutoMLJobArtifacts"] = {
            "CandidateDefinitionNotebookLocation": f"{notebooks}SageMakerAutopilotCandidateDefinitionNotebook.ipynb",
            "DataExplorationNotebookLocation": f"{notebooks}SageMakerAutopilotDataExplorationNotebook.ipynb"}
        answer["ResolvedAttributes"] = {"AutoMLProblemTypeResolvedAttributes": {"TabularResolvedAttributes": {
            "ProblemType": "BinaryClassification"}}}
    return answer


def best_candidate(name: str, output: str, with_reports: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "CandidateName": f"{name}-best", "ObjectiveStatus": "Succeeded", "CandidateStatus": "Completed",
        "FinalAutoMLJobObjectiveMetric": {"Type": "Maximize", "MetricName": "F1", "Value": 0.5},
        "CandidateSteps": [{"CandidateStepType": "AWS::SageMaker::TrainingJob", "CandidateStepName": f"{name}-best-train",
                            "CandidateStepArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}-best-train"}],
        "InferenceContainers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                                 "ModelDataUrl": f"{output}model.tar.gz"}],
        "CreationTime": datetime(2025, 1, 1), "EndTime": datetime(2025, 1, 1, 1), "LastModifiedTime": datetime(2025, 1, 1, 1),
    }
    if with_reports:
        candidate["CandidateProperties"] = {"CandidateArtifactLocations": {
            "ModelInsights": f"{output}documentation/model_monitor/output/{name}-best/",
            "Explainability": f"{output}documentation/explainability/output/{name}-best/"}}
    return candidate


def put_autopilot_reports(description: dict[str, Any]) -> None:
    """The report files under the locations ``description`` gives: JSON beside the PDF Autopilot also writes."""
    s3 = boto3.client("s3", region_name="us-east-1")
    locations = description["BestCandidate"]["CandidateProperties"]["CandidateArtifactLocations"]
    for uri, document in ((locations["ModelInsights"], MODEL_QUALITY), (locations["Explainability"], SHAP_ANALYSIS)):
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        name = "statistics.json" if document is MODEL_QUALITY else "analysis.json"
        s3.put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=json.dumps(document).encode())
        s3.put_object(Bucket=bucket, Key=f"{prefix}report.pdf", Body=b"%PDF-1.4 not read")
