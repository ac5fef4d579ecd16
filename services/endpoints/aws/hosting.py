"""Hosting on SageMaker: deploy (models, endpoint config, endpoint), describe with CloudWatch traffic,
list, delete and logs."""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from services.aws.errors import AWS_ERRORS, translated
from services.aws.sagemaker import error_code, iso, model_id_of
from services.endpoints.aws.common import LOG_GROUP, MODEL_TAG, STATUSES, EndpointsBase, config_variant_specs, config_variants
from services.endpoints.deployment import deployment_events, events_summary
from services.endpoints.models import (
    DeployRequest,
    Endpoint,
    Variant,
    VariantStats,
)
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.models import ModelRecord
from services.names import check_name

JSON_CONTENT_TYPES = ["application/json", "application/jsonlines"]
CSV_CONTENT_TYPES = ["text/csv"]
METRICS = (("Invocations", "Sum"), ("Invocation4XXErrors", "Sum"), ("Invocation5XXErrors", "Sum"),
           ("ModelLatency", "p50"), ("ModelLatency", "p99"))
METRICS_WINDOW = timedelta(days=14)
ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")
METRICS_DENIED = "Traffic metrics unavailable: no permission to read CloudWatch metrics (cloudwatch:GetMetricData)."


@dataclass(frozen=True)
class Traffic:
    requests: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None



