"""The bias port on the local stack: counts in DuckDB through the query port; jobs as workers."""

from __future__ import annotations

from dataclasses import asdict, replace

from services.bias import engine
from services.bias.bias_job import read_report
from services.bias.report import BiasReport, BiasRequest
from services.embedded.jobs import JobRunner
from services.embedded.metadata import MetadataStore
from services.embedded.model_registry import ModelRegistry
from services.errors import InvalidInput, NotFound
from services.models import Job
from services.registry import Services
from services.training.data import resolve_source

KIND = "bias"


class LocalBias:
    def __init__(self, services: Services, store: MetadataStore) -> None:
        self.services = services
        self.runner = JobRunner(services.settings.home, store, services.settings.max_heavy_jobs)
        self.store = store

    def analyze(self, request: BiasRequest) -> BiasReport:
        return engine.analyze(self.services, request)

    def start_job(self, request: BiasRequest) -> str:
        if not request.sql:
            source, _ = resolve_source(self.services.catalog, self.services.settings, request.source)
            request = replace(request, source=source)
        if request.model_id:
            record = ModelRegistry(self.store, self.services.settings.home / "models").get(request.model_id)
            if record.problem_type == "Regression" and request.label_threshold is None:
                raise InvalidInput(f"{record.model_id} is a regression model; its predictions need a label threshold.",
                                   hint="Give a label threshold (positive = above it).")
        else:
            engine.source_sql(self.services, request)
        if not request.label or not request.facet:
            raise InvalidInput("Choose the label and the facet.", hint="Both are columns of the data.")
        return self.runner.submit(KIND, asdict(request)).name

    def describe_job(self, name: str) -> Job:
        self.runner.dispatch()
        job = self.runner.jobs.get(name)
        if job.kind != KIND:
            raise NotFound(f"{name} is a {job.kind} job, not a bias job.", hint="Pick a bias job.")
        return job

    def job_report(self, name: str) -> BiasReport:
        job = self.describe_job(name)
        if job.status != "Completed":
            reason = f": {job.failure_reason}" if job.failure_reason else ""
            raise InvalidInput(f"Bias job {name} is {job.status}{reason}.", hint="Wait for it to complete, or start another.")
        return read_report(self.runner.job_dir(name))

    def list_jobs(self, limit: int = 50) -> list[Job]:
        self.runner.dispatch()
        return self.runner.jobs.recent(KIND, limit)


def build_local_bias(services: Services) -> LocalBias:
    return LocalBias(services, services.catalog.store)  # type: ignore[attr-defined]
