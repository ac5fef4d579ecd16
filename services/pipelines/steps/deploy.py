"""Endpoint deploy steps: ``EndpointConfig`` (CreateEndpointConfig: ProductionVariants naming Model steps' models,
ShadowProductionVariants, DataCaptureConfig) and ``Endpoint`` (CreateEndpoint: EndpointName, EndpointConfigName)
→ the endpoints port's deploy of those registry models. The endpoint step succeeds once the endpoint is
InService (its servers are up), with DescribeEndpoint's properties; a Failed endpoint fails the step with
its FailureReason. Both finish within the orchestrator's tick (the servers run on their own), so they start
no job."""

from __future__ import annotations

from typing import Any

from services.embedded.metadata import utc_now
from services.endpoints.models import DeployRequest, Variant
from services.errors import AlreadyExists, InvalidInput, ServiceError
from services.names import check_name
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.model import model_id_of
from services.pipelines.steps.resources import load_resource, save_resource

IN_SERVICE_TIMEOUT_SECONDS = 300
HINT = "Fix the step's arguments (the CreateEndpointConfig / CreateEndpoint request shape)."


def _variants(step: str, arguments: dict[str, Any], key: str) -> list[dict[str, Any]]:
    variants = arguments.get(key) or []
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise InvalidInput(f"Step {step!r}: {key} must be a list of variants.", hint=HINT)
    for variant in variants:
        if not variant.get("VariantName") or not variant.get("ModelName"):
            raise InvalidInput(f"Step {step!r}: every variant needs a VariantName and a ModelName.", hint=HINT)
        if variant.get("ServerlessConfig"):
            raise InvalidInput(f"Step {step!r}: serverless variants do not run locally.", hint=HINT)
    return variants


def check_endpoint_config(step: str, arguments: dict[str, Any]) -> None:
    if not _variants(step, arguments, "ProductionVariants"):
        raise InvalidInput(f"Step {step!r}: ProductionVariants is empty.", hint=HINT)
    _variants(step, arguments, "ShadowProductionVariants")
    name = arguments.get("EndpointConfigName")
    if name and containers.concrete(name):
        check_name("endpoint-config", str(name))


def capture_percent(arguments: dict[str, Any]) -> int:
    """DataCaptureConfig: InitialSamplingPercentage when EnableCapture (SageMaker's default: on), else 0."""
    capture = arguments.get("DataCaptureConfig")
    if not isinstance(capture, dict) or capture.get("EnableCapture") is False:
        return 0
    return int(capture.get("InitialSamplingPercentage", 100))


class EndpointConfigExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        check_endpoint_config(step_name, arguments)

    def start(self, run: StepRun) -> str:
        check_endpoint_config(run.step_name, run.arguments)
        variants = [{"name": v["VariantName"], "model_id": model_id_of(self.deps, str(v["ModelName"])),
                     "weight": float(v.get("InitialVariantWeight", 1.0)), "shadow": shadow}
                    for key, shadow in (("ProductionVariants", False), ("ShadowProductionVariants", True))
                    for v in _variants(run.step_name, run.arguments, key)]
        save_resource(self.deps.settings.home, "endpoint-configs", config_name(run),
                      {"variants": variants, "capture_percent": capture_percent(run.arguments), "created": utc_now()})
        return ""

    def outcome(self, run: StepRun) -> StepOutcome:
        name = config_name(run)
        arn = containers.job_arn("endpoint-config", name)
        properties: dict[str, Any] = {key: run.arguments[key] for key in ("ProductionVariants", "ShadowProductionVariants",
                                                                          "DataCaptureConfig") if key in run.arguments}
        properties |= {"EndpointConfigName": name, "EndpointConfigArn": arn,
                       "CreationTime": load_resource(self.deps.settings.home, "endpoint-configs", name)["created"]}
        return StepOutcome(properties, {"EndpointConfig": {"Arn": arn}})


def config_name(run: StepRun) -> str:
    """EndpointConfigName when the step gives one, else the step's job name."""
    return str(run.arguments.get("EndpointConfigName") or run.job_name)


def check_endpoint(step: str, arguments: dict[str, Any]) -> None:
    for key, rule in (("EndpointName", "endpoint"), ("EndpointConfigName", "endpoint-config")):
        value = arguments.get(key)
        if not value:
            raise InvalidInput(f"Step {step!r}: {key} is missing.", hint=HINT)
        if containers.concrete(value):
            check_name(rule, str(value))


class EndpointExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        check_endpoint(step_name, arguments)

    def start(self, run: StepRun) -> str:
        check_endpoint(run.step_name, run.arguments)
        config = load_resource(self.deps.settings.home, "endpoint-configs", str(run.arguments["EndpointConfigName"]))
        variants = tuple(Variant(v["name"], v["model_id"], v["weight"], v["shadow"]) for v in config["variants"])
        name = str(run.arguments["EndpointName"])
        try:
            self.deps.endpoints.deploy(DeployRequest(name, variants, capture_percent=int(config["capture_percent"])))
        except AlreadyExists:
            if not self._same_models(name, variants):  # a resumed orchestrator starting this step again is fine
                raise
        return ""

    def _same_models(self, name: str, variants: tuple[Variant, ...]) -> bool:
        endpoint = self.deps.endpoints.describe_endpoint(name)
        return sorted(v.model_id for v in endpoint.variants) == sorted(v.model_id for v in variants)

    def outcome(self, run: StepRun) -> StepOutcome:
        name = str(run.arguments["EndpointName"])
        endpoint = self.deps.endpoints.wait_for_endpoint(name, IN_SERVICE_TIMEOUT_SECONDS)
        if endpoint.status != "InService":
            raise ServiceError(f"Endpoint {name} is {endpoint.status}: {endpoint.failure_reason or 'not in service in time.'}",
                               hint="See the endpoint's logs on the Endpoints page.")
        arn = containers.job_arn("endpoint", name)
        properties: dict[str, Any] = {"EndpointName": name, "EndpointArn": arn, "EndpointStatus": endpoint.status,
                      "EndpointConfigName": run.arguments["EndpointConfigName"], "CreationTime": endpoint.created_at,
                      "ProductionVariants": [{"VariantName": v.name, "CurrentWeight": v.weight} for v in endpoint.variants
                                             if not v.shadow]}
        return StepOutcome(properties, {"Endpoint": {"Arn": arn}})