class Hosting(EndpointsBase):
    # -- lifecycle ----------------------------------------------------------------------------

    @translated
    def deploy(self, request: DeployRequest) -> Endpoint:
        """CreateModel per variant, CreateEndpointConfig (production and shadow variants, data capture),
        CreateEndpoint; returns at once (Creating). Checks names, setup, models and the name's freedom
        before creating anything, and removes what it created when a later step fails."""
        check_deploy_request(request)
        role = self._require_role()
        bucket = self._require_bucket() if request.capture_percent else ""
        self._require_new(request.name)
        packages = {v.name: self._package(v.model_id) for v in request.variants}
        created: list[tuple[str, dict[str, str]]] = []
        try:
            self._create_resources(request, packages, role, bucket, created)
        except AWS_ERRORS:
            self._remove(created)
            raise
        return self.describe_endpoint(request.name)

    def _create_resources(self, request: DeployRequest, packages: dict[str, dict[str, Any]], role: str, bucket: str,
                          created: list[tuple[str, dict[str, str]]]) -> None:
        config_name = self._create_config(request, packages, role, bucket, created)
        tags = [{"Key": f"{MODEL_TAG}{v.name}", "Value": model_id_of(packages[v.name])} for v in request.variants]
        self._sagemaker.create_endpoint(EndpointName=request.name, EndpointConfigName=config_name, Tags=tags)

    def _create_config(self, request: DeployRequest, packages: dict[str, dict[str, Any]], role: str, bucket: str,
                       created: list[tuple[str, dict[str, str]]], stamp: str = "") -> str:
        """CreateModel per variant and CreateEndpointConfig; returns the config's name (``created`` lists both).
        ``stamp`` (12 characters) ends the names; by default the time to the second."""
        stamp = stamp or datetime.now(UTC).strftime("%y%m%d%H%M%S")
        models = {v.name: model_resource_name(request.name, v.name, stamp) for v in request.variants}
        for variant in request.variants:
            self._sagemaker.create_model(ModelName=models[variant.name], ExecutionRoleArn=role,
                                         Containers=package_containers(packages[variant.name]))
            created.append(("delete_model", {"ModelName": models[variant.name]}))
        config_name = f"{request.name[:50]}-{stamp}"
        self._sagemaker.create_endpoint_config(**endpoint_config_spec(config_name, request, models,
                                                                      self.settings.inference_instance_type, bucket))
        created.append(("delete_endpoint_config", {"EndpointConfigName": config_name}))
        return config_name

    def _remove(self, created: list[tuple[str, dict[str, str]]]) -> None:
        """Best effort: the error that made us roll back is the one worth showing."""
        for operation, parameters in reversed(created):
            with contextlib.suppress(*AWS_ERRORS):
                getattr(self._sagemaker, operation)(**parameters)

    def wait_for_endpoint(self, name: str, timeout_seconds: float = 120) -> Endpoint:
        """Poll every ``poll_seconds`` until InService or Failed (or the timeout passes)."""
        deadline = self._clock() + timeout_seconds
        endpoint = self.describe_endpoint(name)
        while endpoint.status not in ("InService", "Failed") and self._clock() < deadline:
            self._sleep(self.poll_seconds)
            endpoint = self.describe_endpoint(name)
        return endpoint

    @translated
    def describe_endpoint(self, name: str) -> Endpoint:
        """DescribeEndpoint and its config, the variants' models (tags), the first model's package, traffic."""
        raw = self._describe(name)
        config = self._endpoint_config(raw.get("EndpointConfigName", ""))
        model_ids = self._model_ids(raw["EndpointArn"])
        variants = config_variants(raw, config)
        record = self._record(model_ids.get(variants[0].name, "")) if variants else None
        traffic = self._traffic(name, [v.name for v in variants], raw.get("CreationTime"))
        notes = () if traffic is not None else (METRICS_DENIED,)
        return replace(endpoint_from_aws(raw, config, model_ids, record, traffic or {}, self.gateway_url()), notes=notes,
                       deployment=events_summary(deployment_events(raw)))

    def _traffic(self, name: str, variants: list[str], created: Any) -> dict[str, Traffic] | None:
        """Per variant, from CloudWatch over the endpoint's life (at most ``METRICS_WINDOW``); ``None`` without
        permission to read metrics (that must not hide the endpoint). Any other CloudWatch error is raised."""
        if not variants or not isinstance(created, datetime):
            return {}
        end = datetime.now(UTC)
        start = max(created.astimezone(UTC), end - METRICS_WINDOW)
        period = max(60, math.ceil((end - start).total_seconds() / 60) * 60)
        try:
            results = self._cloudwatch.get_metric_data(MetricDataQueries=metric_queries(name, variants, period),
                                                       StartTime=start - timedelta(minutes=1), EndTime=end + timedelta(minutes=1))
        except ClientError as exc:
            if error_code(exc) in ACCESS_DENIED:
                return None
            raise
        return traffic_from_results(variants, results.get("MetricDataResults", []))

    @translated
    def list_endpoints(self) -> list[Endpoint]:
        """Every endpoint in the region, newest first (one describe each; one gone meanwhile is skipped)."""
        pages = self._sagemaker.get_paginator("list_endpoints").paginate(SortBy="CreationTime", SortOrder="Descending")
        names = [e["EndpointName"] for page in pages for e in page.get("Endpoints", [])]
        endpoints = []
        for name in names:
            with contextlib.suppress(NotFound):
                endpoints.append(self.describe_endpoint(name))
        return endpoints

    @translated
    def delete_endpoint(self, name: str) -> None:
        """DeleteEndpoint, wait until it is gone, then delete its endpoint config and its models."""
        raw = self._describe(name)
        config = self._endpoint_config(raw.get("EndpointConfigName", ""))
        self._sagemaker.delete_endpoint(EndpointName=name)
        self._wait_gone(name)
        if config:
            self._delete_if_present("delete_endpoint_config", EndpointConfigName=config["EndpointConfigName"])
        for model in sorted({v["ModelName"] for v in config_variant_specs(config) if v.get("ModelName")}):
            self._delete_if_present("delete_model", ModelName=model)

    def _wait_gone(self, name: str) -> None:
        deadline = self._clock() + self.delete_timeout_seconds
        while True:
            try:
                self._call("describe_endpoint", EndpointName=name)
            except NotFound:
                return
            if self._clock() > deadline:
                raise BackendUnavailable(f"SageMaker is still deleting the endpoint {name!r}.",
                                         hint="It keeps deleting in the background; refresh the list in a minute.")
            self._sleep(self.poll_seconds)

    def _delete_if_present(self, operation: str, **parameters: str) -> None:
        with contextlib.suppress(NotFound):
            self._call(operation, **parameters)

    @translated
    def endpoint_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        """The end of CloudWatch Logs ``/aws/sagemaker/Endpoints/{name}`` (latest streams); ``""`` when none yet."""
        self._describe(name)
        group = LOG_GROUP.format(name=name)
        try:
            streams = self._logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True,
                                                      limit=10).get("logStreams", [])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return ""
            raise
        parts = [self._stream_tail(group, s["logStreamName"], tail_bytes) for s in reversed(streams)]
        return "\n".join(p for p in parts if p)[-tail_bytes:]

    def _stream_tail(self, group: str, stream: str, tail_bytes: int) -> str:
        events = self._logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False,
                                           limit=10_000).get("events", [])
        return "\n".join(str(e.get("message", "")) for e in events)[-tail_bytes:]

