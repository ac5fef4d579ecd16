"""The bias port: SageMaker Clarify's pre- and post-training bias metrics.

Both adapters compute the count-based metrics from one aggregation query through the query
engine (DuckDB locally, Athena on AWS), so a table larger than memory is analysed without
loading it; only FlipTest reads rows (a sample). The aws adapter can also launch a Clarify
processing job and read its ``analysis.json`` back; every report renders with the same views.
"""

from __future__ import annotations

from typing import Protocol

from services.bias.report import BiasReport, BiasRequest
from services.models import Job


class BiasPort(Protocol):
    def analyze(self, request: BiasRequest) -> BiasReport:
        """Compute the report now (seconds, whatever the table size). ``InvalidInput`` for an impossible
        configuration (unknown column, no threshold for a threshold facet, …); per-metric problems
        become metric errors inside the report instead."""
        ...

    def start_job(self, request: BiasRequest) -> str:
        """Run the analysis as a job (needed when ``request.model_id`` asks for predictions first;
        on AWS: a Clarify processing job). Returns the job name at once."""
        ...

    def describe_job(self, name: str) -> Job:
        """The job's state; ``NotFound`` for unknown names."""
        ...

    def job_report(self, name: str) -> BiasReport:
        """The finished job's report (read back from its ``analysis.json`` and counts)."""
        ...

    def list_jobs(self, limit: int = 50) -> list[Job]:
        """Bias jobs, newest first."""
        ...
