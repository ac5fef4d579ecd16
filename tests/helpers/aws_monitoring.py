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

import io
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.handlers
import botocore.session
import duckdb
import pandas as pd
import pytest
import sqlglot
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sqlglot import exp

from services.aws.model_packages import metadata_properties
from services.endpoints.aws.common import MODEL_TAG
from services.registry import Services
from tests.helpers.athena import answer as athena_answer
from tests.helpers.aws import BUCKET, REGION
from tests.helpers.aws_endpoints import IMAGE, ROLE, register_model

if TYPE_CHECKING:
    from tests.helpers.monitoring import LabelledEndpoint

ACCOUNT = "123456789012"
REVIEW_CLASSES = ("-1", "0", "1")  # the demo sentiment classes: negative, neutral, positive
CREATED = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def monitored_endpoint(name: str = "live", group: str = "sentiment", classes: list[str] | None = None,
                       model_id: str = "") -> str:
    """An InService endpoint in moto whose variant ``a`` serves a registered model (``model_id``, else a tabular one
    registered now), tagged as the workbench's deploy tags it (``workbench:model:a``), capturing every request to
    ``s3://<bucket>/endpoints/<name>/capture/``; returns the model id."""
    model_id = model_id or register_model(group, classes=classes or ["negative", "neutral", "positive"])
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


def register_review_model(group: str = "reviews", classes: tuple[str, ...] = REVIEW_CLASSES) -> str:
    """A review (text) model package as the training adapter registers it: the text ``review_body`` and a facet
    column ``division_name``."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    metadata = metadata_properties({"framework": "text-tfidf", "problem_type": "MulticlassClassification",
                                    "target": "sentiment", "classes": list(classes),
                                    "input_schema": [{"Name": "review_body", "Type": "string", "Comment": ""},
                                                     {"Name": "division_name", "Type": "string", "Comment": ""}]})
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group, CustomerMetadataProperties=metadata,
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/training/{group}/model.tar.gz"}],
                                "SupportedContentTypes": ["application/json"], "SupportedResponseMIMETypes": ["application/json"]},
    )["ModelPackageArn"]
    return f"{group}/{arn.rsplit('/', 1)[-1]}"


def review_requests(count: int, seed: int = 0) -> list[tuple[str, dict[str, Any], str, float]]:
    """``count`` captured review requests (eventId, record, predicted class, distinct top probability) and, by
    construction, their true sentiment in ``review_truth``: every fourth prediction is wrong."""
    rng = random.Random(seed)
    requests = []
    for number in range(count):
        truth = REVIEW_CLASSES[number % 3]
        predicted = truth if number % 4 else REVIEW_CLASSES[(number + 1) % 3]
        text = f"review {number}: {('awful', 'so-so', 'lovely')[REVIEW_CLASSES.index(truth)]} {rng.randint(0, 10**6)}"
        record = {"review_body": text, "division_name": ("General", "Petite", "Intimates")[number % 3]}
        requests.append((f"event-{seed}-{number:03d}", record, predicted, 0.34 + 0.6 * number / count))
    return requests


def review_truth(text: str) -> str:
    """The true sentiment ``review_requests`` wrote into a review's text."""
    return REVIEW_CLASSES[("awful", "so-so", "lovely").index(text.split()[2])]


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


# -- Athena over the Glue tables' current S3 files ------------------------------------------------------------------