# -- requests ---------------------------------------------------------------------------------------


def check_deploy_request(request: DeployRequest) -> None:
    """SageMaker's naming rules and variant rules, checked before anything is created."""
    check_name("endpoint", request.name)
    if not 0 <= request.capture_percent <= 100:
        raise InvalidInput(f"Capture {request.capture_percent}% is not a percentage.", hint="Use 0 (off) to 100.")
    check_variants(request.variants)


def check_variants(variants: tuple[Variant, ...]) -> None:
    production = [v for v in variants if not v.shadow]
    if not production:
        raise InvalidInput("An endpoint needs at least one variant that answers.", hint="Add a variant that is not a shadow.")
    if len({v.name for v in variants}) != len(variants):
        raise InvalidInput("Variant names must differ.", hint="Name each variant once, e.g. champion and challenger.")
    for variant in variants:
        check_name("variant", variant.name)
        if not variant.model_id:
            raise InvalidInput(f"Variant {variant.name} has no model.", hint="Pick a registered model for every variant.")
        if variant.weight < 0:
            raise InvalidInput(f"Variant {variant.name} has a negative weight.", hint="Weights are shares of traffic, 0 or more.")
    if sum(v.weight for v in production) <= 0:
        raise InvalidInput("Every answering variant has weight 0, so no request could be served.", hint="Give one a weight above 0.")
    if len(variants) > len(production) and (len(production) != 1 or len(variants) != 2):
        raise InvalidInput("SageMaker allows a shadow variant only beside exactly one production variant.",
                           hint="Deploy one answering variant and one shadow.")


def model_resource_name(endpoint: str, variant: str, stamp: str) -> str:
    """``{endpoint}-{variant}-{stamp}`` within SageMaker's 63 characters."""
    return f"{endpoint[:30]}-{variant[:19]}-{stamp}"


def package_containers(package: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: c[k] for k in ("Image", "ModelDataUrl", "Environment") if c.get(k)}
            for c in package["InferenceSpecification"]["Containers"]]


def endpoint_config_spec(config_name: str, request: DeployRequest, models: dict[str, str], instance_type: str,
                         bucket: str) -> dict[str, Any]:
    """``CreateEndpointConfig``'s parameters: production and shadow variants, and data capture when on."""
    def variants(shadow: bool) -> list[dict[str, Any]]:
        return [{"VariantName": v.name, "ModelName": models[v.name], "InitialInstanceCount": 1, "InstanceType": instance_type,
                 "InitialVariantWeight": float(v.weight)} for v in request.variants if v.shadow == shadow]

    spec: dict[str, Any] = {"EndpointConfigName": config_name, "ProductionVariants": variants(False)}
    if any(v.shadow for v in request.variants):
        spec["ShadowProductionVariants"] = variants(True)
    if request.capture_percent:
        spec["DataCaptureConfig"] = data_capture_config(request.name, request.capture_percent, bucket)
    return spec


