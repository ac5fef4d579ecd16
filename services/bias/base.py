"""The bias port: SageMaker Clarify's pre- and post-training bias metrics.

Both adapters compute the count-based metrics from one aggregation query through the query
engine (DuckDB locally, Athena on AWS), so a table larger than memory is analysed without
loading it; only FlipTest reads rows (a sample). The aws adapter can also launch a Clarify
processing job and read its ``analysis.json`` back; every report renders with the same views.
"""

from __future__ import annotations

from typing import Any, Protocol

from services.bias.models import BiasReport, BiasRequest


class BiasPort(Protocol):
    def analyze(self, request: BiasRequest) -> BiasReport:
        """Compute the report now (seconds, whatever the table size). ``InvalidInput`` for an impossible
        configuration (unknown column, no threshold for a threshold facet, …); per-metric problems
        become metric errors inside the report instead."""
        ...

    def column_kinds(self, request: BiasRequest) -> dict[str, str]:
        """The columns of the request's table, SQL result or file and their kinds (integer | float |
        boolean | string | other), for the form. ``NotFound`` for an unknown table, ``InvalidInput`` for
        a file outside the import roots."""
        ...

    def distinct_values(self, request: BiasRequest, column: str, limit: int = 50) -> tuple[list[Any], bool]:
        """Up to ``limit`` distinct values of ``column`` in the request's rows (most frequent first), and
        whether there are more."""
        ...

    def start_job(self, request: BiasRequest) -> str:
        """Run the analysis as a job (needed when ``request.model_id`` asks for predictions first;
        on AWS: a Clarify processing job). Returns the job name at once; watch it with ``JobsPort``."""
        ...

    def job_report(self, name: str) -> BiasReport:
        """The finished job's report (read back from its ``analysis.json`` and counts); ``NotFound`` when
        ``name`` is not a bias job."""
        ...
