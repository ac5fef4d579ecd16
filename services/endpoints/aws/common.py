"""The shared base of the SageMaker endpoints adapter: its dependencies, the endpoint and model look-ups
every topic uses, and the setup checks (role, bucket)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, Protocol

import boto3

from services.aws.model_packages import model_from_package
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients
from services.catalog.base import CatalogPort
from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.endpoints.models import Variant
from services.errors import AlreadyExists, BackendUnavailable, InvalidInput, NotFound
from services.models import Job, ModelRecord
from services.query.base import QueryPort
from services.storage.base import StoragePort

STATUSES = {"Creating": "Creating", "InService": "InService", "Updating": "InService", "SystemUpdating": "InService",
            "RollingBack": "InService", "Deleting": "Deleting", "Failed": "Failed", "OutOfService": "Failed",
            "UpdateRollbackFailed": "Failed"}
MODEL_TAG = "workbench:model:"
LOG_GROUP = "/aws/sagemaker/Endpoints/{name}"
NOT_FOUND_HINT = "Pick an endpoint from the endpoints list; it may be in another region."


class JobDescriber(Protocol):
    """What the drift report needs of the jobs: the config of the job that trained a model."""

    def describe_job(self, name: str) -> Job:
        ...


class EndpointsBase(SageMakerClients):
    """What every part of the SageMaker endpoints adapter shares: the session, settings, the ports it uses,
    the workspace store (batch transform index) and the clock used while waiting."""

    def __init__(self, session: boto3.Session, settings: Settings, store: MetadataStore, *, catalog: CatalogPort,
                 query: QueryPort, storage: StoragePort, jobs: JobDescriber, poll_seconds: float = 15.0,
                 delete_timeout_seconds: float = 900.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.query = query
        self.storage = storage
        self.jobs = jobs
        self.poll_seconds = poll_seconds
        self.delete_timeout_seconds = delete_timeout_seconds
        self._sleep = sleep
        self._clock = clock

    @cached_property
    def _runtime(self) -> Any:
        return self.session.client("sagemaker-runtime")

    @cached_property
    def _cloudwatch(self) -> Any:
        return self.session.client("cloudwatch")

    def gateway_url(self) -> str:
        """The region's SageMaker Runtime, e.g. ``https://runtime.sagemaker.us-east-1.amazonaws.com``."""
        return str(self._runtime.meta.endpoint_url).rstrip("/")

    def _describe(self, name: str) -> dict[str, Any]:
        try:
            return self._call("describe_endpoint", EndpointName=name)  # type: ignore[no-any-return]
        except NotFound as exc:
            raise NotFound(f"No SageMaker endpoint named {name!r} in {self.region}.", hint=NOT_FOUND_HINT) from exc

    def _endpoint_config(self, config_name: str) -> dict[str, Any]:
        """The endpoint's config; ``{}`` when someone deleted it (the endpoint keeps running)."""
        try:
            return self._call("describe_endpoint_config", EndpointConfigName=config_name)  # type: ignore[no-any-return]
        except NotFound:
            return {}

    def _model_ids(self, arn: str) -> dict[str, str]:
        tags = self._sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
        return {t["Key"][len(MODEL_TAG):]: t["Value"] for t in tags if t["Key"].startswith(MODEL_TAG)}

    def _record(self, model_id: str) -> ModelRecord | None:
        """The registered model behind a variant; ``None`` for endpoints deployed elsewhere or deleted packages."""
        if not model_id:
            return None
        try:
            return model_from_package(self._package(model_id))
        except (NotFound, InvalidInput):
            return None

    def _require_new(self, name: str) -> None:
        try:
            self._call("describe_endpoint", EndpointName=name)
        except NotFound:
            return
        raise AlreadyExists(f"An endpoint named {name!r} exists already in {self.region}.",
                            hint="Pick another name, or delete that endpoint first.")

    def _require_bucket(self) -> str:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for captured traffic and batch output.", hint=BUCKET_HINT)
        return self.settings.s3_bucket

    def _require_role(self) -> str:
        if not self.settings.sagemaker_role:
            raise BackendUnavailable("No IAM role is configured for SageMaker models.", hint=ROLE_HINT)
        return self.settings.sagemaker_role


def config_variant_specs(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]


def config_variants(raw: dict[str, Any], config: dict[str, Any]) -> tuple[Variant, ...]:
    """The variants as configured, with the weights SageMaker applies now (the endpoint's, if it has them)."""
    current = {v["VariantName"]: v for v in [*raw.get("ProductionVariants", []), *raw.get("ShadowProductionVariants", [])]}
    source = config or {"ProductionVariants": raw.get("ProductionVariants", []),
                        "ShadowProductionVariants": raw.get("ShadowProductionVariants", [])}
    found = []
    for shadow, key in ((False, "ProductionVariants"), (True, "ShadowProductionVariants")):
        for spec in source.get(key, []):
            live = current.get(spec["VariantName"], {})
            weight = live.get("CurrentWeight", spec.get("InitialVariantWeight", live.get("DesiredWeight", 1.0)))
            found.append(Variant(spec["VariantName"], "", float(weight), shadow))
    return tuple(found)

