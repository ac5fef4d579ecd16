"""Build the chosen backend's adapters. Heavy dependencies load only for the chosen backend."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from services.catalog.base import CatalogPort
from services.config import Settings
from services.errors import BackendUnavailable
from services.query.base import QueryPort

# backend -> "module:function" returning (catalog, query); imported only when chosen.
BUILDERS = {
    "local": "services.embedded.stack:build_local",
    "aws": "services.aws_session:build_aws",
}

INSTALL_HINTS = {
    "aws": "Install the AWS extras with `pip install -r requirements.txt` (boto3, awswrangler).",
}


@dataclass
class Services:
    settings: Settings
    catalog: CatalogPort
    query: QueryPort

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
