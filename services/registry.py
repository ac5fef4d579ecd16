"""Build the chosen backend's adapters. Heavy dependencies load only for the chosen backend."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from services.bias.base import BiasPort
from services.catalog.base import CatalogPort
from services.config import Settings
from services.endpoints.base import EndpointsPort
from services.errors import BackendUnavailable
from services.explain.base import ExplainPort
from services.query.base import QueryPort
from services.runs.base import RunsPort
from services.training.base import TrainingPort

# backend -> "module:function" returning (catalog, query); imported only when chosen.
BUILDERS = {
    "local": "services.embedded.stack:build_local",
    "aws": "services.aws_session:build_aws",
}

# Capabilities built on first use, so pages that do not need them never import their libraries.
LAZY_BUILDERS = {
    ("training", "local"): "services.training.local:build_local_training",
    ("training", "aws"): "services.training.aws:build_aws_training",
    ("runs", "local"): "services.runs.local:build_local_runs",
    ("runs", "aws"): "services.runs.aws:build_aws_runs",
    ("bias", "local"): "services.bias.local:build_local_bias",
    ("bias", "aws"): "services.bias.aws:build_aws_bias",
    ("explain", "local"): "services.explain.local:build_local_explain",
    ("explain", "aws"): "services.explain.aws:build_aws_explain",
    ("endpoints", "local"): "services.endpoints.local:build_local_endpoints",
    ("endpoints", "aws"): "services.endpoints.aws:build_aws_endpoints",
}

INSTALL_HINTS = {
    "aws": "Install the AWS extras with `pip install -r requirements.txt` (boto3, awswrangler).",
}


@dataclass
class Services:
    settings: Settings
    catalog: CatalogPort
    query: QueryPort

    @cached_property
    def training(self) -> TrainingPort:
        return _build_lazy("training", self)  # type: ignore[no-any-return]

    @cached_property
    def runs(self) -> RunsPort:
        return _build_lazy("runs", self)  # type: ignore[no-any-return]

    @cached_property
    def bias(self) -> BiasPort:
        return _build_lazy("bias", self)  # type: ignore[no-any-return]

    @cached_property
    def explain(self) -> ExplainPort:
        return _build_lazy("explain", self)  # type: ignore[no-any-return]

    @cached_property
    def endpoints(self) -> EndpointsPort:
        return _build_lazy("endpoints", self)  # type: ignore[no-any-return]

    @property
    def lake_root(self) -> str:
        """Where crawls start by default: the lake bucket locally, the configured bucket on AWS."""
        if self.settings.backend == "aws":
            return f"s3://{self.settings.s3_bucket}/" if self.settings.s3_bucket else "s3://"
        return "s3://workbench-lake/"

    @property
    def backend_label(self) -> str:
        if self.settings.backend == "aws":
            return f"AWS ({self.settings.aws_region or 'default region'})"
        return f"Local ({self.settings.home})"


def _build_lazy(capability: str, services: Services) -> Any:
    module_name, function_name = LAZY_BUILDERS[(capability, services.settings.backend)].split(":")
    return getattr(importlib.import_module(module_name), function_name)(services)


def build_services(settings: Settings) -> Services:
    """The adapters for ``settings.backend``, ready to use."""
    module_name, function_name = BUILDERS[settings.backend].split(":")
    try:
        module: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(
            f"The {settings.backend} backend needs {exc.name}, which is not installed.",
            hint=INSTALL_HINTS.get(settings.backend, "Run `make run` to install the requirements."),
        ) from exc
    catalog, query = getattr(module, function_name)(settings)
    return Services(settings=settings, catalog=catalog, query=query)
