"""Model Monitor on the aws backend for the monitoring and labels tests (unit, contract, pages).

moto implements the four ``Create*JobDefinition`` calls, endpoints, model packages and processing jobs, but none of
the monitoring-schedule calls. ``ScheduleBook`` answers those five (``CreateMonitoringSchedule``,
``DescribeMonitoringSchedule``, ``ListMonitoringSchedules``, ``DeleteMonitoringSchedule``,
``ListMonitoringExecutions``) through botocore's event hooks, every answer checked against the operation's output
shape in botocore's service model (as the ``Stubber`` checks it), with SageMaker's own ``ResourceNotFound`` /
``ResourceInUse`` errors. Executions are added by the test; their reports are real files in moto's S3 under a real
(moto) processing job's output, in Model Monitor's shapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.handlers
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from services.endpoints.aws.common import MODEL_TAG
from tests.helpers.aws import BUCKET, REGION
from tests.helpers.aws_endpoints import IMAGE, ROLE, register_model

ACCOUNT = "123456789012"
CREATED = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def monitored_endpoint(name: str = "live", group: str = "sentiment", classes: list[str] | None = None) -> str:
    """An InService endpoint in moto whose variant ``a`` serves a registered model, tagged as the workbench's deploy
    tags it (``workbench:model:a``); returns the model id."""
    model_id = register_model(group, classes=classes or ["negative", "neutral", "positive"])
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[{
        "VariantName": "a", "ModelName": f"{name}-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{BUCKET}/endpoints/{name}/capture/",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config",
                              Tags=[{"Key": f"{MODEL_TAG}a", "Value": model_id}])
    return model_id


def put_capture(endpoint: str, requests: list[tuple[str, dict[str, Any], str, float]], hour: str = "2025/01/01/10",
                variant: str = "a", file: str = "capture.jsonl") -> None:
    """SageMaker's data capture of JSON requests, one record each: (eventId, the request's record, the predicted
    label, its probability), under ``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/``."""
    lines = []
    for number, (event_id, record, label, probability) in enumerate(requests):
        answer = {"predictions": [{"predicted_label": label, "probability": probability}]}
        lines.append(json.dumps({"captureData": {
            "endpointInput": {"observedContentType": "application/json", "mode": "INPUT", "encoding": "JSON",
                              "data": json.dumps({"instances": [record]})},
            "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "encoding": "JSON",
                               "data": json.dumps(answer)}},
            "eventMetadata": {"eventId": event_id, "inferenceTime": f"{hour.replace('/', '-', 2).replace('/', 'T')}:{number % 60:02d}:00Z"},
            "eventVersion": "0"}))
    key = f"endpoints/{endpoint}/capture/{endpoint}/{variant}/{hour}/{file}"
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body="\n".join(lines).encode())


class ScheduleBook:
    """SageMaker's monitoring schedules and executions, as the five calls moto lacks see them."""

    def __init__(self) -> None:
        self.schedules: dict[str, dict[str, Any]] = {}
        self.executions: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.page_size = 2  # small pages, so paging is exercised
        self.failures: dict[str, tuple[str, str]] = {}  # operation -> (Error.Code, Message)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> ScheduleBook:
        answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "CreateMonitoringSchedule": self._create, "DescribeMonitoringSchedule": self._describe,
            "ListMonitoringSchedules": self._list, "DeleteMonitoringSchedule": self._delete,
            "ListMonitoringExecutions": self._executions}
        for operation, answer in answers.items():
            _answer(monkeypatch, operation, self._failing(operation, answer), self.calls)
        return self

    def fail(self, operation: str, code: str, message: str) -> None:
        """From now on ``operation`` fails as AWS fails it (e.g. AccessDeniedException, ThrottlingException)."""
        self.failures[operation] = (code, message)

    def _failing(self, operation: str, answer: Callable[[dict[str, Any]], dict[str, Any]]
                 ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def answer_or_fail(params: dict[str, Any]) -> dict[str, Any]:
            if operation in self.failures:
                raise SageMakerError(*self.failures[operation])
            return answer(params)

        return answer_or_fail

    def add_execution(self, schedule: str, status: str, processing_job_arn: str = "", hours_ago: int = 0,
                      failure_reason: str = "") -> dict[str, Any]:
        """An execution of ``schedule`` scheduled ``hours_ago`` before 10:00 on 2025-01-01; it becomes the schedule's
        ``LastMonitoringExecutionSummary`` when it is the newest."""
        raw = self.schedules[schedule]
        when = CREATED + timedelta(hours=1) - timedelta(hours=hours_ago)
        summary: dict[str, Any] = {
            "MonitoringScheduleName": schedule, "ScheduledTime": when, "CreationTime": when,
            "LastModifiedTime": when, "MonitoringExecutionStatus": status, "EndpointName": raw["EndpointName"],
            "MonitoringJobDefinitionName": raw["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"],
            "MonitoringType": raw["MonitoringType"]}
        if processing_job_arn:
            summary["ProcessingJobArn"] = processing_job_arn
        if failure_reason:
            summary["FailureReason"] = failure_reason
        executions = self.executions.setdefault(schedule, [])
        executions.append(summary)
        executions.sort(key=lambda s: s["ScheduledTime"], reverse=True)
        raw["LastMonitoringExecutionSummary"] = executions[0]
        return summary

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["MonitoringScheduleName"]
        if name in self.schedules:
            raise SageMakerError("ResourceInUse", f"Monitoring schedule {name} already exists")
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{name}"
        endpoint = next(t["Value"] for t in params.get("Tags", []) if t["Key"] == "workbench:endpoint")
        config = params["MonitoringScheduleConfig"]
        created = CREATED + timedelta(seconds=len(self.schedules))
        self.schedules[name] = {"MonitoringScheduleArn": arn, "MonitoringScheduleName": name,
                                "MonitoringScheduleStatus": "Scheduled", "MonitoringType": config["MonitoringType"],
                                "CreationTime": created, "LastModifiedTime": created,
                                "MonitoringScheduleConfig": config, "EndpointName": endpoint}
        return {"MonitoringScheduleArn": arn}

    def _describe(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._schedule(params["MonitoringScheduleName"]))

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        self._schedule(params["MonitoringScheduleName"])
        del self.schedules[params["MonitoringScheduleName"]]
        return {}

    def _list(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [s for s in self.schedules.values()
                 if not params.get("EndpointName") or s["EndpointName"] == params["EndpointName"]]
        found.sort(key=lambda s: s["CreationTime"], reverse=params.get("SortOrder") == "Descending")
        keys = ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime", "LastModifiedTime",
                "MonitoringScheduleStatus", "EndpointName", "MonitoringType")
        page, token = self._page([{k: s[k] for k in keys} for s in found], params)
        return {"MonitoringScheduleSummaries": page, **token}

    def _executions(self, params: dict[str, Any]) -> dict[str, Any]:
        page, token = self._page(self.executions.get(params.get("MonitoringScheduleName", ""), []), params)
        return {"MonitoringExecutionSummaries": page, **token}

    def _page(self, items: list[dict[str, Any]], params: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        start = int(params.get("NextToken") or 0)
        end = start + self.page_size
        return items[start:end], ({"NextToken": str(end)} if end < len(items) else {})

    def _schedule(self, name: str) -> dict[str, Any]:
        if name not in self.schedules:
            raise SageMakerError("ResourceNotFound", f"Monitoring schedule {name} not found")
        return self.schedules[name]

    def calls_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


class SageMakerError(Exception):
    """Raised by an answer: SageMaker's error code and message, returned as a 400 error response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _answer(monkeypatch: pytest.MonkeyPatch, operation: str, answer: Callable[[dict[str, Any]], dict[str, Any]],
            calls: list[tuple[str, dict[str, Any]]]) -> None:
    """Every later ``operation`` call of sessions made from now on gets ``answer(params)``, validated against the
    operation's output shape, or the error it raises."""
    output_shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(operation).output_shape
    seen: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))
        calls.append((operation, dict(params)))

    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        try:
            body = answer(seen[-1])
        except SageMakerError as exc:
            error = {"Error": {"Code": exc.code, "Message": exc.message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
            return AWSResponse("", 400, HTTPHeaders(), None), error
        if output_shape is not None:
            report = ParamValidator().validate(body, output_shape)
            if report.has_errors():
                raise ParamValidationError(report=report.generate_report())
        return AWSResponse("", 200, HTTPHeaders(), None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    handlers = [(f"before-parameter-build.sagemaker.{operation}", remember), (f"before-call.sagemaker.{operation}", respond)]
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, *handlers])


# -- execution reports, as Model Monitor writes them ----------------------------------------------------------------


def model_quality_files(accuracy: float = 0.8, items: int = 120, violated: bool = False) -> dict[str, dict[str, Any]]:
    """A multiclass model-quality execution's three files (Model Monitor's model-quality shapes)."""
    metric = lambda value: {"value": value, "standard_deviation": 0.01}  # noqa: E731
    statistics = {"version": 0.0, "dataset": {"item_count": items, "evaluation_time": "2025-01-01T10:05:00.000Z"},
                  "multiclass_classification_metrics": {
                      "confusion_matrix": {"negative": {"negative": 30, "positive": 10}, "positive": {"negative": 14, "positive": 66}},
                      "accuracy": metric(accuracy), "weighted_recall": metric(accuracy), "weighted_precision": metric(0.81),
                      "weighted_f1": metric(0.79)}}
    constraints = {"version": 0.0, "multiclass_classification_constraints": {
        "accuracy": {"threshold": 0.85, "comparison_operator": "LessThanThreshold"}}}
    violations = [{"constraint_check_type": "LessThanThreshold", "metric_name": "accuracy",
                   "description": f"Metric accuracy with {accuracy} +/- 0.01 was LessThanThreshold '0.85'"}] if violated else []
    return {"statistics.json": statistics, "constraints.json": constraints,
            "constraint_violations.json": {"violations": violations}}


def data_quality_files() -> dict[str, dict[str, Any]]:
    """A data-quality execution with a baseline drift violation (Model Monitor's data-quality shapes)."""
    statistics = {"version": 0.0, "dataset": {"item_count": 300}, "features": [
        {"name": "age", "inferred_type": "Integral", "numerical_statistics": {
            "common": {"num_present": 300, "num_missing": 0}, "mean": 52.1, "sum": 15630.0, "std_dev": 9.2,
            "min": 30.0, "max": 80.0}}]}
    constraints = {"version": 0.0, "features": [{"name": "age", "inferred_type": "Integral", "completeness": 1.0,
                                                 "num_constraints": {"is_non_negative": True}}],
                   "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
                                         "distribution_constraints": {"perform_comparison": "Enabled",
                                                                      "comparison_threshold": 0.1,
                                                                      "comparison_method": "Robust"}}}
    violations = {"violations": [{"feature_name": "age", "constraint_check_type": "baseline_drift_check",
                                  "description": "Baseline drift distance: 0.41 exceeds threshold: 0.1"}]}
    return {"statistics.json": statistics, "constraints.json": constraints, "constraint_violations.json": violations}


def put_execution_report(job_name: str, files: dict[str, dict[str, Any]]) -> str:
    """A finished monitoring execution's processing job in moto, its output in S3 holding ``files``; returns its ARN."""
    output = f"s3://{BUCKET}/monitoring/reports/{job_name}"
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    arn = sagemaker.create_processing_job(
        ProcessingJobName=job_name, RoleArn=ROLE,
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
        AppSpecification={"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"},
        ProcessingOutputConfig={"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": output, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
    )["ProcessingJobArn"]
    s3 = boto3.client("s3", region_name=REGION)
    for name, document in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"monitoring/reports/{job_name}/{name}", Body=json.dumps(document).encode())
    return str(arn)