def data_capture_config(name: str, percent: int, bucket: str) -> dict[str, Any]:
    return {"EnableCapture": True, "InitialSamplingPercentage": percent,
            "DestinationS3Uri": f"s3://{bucket}/endpoints/{name}/capture/",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": JSON_CONTENT_TYPES, "CsvContentTypes": CSV_CONTENT_TYPES}}



def metric_queries(name: str, variants: list[str], period: int) -> list[dict[str, Any]]:
    return [{"Id": f"m{i}_{j}", "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric,
                   "Dimensions": [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": variant}]},
        "Period": period, "Stat": stat}}
        for i, variant in enumerate(variants) for j, (metric, stat) in enumerate(METRICS)]




def endpoint_from_aws(raw: dict[str, Any], config: dict[str, Any], model_ids: dict[str, str], record: ModelRecord | None,
                      traffic: dict[str, Traffic], gateway: str) -> Endpoint:
    stats = tuple(VariantStats(v.name, model_ids.get(v.name, ""), v.weight, v.shadow, **asdict(traffic.get(v.name, Traffic())))
                  for v in config_variants(raw, config))
    answering = [s for s in stats if not s.shadow]
    status = STATUSES.get(raw.get("EndpointStatus", ""), "Creating")
    created = raw.get("CreationTime")
    uptime = (datetime.now(UTC) - created).total_seconds() if status == "InService" and isinstance(created, datetime) else None
    framework = record.framework if record else ""
    return Endpoint(
        name=raw["EndpointName"], status=status, url=f"{gateway}/endpoints/{quote(raw['EndpointName'])}/invocations",
        variants=stats, created_at=iso(created), failure_reason=failure_reason(raw, status), capture_percent=capture_percent(raw, config),
        uptime_seconds=uptime, requests=sum(s.requests for s in answering), errors=sum(s.errors for s in answering),
        latency_p50_ms=_highest(s.latency_p50_ms for s in answering), latency_p99_ms=_highest(s.latency_p99_ms for s in answering),
        problem_type=record.problem_type if record else "", framework=framework,
        input_columns=tuple(c.name for c in record.input_schema) if record else (), text_model=bool(record and record.text_model),
    )


def failure_reason(raw: dict[str, Any], status: str) -> str:
    if status != "Failed":
        return ""
    reason = str(raw.get("FailureReason") or "")
    if raw.get("EndpointStatus") == "OutOfService":
        return reason or "SageMaker reports the endpoint OutOfService: it cannot answer requests."
    return reason or "SageMaker gave no reason; see the endpoint's logs."


def capture_percent(raw: dict[str, Any], config: dict[str, Any]) -> int:
    configured = config.get("DataCaptureConfig") or {}
    live = raw.get("DataCaptureConfig") or {}
    if not (live.get("EnableCapture", configured.get("EnableCapture", False))):
        return 0
    return int(live.get("CurrentSamplingPercentage", configured.get("InitialSamplingPercentage", 100)))


def traffic_from_results(variants: list[str], results: list[dict[str, Any]]) -> dict[str, Traffic]:
    """Counts summed over the window's datapoints; latency (CloudWatch's microseconds) the worst datapoint, in ms."""
    values = {r["Id"]: [float(v) for v in r.get("Values", [])] for r in results}
    traffic = {}
    for i, variant in enumerate(variants):
        requests, errors_4xx, errors_5xx, p50, p99 = (values.get(f"m{i}_{j}", []) for j in range(len(METRICS)))
        traffic[variant] = Traffic(int(sum(requests)), int(sum(errors_4xx) + sum(errors_5xx)),
                                   max(p50) / 1000 if p50 else None, max(p99) / 1000 if p99 else None)
    return traffic


def _highest(values: Any) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None