@contextmanager
def athena_over_glue(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """While active, moto's Athena answers each statement by running it in DuckDB (as ``tests.helpers.athena`` does)
    over the *current* S3 files of the Glue tables it names, so a table's new version is what the next query sees.
    Yields the statements sent."""
    from moto.athena.models import AthenaBackend, QueryResults

    original = AthenaBackend.start_query_execution
    sent: list[str] = []

    def start_query_execution(self: AthenaBackend, query: str, *args: Any, **kwargs: Any) -> str:
        execution_id: str = original(self, query, *args, **kwargs)
        sent.append(query)
        connection = duckdb.connect()
        try:
            for database, table in referenced_tables(query):
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
                connection.register("frame_view", glue_table_frame(database, table))
                connection.execute(f'CREATE TABLE "{database}"."{table}" AS SELECT * FROM frame_view')
                connection.unregister("frame_view")
            self.query_results[execution_id] = QueryResults(*athena_answer(connection, query))
        finally:
            connection.close()
        self._store_query_result_in_s3(execution_id)
        return execution_id

    monkeypatch.setattr(AthenaBackend, "start_query_execution", start_query_execution)
    try:
        yield sent
    finally:
        monkeypatch.setattr(AthenaBackend, "start_query_execution", original)


def referenced_tables(sql: str) -> list[tuple[str, str]]:
    return list(dict.fromkeys((t.db, t.name) for t in sqlglot.parse_one(sql, read="athena").find_all(exp.Table) if t.db))


def glue_table_frame(database: str, table: str) -> pd.DataFrame:
    """Every row of the files under a Glue table's location (CSV with a header row, or Parquet), named as Glue names
    the columns."""
    found = boto3.client("glue", region_name=REGION).get_table(DatabaseName=database, Name=table)["Table"]
    names = [c["Name"] for c in found["StorageDescriptor"]["Columns"]]
    bucket, _, prefix = found["StorageDescriptor"]["Location"].removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", region_name=REGION)
    frames = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        frame = pd.read_parquet(body) if obj["Key"].endswith(".parquet") else pd.read_csv(body)
        frames.append(frame.set_axis(names, axis=1) if len(frame.columns) == len(names) else frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)


# -- Model Monitor's side: an execution over the capture and the ground truth in S3 -------------------------------


def captured_predictions(endpoint: str, variant: str = "a") -> dict[str, str]:
    """eventId -> the predicted label, from the endpoint's capture files in S3 (what Model Monitor reads)."""
    s3 = boto3.client("s3", region_name=REGION)
    prefix = f"endpoints/{endpoint}/capture/{endpoint}/{variant}/"
    predictions: dict[str, str] = {}
    for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
        for line in s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read().decode().splitlines():
            record = json.loads(line)
            answer = json.loads(record["captureData"]["endpointOutput"]["data"])
            predictions[record["eventMetadata"]["eventId"]] = str(answer["predictions"][0]["predicted_label"])
    return predictions


def ground_truth_in_s3(endpoint: str) -> dict[str, str]:
    """eventId -> label merged over the ground-truth files under ``ground-truth/<endpoint>/`` (a later line wins)."""
    s3 = boto3.client("s3", region_name=REGION)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"ground-truth/{endpoint}/").get("Contents", []))
    truth: dict[str, str] = {}
    for key in keys:
        for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines():
            record = json.loads(line)
            truth[record["eventMetadata"]["eventId"]] = str(record["groundTruthData"]["data"])
    return truth


def model_quality_execution(book: ScheduleBook, schedule: str, endpoint: str, job_name: str,
                            threshold: float = 0.5) -> list[tuple[str, str]]:
    """Play Model Monitor's hourly model-quality execution: merge the capture with the ground truth by eventId,
    compute the multiclass metrics (scikit-learn), write the three files and record the execution. Returns the
    merged (ground truth, prediction) pairs."""
    predictions, truth = captured_predictions(endpoint), ground_truth_in_s3(endpoint)
    pairs = [(truth[event], predicted) for event, predicted in predictions.items() if event in truth]
    actual, predicted = [a for a, _ in pairs], [p for _, p in pairs]
    metric = lambda value: {"value": float(value), "standard_deviation": 0.0}  # noqa: E731
    matrix: dict[str, dict[str, int]] = {}
    for a, p in pairs:
        matrix.setdefault(a, {})[p] = matrix.get(a, {}).get(p, 0) + 1
    accuracy = accuracy_score(actual, predicted)
    statistics = {"version": 0.0, "dataset": {"item_count": len(pairs)}, "multiclass_classification_metrics": {
        "confusion_matrix": matrix, "accuracy": metric(accuracy),
        "weighted_recall": metric(recall_score(actual, predicted, average="weighted", zero_division=0)),
        "weighted_precision": metric(precision_score(actual, predicted, average="weighted", zero_division=0)),
        "weighted_f1": metric(f1_score(actual, predicted, average="weighted", zero_division=0))}}
    constraints = {"version": 0.0, "multiclass_classification_constraints": {
        "accuracy": {"threshold": threshold, "comparison_operator": "LessThanThreshold"}}}
    violations = [{"constraint_check_type": "LessThanThreshold", "metric_name": "accuracy",
                   "description": f"Metric accuracy with {accuracy:.4f} +/- 0.0 was LessThanThreshold '{threshold}'"}
                  ] if accuracy < threshold else []
    arn = put_execution_report(job_name, {"statistics.json": statistics, "constraints.json": constraints,
                                          "constraint_violations.json": {"violations": violations}})
    book.add_execution(schedule, "CompletedWithViolations" if violations else "Completed", arn)
    return pairs


