"""The bias port on the local stack: counts in DuckDB through the query port; jobs as workers."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from services.bias import engine
from services.bias.base import BiasPort
from services.bias.bias_job import read_report
from services.bias.models import BiasReport, BiasRequest
from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.models import Job
from services.query.base import QueryPort
from services.training.data import resolve_source

KIND = "bias"


class LocalBias:
    def __init__(self, stack: EmbeddedStack, query: QueryPort, catalog: CatalogPort) -> None:
        self.stack = stack
        self.settings = stack.settings
        self.runner = stack.runner
        self.query = query
        self.catalog = catalog

    def analyze(self, request: BiasRequest) -> BiasReport:
        return engine.analyze(request, self.query, self.catalog, self.settings)

    def column_kinds(self, request: BiasRequest) -> dict[str, str]:
        return engine.column_kinds(request, self.query, self.catalog, self.settings)

    def distinct_values(self, request: BiasRequest, column: str, limit: int = 50) -> tuple[list[Any], bool]:
        return engine.distinct_values(request, column, self.query, self.catalog, limit)

    def start_job(self, request: BiasRequest) -> str:
        if not request.sql:
            source, _ = resolve_source(self.catalog, self.settings, request.source)
            request = replace(request, source=source)
        if request.model_id:
            record = self.stack.models.get(request.model_id)
            if record.problem_type == "Regression" and request.label_threshold is None:
                raise InvalidInput(f"{record.model_id} is a regression model; its predictions need a label threshold.",
                                   hint="Give a label threshold (positive = above it).")
        else:
            engine.source_sql(request, self.catalog)
        if not request.label or not request.facet:
            raise InvalidInput("Choose the label and the facet.", hint="Both are columns of the data.")
        return self.runner.submit(KIND, asdict(request)).name

    def job_report(self, name: str) -> BiasReport:
        job = self._job(name)
        if job.status != "Completed":
            reason = f": {job.failure_reason}" if job.failure_reason else ""
            raise InvalidInput(f"Bias job {name} is {job.status}{reason}.", hint="Wait for it to complete, or start another.")
        return read_report(self.runner.job_dir(name))

    def _job(self, name: str) -> Job:
        job = self.runner.jobs.get(name)
        if job.kind != KIND:
            raise NotFound(f"{name} is a {job.kind} job, not a bias job.", hint="Pick a bias job.")
        return job


def build_local_bias(stack: EmbeddedStack, *, query: QueryPort, catalog: CatalogPort) -> BiasPort:
    return LocalBias(stack, query, catalog)