def data_quality_execution(book: ScheduleBook, schedule: str, endpoint: str, job_name: str) -> int:
    """Play Model Monitor's data-quality execution over the captured requests (no violations); returns the count."""
    count = len(captured_predictions(endpoint))
    statistics = {"version": 0.0, "dataset": {"item_count": count}, "features": [
        {"name": "review_body", "inferred_type": "String",
         "string_statistics": {"common": {"num_present": count, "num_missing": 0}, "distinct_count": float(count)}}]}
    constraints = {"version": 0.0, "features": [{"name": "review_body", "inferred_type": "String", "completeness": 1.0}]}
    arn = put_execution_report(job_name, {"statistics.json": statistics, "constraints.json": constraints,
                                          "constraint_violations.json": {"violations": []}})
    book.add_execution(schedule, "Completed", arn)
    return count


# -- the contract worlds ----------------------------------------------------------------------------------------------


def aws_labels_world(services: Services, endpoint: str, folder: Path, count: int = 12) -> list[str]:
    """A review endpoint in moto that captured ``count`` requests (two hours of files), plus the labels contract's two
    tables in Glue and S3; returns the captured eventIds in capture order."""
    from tests.helpers.labels import import_tables

    monitored_endpoint(endpoint, model_id=register_review_model(f"{endpoint}-model"))
    requests = review_requests(count)
    half = count // 2
    put_capture(endpoint, requests[:half], hour="2025/01/01/10")
    put_capture(endpoint, requests[half:], hour="2025/01/01/11")
    import_tables(services, folder)
    return [event for event, *_ in requests]


def aws_labelled_reviews(services: Services, book: ScheduleBook, endpoint: str, reviews: int = 40,
                         labelled: int = 30) -> LabelledEndpoint:
    """The monitoring contract's world on AWS: ``reviews`` captured review requests, data-quality and model-quality
    schedules, the model-quality report asked for before any label, ``labelled`` requests labelled with their true
    sentiment through the labels port (ground truth in S3), then one execution of each schedule as Model Monitor runs
    it over the capture and that ground truth."""
    from services.labels.models import LabelSource
    from services.monitoring.models import ScheduleRequest
    from tests.helpers.monitoring import LabelledEndpoint

    monitored_endpoint(endpoint, model_id=register_review_model(f"{endpoint}-model"))
    put_capture(endpoint, review_requests(reviews))
    for monitor_type in ("data-quality", "model-quality"):
        services.monitoring.create_schedule(ScheduleRequest(endpoint, monitor_type))
    before = services.monitoring.run_monitor(endpoint, "model-quality")
    source = LabelSource(endpoint=endpoint)
    items = services.labels.queue(source, order="random", limit=labelled).items
    for item in items:
        services.labels.submit(source, item.item_id, review_truth(item.text), "tester")
    data_quality_execution(book, f"{endpoint}-data-quality", endpoint, "dq-execution")
    model_quality_execution(book, f"{endpoint}-model-quality", endpoint, "mq-execution")
    pairs = tuple((review_truth(item.text), item.prediction) for item in items)
    return LabelledEndpoint(services, endpoint, reviews, len(items), pairs, before)
